import Logging
import NIOCore
import Synchronization
import Tracing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state a producer shares between the sending tasks and its poll thread.
///
/// Threads. Sends run on the caller's task and make only non-blocking librdkafka calls: `rd_kafka_produceva`, and
/// every 1,024 messages a timeout-0 poll of the main queue that serves the delivery reports ready by then. While
/// sends keep coming, the poll thread stays off the queue (it only takes what is ready every 2 ms), so a busy
/// producer does not pay for a thread woken per batch; when sends stop, the poll thread waits on the queue
/// (`rd_kafka_queue_poll`, 100 ms) and serves reports as they come. Only one thread serves at a time, so reports
/// keep their order. The poll thread also answers flushes, and on close delivers what is queued, fails the rest,
/// and destroys the handle.
@usableFromInline
final class ProducerCore: Sendable {
    // Unsafe: resumed exactly once by construction (the registry hands each waiter out once); saves the checked
    // continuation's bookkeeping on the awaitable send path.
    typealias SendWaiter = UnsafeContinuation<KafkaDelivery, any Error>
    typealias Waiter = ProducerState.Waiter
    typealias ReportSource = KafkaDeliveryReports.Producer.Source

    let client: RDKafkaClient
    let logger: Logger
    let defaultCloseTimeout: Duration
    @usableFromInline
    let enqueueTimeout: Duration?
    private let reportMode: KafkaProducerConfiguration.DeliveryReports.Kind
    private let reportSource: ReportSource
    /// The producer's state machine, also the report sequence's delegate.
    private let state: ProducerState
    private let nextID = Atomic<UInt64>(1)
    /// Held by the thread serving the main queue (a send, or the poll thread).
    private let serving = Atomic<Bool>(false)
    /// How often sends served the main queue: while they do, the poll thread stays off it.
    private let sendServes = Atomic<UInt64>(0)
    private let registry = Mutex(DeliveryRegistry<SendWaiter>())
    /// swift-metrics reporting, when configured.
    private let metrics: KafkaMetricsReporter?
    /// The tracer of ``KafkaConfiguration/Tracing``, resolved when the producer was created (see
    /// `ProducerCore+Tracing.swift`).
    let tracer: (any Tracer)?
    /// ``KafkaConfiguration/Tracing/recordsKeys``.
    @usableFromInline
    let recordsKeys: Bool
    /// Whether sends are traced: checked once per send, so a producer without tracing does none of its work.
    @usableFromInline
    let tracesSends: Bool
    /// The spans of traced fire-and-forget messages (sent with ``ReportRoute/spanned(_:)``), ended when their
    /// delivery reports come.
    let openSpans = Mutex<[UInt64: any Span]>([:])
    let spanNames = SpanNames(operation: "send")
    let clientID: String
    /// Whether `transactional.id` is set.
    let isTransactional: Bool
    /// The default deadline of a blocking transaction step: `transaction.timeout.ms` (librdkafka's default 60 s).
    let transactionTimeout: Duration
    /// Which transaction step may start (see `ProducerCore+Transactions.swift`).
    let transactions = Mutex(TransactionStateMachine())

    init(
        client: RDKafkaClient,
        defaultCloseTimeout: Duration,
        enqueueTimeout: Duration?,
        reportMode: KafkaProducerConfiguration.DeliveryReports,
        reportSource: ReportSource,
        state: ProducerState,
        metrics: KafkaMetricsReporter?,
        tracing: KafkaConfiguration.Tracing?,
        clientID: String,
        transactionalID: String? = nil,
        transactionTimeout: Duration? = nil
    ) {
        self.isTransactional = transactionalID != nil
        self.transactionTimeout = transactionTimeout ?? .seconds(60)
        self.metrics = metrics
        let tracer = tracing.map { $0.effectiveTracer }
        self.tracer = tracer
        self.recordsKeys = tracing?.recordsKeys ?? false
        // A no-op tracer (the process's, when nothing bootstrapped one) records and propagates nothing: tracing
        // with it is tracing off.
        self.tracesSends = tracer.map { !($0 is NoOpTracer) } ?? false
        self.clientID = clientID
        self.client = client
        self.logger = client.logger
        self.defaultCloseTimeout = defaultCloseTimeout
        self.enqueueTimeout = enqueueTimeout
        self.reportMode = reportMode.kind
        self.reportSource = reportSource
        self.state = state
        if reportMode.kind == .none { reportSource.finish() }
    }

