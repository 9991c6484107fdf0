import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state a consumer shares between its actor, its message sequence and its poll thread.
///
/// Threads: the poll thread does every librdkafka call: it subscribes or assigns, polls the consumer queue
/// (`rd_kafka_consumer_poll`, 100 ms, then `rd_kafka_consume_batch_queue` without waiting for the rest of the
/// batch), serves rebalance, log and error callbacks (and waits for the rebalance hooks), pauses and resumes
/// fetching, runs the control commands (commit, committed, seek, watermarks, ...) queued by tasks, and on close runs
/// `rd_kafka_consumer_close` (commit, leave the group) and `rd_kafka_destroy`. Other threads only change the state
/// machine, queue commands, store offsets and wake it.
final class ConsumerCore: Sendable {
    /// A close waiter, resumed with what kept the close from completing cleanly (`nil`: it did).
    typealias Waiter = CheckedContinuation<KafkaError?, Never>
    typealias Source = BatchHandOver<ConsumerBatch>

    let client: RDKafkaClient
    let configuration: KafkaConsumerConfiguration
    let logger: Logger
    let state = Mutex(ConsumerStateMachine<Waiter>())
    /// ``AssignmentFilter/epoch``, published so readers take the filter's lock only when it moved.
    let filterEpoch = Atomic<UInt64>(0)
    let rebalanceHandler: KafkaRebalanceHandler?
    let eventSink: AsyncStream<KafkaConsumerEvent>.Continuation
    /// The loop's progress: what it was handed and finished with, written by its iterator, read by this thread.
    let reader: ReaderProgress
    /// How often fetching left idle by librdkafka was restarted (``FetchBackoffWatch``), for tests and diagnostics.
    let fetchRestarts = Atomic<Int>(0)
    /// How often the end was handed to the loop (stopAtEndOfPartitions), for tests and diagnostics.
    let endsHandedOver = Atomic<Int>(0)
    /// Watches for fetching left idle by librdkafka, and keeps the positions to restart it from. Poll thread only
    /// (the lock is uncontended; it makes the core `Sendable`).
    let fetchWatch: Mutex<FetchBackoffWatch>
    /// Whether fetching left idle by librdkafka is restarted (``FetchBackoffWatch``): only where librdkafka has no
    /// `fetch.queue.backoff.ms` (before 2.2), the knob that bounds the idle time on later versions.
    let restartsIdleFetch: Bool
    /// Wakes the poll thread from its waits between polls: a queued command, a hook's end, the reader's progress or
    /// demand, a close. (Its polls of librdkafka are woken by `rd_kafka_queue_yield`, ``RDKafkaClient/wakeUp()``.)
    let signal = ThreadSignal()
    /// swift-metrics reporting, when configured.
    let metrics: KafkaMetricsReporter?
    /// Processing span names (``KafkaConsumer/withProcessingSpan(of:_:)``).
    let spanNames = SpanNames(operation: "process")

    init(
        client: RDKafkaClient,
        configuration: KafkaConsumerConfiguration,
        rebalanceHandler: KafkaRebalanceHandler?,
        events: AsyncStream<KafkaConsumerEvent>.Continuation,
        metrics: KafkaMetricsReporter?
    ) {
        self.client = client
        self.metrics = metrics
        self.configuration = configuration
        self.logger = client.logger
        self.rebalanceHandler = rebalanceHandler
        self.eventSink = events
        let limits = configuration.effectivePrefetchLimits
        self.fetchWatch = Mutex(FetchBackoffWatch(messageLimit: limits.messages, byteLimit: limits.bytes))
        self.restartsIdleFetch = !Librdkafka.hasFetchQueueBackoff
        self.reader = ReaderProgress(
            client: client,
            storesOffsets: configuration.consumptionStrategy.groupID != nil,
            signal: signal
        )
    }

    // MARK: Any thread

    func produceMore() {
        if state.withLock({ $0.produceMore() }) { client.wakeUp() }
        signal.signalIfWaiting()  // a poll thread holding back for the reader
    }

    func stopProducing(seenDemand: UInt64) {
        _ = state.withLock { $0.stopProducing(now: .now, seenDemand: seenDemand) }
    }

    /// Messages fetched and not yet taken by the loop: in the consumer's buffer, and in librdkafka's consumer queue.
    func bufferedCounts() -> (handedOver: Int, inLibrdkafka: Int) {
        let handedOver = reader.bufferedMessages.load(ordering: .relaxed)
        guard client.guard.enter() else { return (handedOver, 0) }
        defer { client.guard.exit() }
        return (handedOver, client.queuedMessageCount)
    }

