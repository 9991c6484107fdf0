import Logging
import Synchronization

/// The state a producer shares between the sending tasks and its poll thread.
///
/// Threads: `send` runs on the caller's task (non-blocking librdkafka calls only); the poll thread serves delivery
/// reports (`rd_kafka_queue_poll` with a 100 ms timeout), resumes the waiting sends, answers flushes, and on close
/// delivers what is queued, fails the rest, and destroys the handle.
final class ProducerCore: Sendable {
    typealias SendWaiter = CheckedContinuation<KafkaDelivery, any Error>
    typealias Waiter = CheckedContinuation<Void, any Error>

    let client: RDKafkaClient
    let logger: Logger
    let defaultCloseTimeout: Duration
    private let nextID = Atomic<UInt64>(1)
    private let registry = Mutex(DeliveryRegistry<SendWaiter>())
    private let state = Mutex(ProducerStateMachine<Waiter>())
    private let queueSpaceWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])

    init(client: RDKafkaClient, defaultCloseTimeout: Duration) {
        self.client = client
        self.logger = client.logger
        self.defaultCloseTimeout = defaultCloseTimeout
    }

    func startPollThread() throws(KafkaError) {
        try KafkaThread.detach(name: "kafka-producer") { [self] in
            self.runPollLoop()
        }
    }

    // MARK: Sending (any task)

    func send<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws -> KafkaDelivery {
        let id = try await enqueue(message)
        return try await delivery(of: id)
    }

    /// Hands the message to librdkafka, suspending only while its queue is full. Messages enqueued one after the
    /// other keep their order in their partition. Every id returned must be passed to ``delivery(of:)``.
    func enqueue<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        while true {
            guard client.guard.enter() else { throw KafkaError.shutdown("send") }
            let produced = Result { () throws(KafkaError) in try client.produce(message, opaque: id) }
            client.guard.exit()
            switch produced {
            case .success:
                break
            case .failure(let error) where error.code == .queueFull:
                // librdkafka's queue is full: wait for delivery reports to make room, then try again.
                await waitForQueueSpace()
                continue
            case .failure(let error):
                throw error
            }
            break
        }
        return id
    }

    /// Waits for the delivery report of message `id` (it may have come already).
    func delivery(of id: UInt64) async throws -> KafkaDelivery {
        try await withCheckedThrowingContinuation { (continuation: SendWaiter) in
            switch registry.withLock({ $0.attach(continuation, for: id) }) {
            case .wait: break
            case .resume(let outcome): continuation.resume(with: outcome.mapError { $0 as any Error })
            case .failShutdown: continuation.resume(throwing: KafkaError.shutdown("send (no delivery report)"))
            }
        }
    }

    private func waitForQueueSpace() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queueSpaceWaiters.withLock { $0.append(continuation) }
        }
    }

    private func resumeQueueSpaceWaiters() {
        let waiters = queueSpaceWaiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Flush and close (any task)

    func flush(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        try await withCheckedThrowingContinuation { (continuation: Waiter) in
            let action = state.withLock { $0.flush(continuation, deadline: deadline) }
            switch action {
            case .wait: client.wakeUp()
            case .failShutdown: continuation.resume(throwing: KafkaError.shutdown("flush"))
            }
        }
    }

    func close(timeout: Duration?) async {
        let deadline = ContinuousClock.now.advanced(by: timeout ?? defaultCloseTimeout)
        try? await withCheckedThrowingContinuation { (continuation: Waiter) in
            switch state.withLock({ $0.close(continuation, deadline: deadline) }) {
            case .startClose, .wait: client.wakeUp()
            case .resume: continuation.resume()
            }
        }
    }

    /// Waits until the producer is closed, without starting a close.
    func waitUntilClosed() async {
        try? await withCheckedThrowingContinuation { (continuation: Waiter) in
            if !state.withLock({ $0.waitUntilClosed(continuation) }) {
                continuation.resume()
            }
        }
    }

    /// Starts closing without waiting (from `deinit` or a graceful-shutdown signal).
    func requestClose() {
        let deadline = ContinuousClock.now.advanced(by: defaultCloseTimeout)
        if case .startClose = state.withLock({ $0.close(nil, deadline: deadline) }) {
            client.wakeUp()
        }
    }

    // MARK: Poll thread

    private func deliver(_ reports: [KafkaDeliveryReport]) {
        var resumes: [(SendWaiter, KafkaDeliveryReport)] = []
        registry.withLock { registry in
            for report in reports {
                if let waiter = registry.complete(report.id.rawValue, with: report.result) {
                    resumes.append((waiter, report))
                }
            }
        }
        for (waiter, report) in resumes {
            waiter.resume(with: report.result.mapError { $0 as any Error })
        }
        if !reports.isEmpty { resumeQueueSpaceWaiters() }
    }

    private func runPollLoop() {
        var closeDeadline: ContinuousClock.Instant?
        while closeDeadline == nil {
            client.serveDeliveryReports(timeoutMilliseconds: 100) { deliver($0) }
            resumeQueueSpaceWaiters()
            let tick = state.withLock { $0.tick(outQueueLength: client.outQueueLength, now: .now) }
            resumeFlushed(tick.flushed)
            closeDeadline = tick.closeDeadline
        }
        close(deadline: closeDeadline ?? .now)
    }

    private func resumeFlushed(_ flushed: [(Waiter, Bool)]) {
        for (waiter, delivered) in flushed {
            if delivered {
                waiter.resume()
            } else {
                waiter.resume(
                    throwing: KafkaError(
                        code: .timedOut,
                        message: "flush timed out with \(client.outQueueLength) messages or requests outstanding"
                    )
                )
            }
        }
    }

    private func close(deadline: ContinuousClock.Instant) {
        logger.debug("closing producer")
        client.guard.closeAndWait()  // no send touches the handle from here on
        resumeQueueSpaceWaiters()  // their sends retry, and see the shutdown
        while client.outQueueLength > 0, ContinuousClock.now < deadline {
            client.serveDeliveryReports(timeoutMilliseconds: 100) { deliver($0) }
            let tick = state.withLock { $0.tick(outQueueLength: client.outQueueLength, now: .now) }
            resumeFlushed(tick.flushed)
        }
        let undelivered = client.outQueueLength
        if undelivered > 0 {
            logger.warning("close timed out: failing \(undelivered) undelivered messages")
            client.purgeOutstanding()
            let purgeDeadline = ContinuousClock.now.advanced(by: .seconds(5))
            while client.outQueueLength > 0, ContinuousClock.now < purgeDeadline {
                client.serveDeliveryReports(timeoutMilliseconds: 100) { deliver($0) }
            }
        }
        client.destroy()
        let orphans = registry.withLock { $0.close() }
        for waiter in orphans {
            waiter.resume(throwing: KafkaError.shutdown("send (no delivery report before the handle was destroyed)"))
        }
        let (flushWaiters, closeWaiters) = state.withLock { $0.closed() }
        for waiter in flushWaiters {
            if undelivered == 0 {
                waiter.resume()
            } else {
                waiter.resume(throwing: KafkaError.shutdown("flush (\(undelivered) messages were not delivered)"))
            }
        }
        for waiter in closeWaiters { waiter.resume() }
        logger.debug("producer closed")
    }
}