    func startPollThread() throws(KafkaError) {
        try KafkaThread.detach(name: "kafka-producer") { [self] in
            self.runPollLoop()
        }
    }

    // MARK: Sending (any task)

    /// Sends and waits for the delivery report.
    @inlinable
    nonisolated(nonsending) func send<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaDelivery
    {
        if tracesSends { return try await tracedSend(message) }
        return try await untracedSend(message)
    }

    @inlinable
    nonisolated(nonsending) func untracedSend<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaDelivery
    {
        let id = nextMessageID()
        let opaque = ReportRoute.awaiting(id)
        let outcome = produceNow(message, opaque: opaque, id: id)
        if case .queued = outcome {} else { try await produceAfter(outcome, message, opaque: opaque, id: id) }
        return try await delivery(of: id)
    }

    /// Queues a message whose report goes to the report stream (per the configured mode).
    ///
    /// The common case (room in the queue, report reader keeping up) makes no suspension and no call to another
    /// async function: each one costs a task-allocator frame per message, measured at ~7 % of the fire-and-forget
    /// profile.
    @inlinable
    nonisolated(nonsending) func enqueue<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaProducerMessageID
    {
        if tracesSends { return try await tracedEnqueue(message) }
        if reportsSaturated { await waitForReportReader() }
        let id = nextMessageID()
        let opaque = ReportRoute.stream(id)
        let outcome = produceNow(message, opaque: opaque, id: id)
        if case .queued = outcome {} else { try await produceAfter(outcome, message, opaque: opaque, id: id) }
        return KafkaProducerMessageID(rawValue: id)
    }

    /// One synchronous attempt to hand a message to librdkafka.
    @inlinable
    func produceNow<Key, Value>(_ message: KafkaProducerMessage<Key, Value>, opaque: UInt64, id: UInt64)
        -> ProduceOutcome
    {
        message.withRawParts { key, value in
            produceAttempt(
                topic: message.topic,
                partition: message.partition,
                key: key,
                value: value,
                headers: message.headers,
                timestamp: message.timestamp,
                opaque: opaque,
                id: id
            )
        }
    }

    /// The slow path after a first attempt that did not queue the message: throws its error, or (queue full)
    /// waits for the poll thread to serve reports and retries until the message is queued or `enqueueTimeout`
    /// passes. The opaque's low bit tells the report's way back: 1 to the awaiting send, 0 to the report stream.
    @inlinable
    @inline(never)
    nonisolated(nonsending) func produceAfter<Key, Value>(
        _ first: ProduceOutcome,
        _ message: KafkaProducerMessage<Key, Value>,
        opaque: UInt64,
        id: UInt64
    ) async throws {
        var deadline: ContinuousClock.Instant? = nil
        var outcome = first
        while true {
            switch outcome {
            case .queued:
                return
            case .queueFull:
                // librdkafka's queue is full and no report was ready: wait for the poll thread to serve some.
                if let enqueueTimeout {
                    let now = ContinuousClock.now
                    let limit = deadline ?? now.advanced(by: enqueueTimeout)
                    deadline = limit
                    if now >= limit { throw queueFullError(topic: message.topic, waited: enqueueTimeout) }
                }
                await waitForQueueSpace()
            case .failed(let error):
                throw error
            }
            outcome = produceNow(message, opaque: opaque, id: id)
        }
    }

    @usableFromInline
    func queueFullError(topic: String, waited: Duration) -> KafkaError {
        KafkaError(
            code: .queueFull,
            message: "librdkafka's local queue stayed full for \(waited) (queue.buffering.max.messages/kbytes); "
                + "the message was not sent",
            isRetriable: true,
            topic: topic
        )
    }

    @usableFromInline
    func nextMessageID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    @usableFromInline
    var reportsSaturated: Bool {
        reportMode != .none && state.isReportReaderBehind
    }

    @usableFromInline
    nonisolated(nonsending) func waitForReportReader() async {
        await state.waitForReportReader()
    }