    // MARK: Assignment filter (any thread)

    var currentEpoch: UInt64 { filterEpoch.load(ordering: .acquiring) }

    /// Keeps the messages (taken from librdkafka at `fetchEpoch`) whose partition is still assigned and was not
    /// moved since.
    func stillValid(_ messages: ArraySlice<KafkaConsumerMessage>, fetchedAt fetchEpoch: UInt64)
        -> [KafkaConsumerMessage]
    {
        state.withLock { state in
            messages.filter {
                state.filter.isValid(
                    KafkaTopicPartition(topic: $0.topic, partition: $0.partition),
                    fetchedAt: fetchEpoch
                )
            }
        }
    }

    func updateFilter(_ body: @Sendable (inout AssignmentFilter) -> Void) {
        state.withLock { state in
            filterEpoch.store(state.updateFilter(body), ordering: .releasing)
        }
    }

    func setBatchTarget(count: Int, wait: Duration) {
        state.withLock { $0.batchTarget = (count, wait) }
    }

    // MARK: Commands (any task; run on the poll thread)

    /// Runs `body` on the poll thread (which owns every blocking librdkafka call) and returns its result.
    /// - Throws: what `body` throws; ``KafkaError/Code/shutdown`` once the consumer is closed.
    func perform<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let command = Command(
                run: { client in
                    do throws(KafkaError) {
                        continuation.resume(returning: try body(client))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                },
                fail: { continuation.resume(throwing: KafkaError.shutdown(what)) }
            )
            if state.withLock({ $0.enqueue(command) }) {
                client.wakeUp()
                signal.signal()  // a poll thread waiting for a hook or the reader serves commands meanwhile
            } else {
                command.fail()
            }
        }
    }

    /// Runs the queued commands. Poll thread only.
    func runCommands() {
        while let batch = state.withLock({ $0.takeCommands() }) {
            for command in batch { command.run(client) }
        }
    }

    func commit(_ offsets: [(KafkaTopicPartition, KafkaOffset)]?, timeout: Duration) async throws {
        let start = ContinuousClock.now
        let deadline = start.advanced(by: timeout)
        do {
            try await perform(Self.commitAfterClose) { client throws(KafkaError) in
                try client.commit(offsets, deadline: deadline)
            }
            metrics?.commit(duration: .now - start, succeeded: true)
        } catch {
            metrics?.commit(duration: .now - start, succeeded: false)
            throw error
        }
    }

    /// What a commit that comes too late says: the close commits what the loop finished with.
    static let commitAfterClose =
        "commit (the consumer closed first: leaving the messages loop or close() closes it, and the close commits what "
        + "the loop finished with)"

    /// Starts a commit without waiting (`rd_kafka_commit` async: non-blocking, any thread); a failure is reported on
    /// the events stream.
    func commitInBackground(_ offsets: [(KafkaTopicPartition, KafkaOffset)]?) {
        guard client.guard.enter() else {
            eventSink.yield(.commitFailed(KafkaError.shutdown("commit")))
            return
        }
        defer { client.guard.exit() }
        do {
            try client.commitInBackground(offsets)
        } catch {
            eventSink.yield(.commitFailed(error))
        }
    }

    func committed(_ partitions: [KafkaTopicPartition], timeout: Duration) async throws -> [KafkaTopicPartition:
        KafkaOffset]
    {
        let ms = Self.milliseconds(timeout)
        return try await perform("committed") { client throws(KafkaError) in
            try client.committed(partitions, timeoutMilliseconds: ms)
        }
    }

    /// Moves partitions to new offsets; messages of them buffered before are dropped.
    func seek(_ offsets: [(KafkaTopicPartition, KafkaOffset)], timeout: Duration = .seconds(10)) async throws {
        let milliseconds = Self.milliseconds(timeout)
        try await perform("seek") { [self] client throws(KafkaError) in
            // From the assign hook, for a partition being assigned: it becomes the assignment's start offset.
            let remaining = state.withLock { $0.seekDuringAssignHook(offsets) }
            guard !remaining.isEmpty else { return }
            try client.seek(remaining, timeoutMilliseconds: milliseconds)
            if configuration.stopAtEndOfPartitions { repositionEnds(remaining) }
            updateFilter { $0.reposition(remaining.map(\.0)) }
        }
    }

    /// Tells the end tracking where seeks moved partitions: back from an end, a partition has to be read to it
    /// again (librdkafka does not report the same end twice). Poll thread.
    func repositionEnds(_ offsets: [(KafkaTopicPartition, KafkaOffset)]) {
        let targets = offsets.map { partition, offset -> (KafkaTopicPartition, target: Int64?, knownEnd: Int64?) in
            let watermarks = client.cachedWatermarks(partition)
            let low = max(watermarks?.low.rawValue ?? 0, 0)
            let high = watermarks?.high.rawValue
            let target: Int64?
            if offset.isAbsolute {
                target = offset.rawValue
            } else if offset == .end {
                target = nil
            } else if offset.rawValue <= KafkaOffset.tail(0).rawValue, let high {
                // tail(n): n before the end.
                target = max(high - (KafkaOffset.tail(0).rawValue - offset.rawValue), low)
            } else {
                target = low  // the beginning (or where a stored offset leads: not known here)
            }
            return (partition, target, high)
        }
        state.withLock { state in
            for (partition, target, knownEnd) in targets {
                state.repositioned(partition, to: target, knownEnd: knownEnd)
            }
        }
    }

    /// Runs the assign hook for `partitions` inside librdkafka's rebalance callback, before they are assigned;
    /// returns the start offsets its seeks asked for (poll thread).
    func startOffsets(assigning partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset] {
        guard rebalanceHandler != nil, !partitions.isEmpty else { return [:] }
        state.withLock { $0.assignHookStarted(partitions) }
        runHook(\.onAssigned, partitions)
        return state.withLock { $0.assignHookEnded() }
    }

    func setUserPaused(_ paused: Bool, partitions: [KafkaTopicPartition]) async throws {
        try await perform(paused ? "pause" : "resume") { [self] client throws(KafkaError) in
            let action = state.withLock { $0.setUserPaused(paused, partitions: partitions) }
            apply(action)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        RDKafkaClient.milliseconds(duration)
    }

    /// Starts a close (within ``KafkaConsumerConfiguration/closeTimeout``) without waiting for it.
    func requestClose() {
        let deadline = ContinuousClock.now.advanced(by: configuration.closeTimeout)
        if case .startClose = state.withLock({ $0.close(nil, deadline: deadline) }) {
            client.wakeUp()
            signal.signal()
        }
    }

    /// The rebalance hook of this consumer the current task runs in, if any (see ``runHook(_:_:)``).
    @TaskLocal static var runningHookOf: ObjectIdentifier?

    /// Whether the current task is one of this consumer's rebalance hooks, which the close waits for.
    var isInOwnHook: Bool { Self.runningHookOf == ObjectIdentifier(self) }

    /// Closes within `timeout` (default ``KafkaConsumerConfiguration/closeTimeout``) and waits for it; returns what
    /// kept the close from completing cleanly, or `nil`. From one of this consumer's rebalance hooks it only starts
    /// the close (which waits for the hook) and returns ``KafkaError/Code/invalidUsage``.
    func close(timeout: Duration?) async -> KafkaError? {
        let deadline = ContinuousClock.now.advanced(by: timeout ?? configuration.closeTimeout)
        if isInOwnHook {
            if case .startClose = state.withLock({ $0.close(nil, deadline: deadline) }) {
                client.wakeUp()
                signal.signal()
            }
            return Self.hookWaitError("close()")
        }
        return await withCheckedContinuation { (continuation: Waiter) in
            switch state.withLock({ $0.close(continuation, deadline: deadline) }) {
            case .startClose:
                client.wakeUp()
                signal.signal()
            case .wait: break  // never wake during close: a yield would cut rd_kafka_consumer_close's wait short
            case .resume: continuation.resume(returning: nil)
            }
        }
    }

    /// Waits until the consumer is closed, without starting the close.
    /// - Throws: ``KafkaError/Code/invalidUsage`` from one of this consumer's rebalance hooks (the close waits for
    ///   the hook).
    func waitUntilClosed() async throws(KafkaError) {
        if isInOwnHook { throw Self.hookWaitError("run()") }
        _ = await withCheckedContinuation { (continuation: Waiter) in
            if !state.withLock({ $0.waitUntilClosed(continuation) }) { continuation.resume(returning: nil) }
        }
    }

    static func hookWaitError(_ call: String) -> KafkaError {
        KafkaError(
            code: .invalidUsage,
            message: "\(call) cannot wait for the consumer's close inside its own rebalance hook (the close waits for "
                + "the hook); the close starts once the hook returns"
        )
    }
}
