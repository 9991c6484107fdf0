internal import CLibrdkafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts threads owned by the library, on which blocking librdkafka calls run (never on Swift's cooperative pool).
package enum KafkaThread {
    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts a detached thread named `name` (at most 15 characters are kept) running `body`.
    package static func detach(name: String, _ body: @escaping @Sendable () -> Void) throws(KafkaError) {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        #if canImport(Darwin)
            var thread: pthread_t?
        #else
            var thread = pthread_t()
        #endif
        let rc = pthread_create(
            &thread,
            nil,
            { raw in
                #if canImport(Darwin)
                    let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                    pthread_setname_np(String(box.name.prefix(15)))
                #else
                    guard let raw else { return nil }
                    let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                    swift_kafka_set_thread_name(String(box.name.prefix(15)))
                #endif
                box.body()
                return nil
            },
            box
        )
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw KafkaError(code: .shutdown, message: "could not start thread \(name): pthread_create returned \(rc)")
        }
        #if canImport(Darwin)
            if let thread { pthread_detach(thread) }
        #else
            pthread_detach(thread)
        #endif
    }

    /// Runs `body` (a blocking call) on a detached thread named `name`, and returns its result to the awaiting
    /// task, whose thread (maybe one of Swift's cooperative pool) is not held meanwhile.
    /// - Throws: ``KafkaError`` when no thread could be started (`body` did not run).
    package static func run<T: Sendable>(
        name: String,
        _ body: @escaping @Sendable () -> T
    ) async throws(KafkaError) -> T {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<T, KafkaError>, Never>) in
            do throws(KafkaError) {
                try detach(name: name) { continuation.resume(returning: .success(body())) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }
}