    /// One synchronous produce attempt; on a full queue it serves ready reports and retries once; every 1,024
    /// messages it serves the reports ready.
    @usableFromInline
    func produceAttempt(
        topic: String,
        partition: KafkaPartition,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader],
        timestamp: KafkaTimestamp?,
        opaque: UInt64,
        id: UInt64
    ) -> ProduceOutcome {
        guard client.guard.enter() else { return .failed(KafkaError.shutdown("send")) }
        defer { client.guard.exit() }
        return produceEntered(
            topic: topic,
            partition: partition,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestamp,
            opaque: opaque,
            id: id
        )
    }

    /// ``produceAttempt(topic:partition:key:value:headers:timestamp:opaque:id:)`` for a caller that entered the
    /// handle's guard already (a batch enters it once).
    @usableFromInline
    func produceEntered(
        topic: String,
        partition: KafkaPartition,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader],
        timestamp: KafkaTimestamp?,
        opaque: UInt64,
        id: UInt64
    ) -> ProduceOutcome {
        func attempt() -> ProduceOutcome {
            client.produce(
                topic: topic,
                partition: partition,
                key: key,
                value: value,
                headers: headers,
                timestamp: timestamp,
                opaque: opaque
            )
        }
        var outcome = attempt()
        if case .queueFull = outcome, serveFromSend() > 0 {
            outcome = attempt()
        } else if id & 1023 == 0 {
            _ = serveFromSend()
        }
        return outcome
    }

    // MARK: Batches

    /// Where a synchronous run over a batch stopped.
    @usableFromInline
    enum BatchStop<Key: KafkaContiguousBytes, Value: KafkaContiguousBytes> {
        /// Every message from the start index on is queued.
        case done
        /// The report reader is behind: wait for it, then go on from `index`.
        case readerBehind(index: Int)
        /// The message at `index` (a copy of it, with the id it was given) was not queued: the slow path takes it.
        case notQueued(index: Int, message: KafkaProducerMessage<Key, Value>, id: UInt64, outcome: ProduceOutcome)
    }

    /// Queues many messages: runs synchronously over contiguous storage, entering the handle's guard once, and
    /// takes the async slow path (wait for room, for the report reader, or throw) only for a message that needs it.
    @inlinable
    nonisolated(nonsending) func enqueue<Messages: Sequence, Key, Value>(
        contentsOf messages: Messages
    ) async throws -> [KafkaProducerMessageID] where Messages.Element == KafkaProducerMessage<Key, Value> {
        var ids: [KafkaProducerMessageID] = []
        ids.reserveCapacity(messages.underestimatedCount)
        if tracesSends {
            // One span per message: the traced path, one by one.
            for message in messages { ids.append(try await tracedEnqueue(message)) }
            return ids
        }
        var start = 0
        while true {
            let stop = messages.withContiguousStorageIfAvailable { buffer in
                produceRun(buffer, from: start, ids: &ids)
            }
            switch stop {
            case nil:
                // Not contiguous: one by one.
                for message in messages { ids.append(try await enqueue(message)) }
                return ids
            case .done?:
                return ids
            case .readerBehind(let index)?:
                await waitForReportReader()
                start = index
            case .notQueued(let index, let message, let id, let outcome)?:
                try await produceAfter(outcome, message, opaque: ReportRoute.stream(id), id: id)
                ids.append(KafkaProducerMessageID(rawValue: id))
                start = index + 1
            }
        }
    }

    /// Produces `buffer[start...]` synchronously until done or a message needs the slow path.
    @inlinable
    func produceRun<Key, Value>(
        _ buffer: UnsafeBufferPointer<KafkaProducerMessage<Key, Value>>,
        from start: Int,
        ids: inout [KafkaProducerMessageID]
    ) -> BatchStop<Key, Value> {
        guard start < buffer.count else { return .done }
        guard enterHandle() else {
            return .notQueued(
                index: start,
                message: buffer[start],
                id: nextMessageID(),
                outcome: shutdownOutcome()
            )
        }
        defer { exitHandle() }
        guard let base = buffer.baseAddress else { return .done }
        for index in start..<buffer.count {
            if reportsSaturated { return .readerBehind(index: index) }
            let id = nextMessageID()
            // Borrowed through the pointer: a copy of the message (three retains and releases) costs more than
            // the rest of this loop's Swift side.
            let message = UnsafePointer(base + index)
            let outcome = message.pointee.withRawParts { key, value in
                produceEntered(
                    topic: message.pointee.topic,
                    partition: message.pointee.partition,
                    key: key,
                    value: value,
                    headers: message.pointee.headers,
                    timestamp: message.pointee.timestamp,
                    opaque: ReportRoute.stream(id),
                    id: id
                )
            }
            guard case .queued = outcome else {
                return .notQueued(index: index, message: message.pointee, id: id, outcome: outcome)
            }
            ids.append(KafkaProducerMessageID(rawValue: id))
        }
        return .done
    }

    @usableFromInline
    func enterHandle() -> Bool { client.guard.enter() }

    @usableFromInline
    func shutdownOutcome() -> ProduceOutcome { .failed(KafkaError.shutdown("send")) }

    @usableFromInline
    func exitHandle() { client.guard.exit() }

    /// Waits for the report of awaitable message `id` (it may have come already).
    @usableFromInline
    nonisolated(nonsending) func delivery(of id: UInt64) async throws -> KafkaDelivery {
        try await withUnsafeThrowingContinuation { (continuation: SendWaiter) in
            switch registry.withLock({ $0.attach(continuation, for: id) }) {
            case .wait: break
            case .resume(let outcome): continuation.resume(with: outcome.mapError { $0 as any Error })
            case .failShutdown: continuation.resume(throwing: KafkaError.shutdown("send (no delivery report)"))
            }
        }
    }

    /// Resumed when reports are served (which frees room; the poll thread serves them once sends pause), at
    /// least every 100 ms, or at once when the handle is closed to sends.
    @usableFromInline
    nonisolated(nonsending) func waitForQueueSpace() async {
        await state.waitForQueueSpace()
    }

    private func resumeQueueSpaceWaiters() {
        state.queueSpaceMayHaveFreed()
    }

    // MARK: Flush and close (any task)

    func flush(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        try await withCheckedThrowingContinuation { (continuation: Waiter) in
            let action = state.withMachine { $0.flush(continuation, deadline: deadline) }
            switch action {
            case .wait: client.wakeUp()
            case .failShutdown: continuation.resume(throwing: KafkaError.shutdown("flush"))
            }
        }
    }

    func close(timeout: Duration?) async {
        let deadline = ContinuousClock.now.advanced(by: timeout ?? defaultCloseTimeout)
        try? await withCheckedThrowingContinuation { (continuation: Waiter) in
            switch state.withMachine({ $0.close(continuation, deadline: deadline) }) {
            case .startClose, .wait: client.wakeUp()
            case .resume: continuation.resume()
            }
        }
    }

    /// Waits until the producer is closed, without starting a close.
    func waitUntilClosed() async {
        try? await withCheckedThrowingContinuation { (continuation: Waiter) in
            if !state.withMachine({ $0.waitUntilClosed(continuation) }) {
                continuation.resume()
            }
        }
    }

    /// Starts closing without waiting (from `deinit` or a graceful-shutdown signal).
    func requestClose() {
        let deadline = ContinuousClock.now.advanced(by: defaultCloseTimeout)
        if case .startClose = state.withMachine({ $0.close(nil, deadline: deadline) }) {
            client.wakeUp()
        }
    }

    // MARK: Serving reports (whichever thread holds `serving`)

    /// Serves the main queue if no other thread is serving it. Returns the reports served, or -1 when another
    /// thread holds it. The caller keeps the handle alive (guard entered, or the poll thread).
    /// `flushing`: serve as a flush (see `RDKafkaClient.serveDeliveryReports`); poll thread only.
    func serve(timeoutMilliseconds: Int32, flushing: Bool = false) -> Int {
        guard serving.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return -1
        }
        defer { serving.store(false, ordering: .releasing) }
        var failed = 0
        let served = client.serveDeliveryReports(
            timeoutMilliseconds: timeoutMilliseconds,
            flushing: flushing,
            streamSuccesses: reportMode == .all
        ) { batch in
            if metrics != nil {
                for report in batch.streamed { if case .failure = report.result { failed += 1 } }
                for report in batch.awaited { if case .failure = report.result { failed += 1 } }
            }
            deliver(batch)
        }
        if served > 0, let metrics { metrics.deliveries(delivered: served - failed, failed: failed) }
        return served
    }

    /// ``serve(timeoutMilliseconds:)`` from the send path, without waiting; counted, so that the poll thread
    /// leaves the serving to busy sends.
    private func serveFromSend() -> Int {
        sendServes.wrappingAdd(1, ordering: .relaxed)
        return serve(timeoutMilliseconds: 0)
    }

    private func deliver(_ batch: DeliveryReportBatch) {
        let (streamed, awaited) = (batch.streamed, batch.awaited)
        if !batch.spanned.isEmpty { endSpans(of: batch.spanned) }
        if !awaited.isEmpty {
            var resumes: [(SendWaiter, Result<KafkaDelivery, KafkaError>)] = []
            registry.withLock { registry in
                for report in awaited {
                    if let waiter = registry.complete(report.id.rawValue, with: report.result) {
                        resumes.append((waiter, report.result))
                    }
                }
            }
            for (waiter, result) in resumes {
                waiter.resume(with: result.mapError { $0 as any Error })
            }
        }
        if !streamed.isEmpty {
            if reportMode == .none {
                // Nobody reads reports: the failures (only those were built) are logged, except purges: an aborted
                // transaction purges its messages on purpose, and a close that purges says so itself.
                let failures = streamed.filter { report in
                    guard case .failure(let error) = report.result else { return false }
                    return error.code != .purgedFromQueue && error.code != .purgedInFlight
                }
                if let first = failures.first, case .failure(let error) = first.result {
                    logger.warning("\(failures.count) message(s) not delivered, e.g.: \(error)")
                }
            } else {
                // The demand seen before the yield: a .stopProducing that crossed a later produceMore is stale.
                let demand = state.withMachine { $0.reportDemandGeneration }
                if case .stopProducing = reportSource.yield(contentsOf: CollectionOfOne(streamed)) {
                    state.withMachine { $0.reportReaderBehind(seenDemand: demand) }
                }
            }
        }
        resumeQueueSpaceWaiters()
    }

    // MARK: Poll thread

    private func runPollLoop() {
        var closeDeadline: ContinuousClock.Instant?
        var lastSeenID = nextID.load(ordering: .relaxed)
        var lastSendServes = sendServes.load(ordering: .relaxed)
        var lastWaiterRelease = ContinuousClock.now
        var flushing = false
        while closeDeadline == nil {
            let currentID = nextID.load(ordering: .relaxed)
            if flushing {
                // A flush waits: librdkafka sends what lingers at once and serves reports until all are delivered;
                // in short slices, so that waiters and a close are still looked after.
                lastSeenID = currentID
                _ = serve(timeoutMilliseconds: 10, flushing: true)
            } else if currentID != lastSeenID {
                // Sends are coming: they serve reports themselves (every 1,024 messages). Only when they did not
                // in the last 2 ms (slow sends) does this thread take what is ready: reports served on the thread
                // that produced the messages free them there, where a second thread's frees contended for
                // malloc's locks with the sends (measured: ~8 % of the samples went to the poll thread's serving).
                lastSeenID = currentID
                let served = sendServes.load(ordering: .relaxed)
                if served == lastSendServes { _ = serve(timeoutMilliseconds: 0) }
                lastSendServes = served
                Self.sleep(microseconds: 2_000)
            } else {
                _ = serve(timeoutMilliseconds: 100)
            }
            // Senders waiting for room re-check at least every 100 ms, so their enqueueTimeout holds even when
            // no report comes (e.g. every broker down).
            let now = ContinuousClock.now
            if now - lastWaiterRelease >= .milliseconds(100) {
                lastWaiterRelease = now
                resumeQueueSpaceWaiters()
            }
            let tick = state.withMachine { $0.tick(outQueueLength: client.outQueueLength, now: now) }
            resumeFlushed(tick.flushed)
            closeDeadline = tick.closeDeadline
            flushing = tick.flushing
        }
        close(deadline: closeDeadline ?? .now)
    }

    private static func sleep(microseconds: Int) {
        var request = timespec(tv_sec: 0, tv_nsec: microseconds * 1_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
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
        finishTransactions(deadline: deadline)
        client.guard.closeAndWait()  // no send touches the handle from here on
        // Sends waiting for room or for the report reader retry, and see the shutdown; none waits from here on.
        for waiter in state.withMachine({ $0.beginDraining() }) { waiter.resume() }
        while client.outQueueLength > 0, ContinuousClock.now < deadline {
            _ = serve(timeoutMilliseconds: 100, flushing: true)
            let tick = state.withMachine { $0.tick(outQueueLength: client.outQueueLength, now: .now) }
            resumeFlushed(tick.flushed)
        }
        let undelivered = client.outQueueLength
        if undelivered > 0 {
            logger.warning("close timed out: failing \(undelivered) undelivered messages")
            client.purgeOutstanding()
            let purgeDeadline = ContinuousClock.now.advanced(by: .seconds(5))
            while client.outQueueLength > 0, ContinuousClock.now < purgeDeadline {
                _ = serve(timeoutMilliseconds: 100)
            }
        }
        client.destroy()
        reportSource.finish()
        let orphans = registry.withLock { $0.close() }
        for waiter in orphans {
            waiter.resume(throwing: KafkaError.shutdown("send (no delivery report before the handle was destroyed)"))
        }
        let (flushWaiters, closeWaiters) = state.withMachine { $0.closed() }
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
