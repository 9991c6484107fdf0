import Logging
import Synchronization

/// The librdkafka handle that the calls of one ``KafkaAdminClient`` share: created by the first call (on a thread
/// of the library's own), kept connected for the next ones, and destroyed when the last copy of the client is gone.
///
/// A handle a call abandoned at its deadline (librdkafka may have wedged on it) is replaced for the next call, and
/// destroyed once no call uses it any more; one that never comes back is left alone, since destroying it would
/// block forever.
final class SharedAdminHandle: Sendable {
    /// One handle and the calls using it.
    private final class Entry: Sendable {
        let client: RDKafkaClient
        /// Calls using the handle; whether it was given up (then the last call out destroys it).
        let use = Mutex<(users: Int, abandoned: Bool)>((0, false))

        init(_ client: RDKafkaClient) { self.client = client }

        /// Marks the handle given up and destroys it when no call uses it, then calls `destroyed`. While calls use it,
        /// the last of them destroys it, and `destroyed` is called at once.
        func abandon(destroyed: (@Sendable () -> Void)? = nil) {
            let idle = use.withLock { use in
                use.abandoned = true
                return use.users == 0
            }
            if idle {
                Entry.destroy(client, then: destroyed)
            } else {
                destroyed?()
            }
        }

        /// A call is done with the handle.
        func release() {
            client.serveQueuedLogs()
            let destroy = use.withLock { use in
                use.users -= 1
                return use.abandoned && use.users == 0
            }
            if destroy { Entry.destroy(client) }
        }

        /// Destroys `client` on a thread of its own (it blocks), then calls `then`.
        static func destroy(_ client: RDKafkaClient, then: (@Sendable () -> Void)? = nil) {
            let work: @Sendable () -> Void = {
                client.guard.closeAndWait()
                client.destroy()
                then?()
            }
            do throws(KafkaError) {
                try KafkaThread.detach(name: "kafka-admin-close", work)
            } catch {
                work()
            }
        }
    }

    private let kind: RDKafkaClient.Kind
    private let properties: LibrdkafkaProperties
    private let logger: Logger
    private let current = Mutex<Entry?>(nil)

    init(kind: RDKafkaClient.Kind, properties: LibrdkafkaProperties, logger: Logger) {
        self.kind = kind
        self.properties = properties
        self.logger = logger
    }

    deinit {
        current.withLock { $0 }?.abandon()
    }

    /// Destroys the handle now (the next call makes a new one), waiting for that off Swift's cooperative pool. A
    /// handle that calls still use is destroyed by the last of them instead.
    func close() async {
        guard
            let entry = current.withLock({ current -> Entry? in
                defer { current = nil }
                return current
            })
        else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            entry.abandon { continuation.resume() }
        }
    }

    /// Runs `body` with the shared handle on a thread of the library's own; returns by `timeout` plus 5 s
    /// whatever librdkafka does (see ``RDKafkaClient/onKafkaThread(deadline:onDeadline:_:)``).
    func run<T: Sendable>(
        operation: String,
        timeout: Duration,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        let taken = Mutex<Entry?>(nil)
        return try await RDKafkaClient.onKafkaThread(
            deadline: (operation, .now.advanced(by: timeout + .seconds(5))),
            onDeadline: { [self] in
                guard let entry = taken.withLock({ $0 }) else { return }
                let replaced = current.withLock { current in
                    guard current === entry else { return false }
                    current = nil
                    return true
                }
                if replaced { entry.abandon() }
            }
        ) { [self] () throws(KafkaError) -> T in
            let entry = try acquire()
            taken.withLock { $0 = entry }
            defer { entry.release() }
            return try body(entry.client)
        }
    }

    /// The current handle (made now when there is none), with one more user.
    private func acquire() throws(KafkaError) -> Entry {
        // Made outside the lock: rd_kafka_new starts threads and may read certificate files.
        if let entry = current.withLock({ current -> Entry? in
            current?.use.withLock { $0.users += 1 }
            return current
        }) {
            return entry
        }
        let made = Entry(try RDKafkaClient.make(kind: kind, properties: properties, logger: logger))
        made.use.withLock { $0.users += 1 }
        let (entry, extra) = current.withLock { current -> (Entry, Entry?) in
            if let existing = current {
                // Another call made one meanwhile: use it, drop ours.
                existing.use.withLock { $0.users += 1 }
                return (existing, made)
            }
            current = made
            return (made, nil)
        }
        if let extra {
            extra.use.withLock { $0.users -= 1 }
            extra.abandon()
        }
        return entry
    }
}
