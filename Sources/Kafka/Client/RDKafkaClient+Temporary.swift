internal import CLibrdkafka
import Logging
import Synchronization

extension RDKafkaClient {
    /// Creates a consumer handle that never subscribes or assigns, runs `body` with it on a thread of the library's
    /// own (off Swift's cooperative pool), and destroys it there. For one-off queries: metadata, watermarks, offsets
    /// for times, a group's committed offsets, admin requests.
    ///
    /// - Parameters:
    ///   - operation: what the call does, for the error at its deadline.
    ///   - timeout: the call returns by `timeout` plus a 5 s grace whatever librdkafka does: at that deadline it
    ///     throws ``KafkaError/Code/timedOut``, and the thread finishes (and destroys the handle) when librdkafka
    ///     lets it. librdkafka's own timeouts end almost every request before; the deadline covers a librdkafka
    ///     that wedged (2.0.2's `DescribeConsumerGroups` against a broker without `DescribeGroups` deadlocks its
    ///     main thread, and every later call on that handle with it).
    static func withTemporaryConsumer<T: Sendable>(
        properties: LibrdkafkaProperties,
        logger: Logger,
        operation: String,
        timeout: Duration,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await withTemporaryClient(
            kind: .consumer,
            properties: properties,
            logger: logger,
            deadline: (operation, .now.advanced(by: timeout + .seconds(5))),
            body
        )
    }

    /// Creates a handle of `kind` (its log lines go to `logger`), runs `body` with it on a thread of the library's
    /// own (off Swift's cooperative pool), and destroys it there. With a `deadline`, the call returns by then
    /// (see ``withTemporaryConsumer(properties:logger:operation:timeout:_:)``).
    static func withTemporaryClient<T: Sendable>(
        kind: Kind,
        properties: LibrdkafkaProperties,
        logger: Logger,
        deadline: (operation: String, instant: ContinuousClock.Instant)? = nil,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await onKafkaThread(deadline: deadline, onDeadline: {}) { () throws(KafkaError) -> T in
            let client = try RDKafkaClient.make(kind: kind, properties: properties, logger: logger)
            let result = Result { () throws(KafkaError) -> T in try body(client) }
            client.serveQueuedLogs()
            client.guard.closeAndWait()
            client.destroy()
            return try result.get()
        }
    }

    /// Runs `work` on a new thread of the library's own (off Swift's cooperative pool) and returns its result;
    /// with a `deadline`, returns by then whatever `work` does: at the deadline it throws
    /// ``KafkaError/Code/timedOut`` and calls `onDeadline`, and `work` finishes on its thread when it can.
    static func onKafkaThread<T: Sendable>(
        deadline: (operation: String, instant: ContinuousClock.Instant)?,
        onDeadline: @escaping @Sendable () -> Void,
        _ work: @escaping @Sendable () throws(KafkaError) -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            var timer: Task<Void, Never>? = nil
            if let deadline {
                timer = Task {
                    do {
                        try await Task.sleep(until: deadline.instant)
                    } catch {
                        return
                    }
                    if once.resume(
                        with: .failure(
                            KafkaError(
                                code: .timedOut,
                                message: "\(deadline.operation): librdkafka did not answer by the call's deadline"
                            )
                        )
                    ) {
                        onDeadline()
                    }
                }
            }
            let cancelTimer = timer.map { timer in { @Sendable in timer.cancel() } }
            do throws(KafkaError) {
                try KafkaThread.detach(name: "kafka-admin") {
                    let result = Result { () throws(KafkaError) -> T in try work() }
                    cancelTimer?()
                    once.resume(with: result)
                }
            } catch {
                cancelTimer?()
                once.resume(with: .failure(error))
            }
        }
    }

    /// Serves what is queued without waiting (log lines, errors), dropping messages and delivery reports.
    func serveQueuedLogs() {
        switch kind {
        case .consumer:
            while let message = rd_kafka_consumer_poll(pointer, 0) {
                rd_kafka_message_destroy(message)
            }
        case .producer:
            while let event = rd_kafka_queue_poll(queue, 0) {
                defer { rd_kafka_event_destroy(event) }
                _ = callbacks.serveLogOrError(event, rk: pointer)
            }
        }
    }
}

/// A continuation that the first of several resumers resumes; the others are ignored.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// Resumes the continuation unless another resumer did; returns whether this call did.
    @discardableResult
    func resume(with result: Result<T, KafkaError>) -> Bool {
        let taken = continuation.withLock { value in
            defer { value = nil }
            return value
        }
        taken?.resume(with: result.mapError { $0 as any Error })
        return taken != nil
    }
}
