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
    private let state = Mutex(ConsumerStateMachine<Waiter>())
    private let commands = Mutex(CommandQueue())
    private let filter = Mutex(AssignmentFilter())
    /// ``AssignmentFilter/epoch``, published so readers take the filter's lock only when it moved.
    private let filterEpoch = Atomic<UInt64>(0)
    private let rebalanceHandler: KafkaRebalanceHandler?
    private let eventSink: AsyncStream<KafkaConsumerEvent>.Continuation
    /// Messages (or batches) handed to the loop so far, and whether the loop is waiting for the next one.
    let readerProgress = Atomic<UInt64>(0)
    let readerWaiting = Atomic<Bool>(true)
    /// The latest assignment epoch the loop's iterator has seen, after storing the offsets of every message the
    /// loop finished with.
    let readerSeenEpoch = Atomic<UInt64>(0)
    /// The batch the per-message loop is working through, shared with a close, which cannot wait for the loop to
    /// ask for its next message (the loop may be what called `close()`): see ``storeReaderProgressForClose()``.
    private let readerCursor = Mutex(ReaderCursor())
    /// While the assign hook runs inside librdkafka's rebalance callback (before the assign): the partitions being
    /// assigned and the start offsets the hook's seeks asked for. See ``startOffsets(assigning:)``.
    private let assigning = Mutex<(partitions: Set<KafkaTopicPartition>, starts: [KafkaTopicPartition: KafkaOffset])?>(
        nil
    )
    /// Set when the assign hook ran before the assign, so the `.assigned` notification does not run it again.
    private let assignHookRan = Atomic<Bool>(false)
    /// Set once the close ran the revocation itself (before `rd_kafka_consumer_close`); poll thread only.
    private let revokedForClose = Atomic<Bool>(false)
    /// Messages handed to the sequence's buffer and not yet taken by the loop's iterator.
    let bufferedMessages = Atomic<Int>(0)
    /// How often fetching left idle by librdkafka was restarted (``FetchBackoffWatch``), for tests and diagnostics.
    let fetchRestarts = Atomic<Int>(0)
    /// How often the end was handed to the loop (stopAtEndOfPartitions), for tests and diagnostics.
    let endsHandedOver = Atomic<Int>(0)
    /// Watches for fetching left idle by librdkafka, and keeps the positions to restart it from. Poll thread only
    /// (the lock is uncontended; it makes the core `Sendable`).
    private let fetchWatch: Mutex<FetchBackoffWatch>
    /// Whether fetching left idle by librdkafka is restarted (``FetchBackoffWatch``): only where librdkafka has no
    /// `fetch.queue.backoff.ms` (before 2.2), the knob that bounds the idle time on later versions.
    private let restartsIdleFetch: Bool
    /// Set by ``KafkaConsumer/batches(maxCount:maxWait:)``: the poll thread fills batches up to this.
    private let batchTarget = Mutex<(count: Int, wait: Duration)?>(nil)

    init(
        client: RDKafkaClient,
        configuration: KafkaConsumerConfiguration,
        rebalanceHandler: KafkaRebalanceHandler?,
        events: AsyncStream<KafkaConsumerEvent>.Continuation
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = client.logger
        self.rebalanceHandler = rebalanceHandler
        self.eventSink = events
        let limits = configuration.effectivePrefetchLimits
        self.fetchWatch = Mutex(FetchBackoffWatch(messageLimit: limits.messages, byteLimit: limits.bytes))
        self.restartsIdleFetch = !Librdkafka.hasFetchQueueBackoff
    }

    // MARK: Any thread

    func produceMore() {
        if state.withLock({ $0.produceMore() }) { client.wakeUp() }
    }

    func stopProducing(seenDemand: UInt64) {
        _ = state.withLock { $0.stopProducing(now: .now, seenDemand: seenDemand) }
    }

    /// Stores, per partition, the offset after the last of `messages`: they were processed (at-least-once).
    /// Runs on the reader's task; one non-blocking `rd_kafka_offsets_store` per call.
    func markProcessed(_ messages: ArraySlice<KafkaConsumerMessage>) {
        guard configuration.consumptionStrategy.groupID != nil, !messages.isEmpty else { return }
        var next: [KafkaTopicPartition: KafkaOffset] = [:]
        messages.recordNextOffsets(into: &next)
        client.storeOffsets(next.map { ($0.key, $0.value) })
    }

    /// The per-message loop's iterator took `messages` as its batch, after `handedOutBefore` messages in all; the
    /// first `processed` of them are stored already.
    func readerTook(_ messages: [KafkaConsumerMessage], handedOutBefore: UInt64, processed: Int) {
        readerCursor.withLock { cursor in
            cursor.messages = messages
            cursor.handedOutBefore = handedOutBefore
            cursor.stored = processed
        }
    }

    /// The per-message loop finished with the first `count` messages of its batch: stores their offsets, unless a
    /// close took over (it stored what the loop had finished with when it began).
    func readerProcessed(upTo count: Int) {
        readerCursor.withLock { cursor in
            guard !cursor.closing, count > cursor.stored, count <= cursor.messages.count else { return }
            markProcessed(cursor.messages[cursor.stored..<count])
            cursor.stored = count
        }
    }

    /// The per-message loop ended, having finished with the first `processed` messages of its batch (not with the
    /// last one it took): stores them; a close that follows stores nothing more.
    func readerEnded(processed: Int) {
        readerProcessed(upTo: processed)
        readerCursor.withLock { $0.closing = true }
    }

    /// A close begins: stores the offsets of every message the per-message loop finished with (all it took but
    /// the one in its hands, or all of them if it is waiting for more); from here on the loop stores nothing.
    private func storeReaderProgressForClose() {
        storeReaderProgress(closing: true)
    }

    /// Stores the offsets of every message the per-message loop finished with: all it took but the one in its
    /// hands, or all of them if it is waiting for more. `closing`: from here on the loop stores nothing.
    private func storeReaderProgress(closing: Bool) {
        readerCursor.withLock { cursor in
            guard !cursor.closing else { return }  // the loop ended and stored its progress itself
            if closing { cursor.closing = true }
            let handedOut = readerProgress.load(ordering: .acquiring)
            guard handedOut > cursor.handedOutBefore else { return }
            var finished = Int(handedOut - cursor.handedOutBefore)
            if !readerWaiting.load(ordering: .acquiring) { finished -= 1 }
            finished = min(finished, cursor.messages.count)
            guard finished > cursor.stored else { return }
            markProcessed(cursor.messages[cursor.stored..<finished])
            cursor.stored = finished
        }
    }

    /// Messages fetched and not yet taken by the loop: in the consumer's buffer, and in librdkafka's consumer queue.
    func bufferedCounts() -> (handedOver: Int, inLibrdkafka: Int) {
        let handedOver = bufferedMessages.load(ordering: .relaxed)
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
        filter.withLock { filter in
            messages.filter {
                filter.isValid(KafkaTopicPartition(topic: $0.topic, partition: $0.partition), fetchedAt: fetchEpoch)
            }
        }
    }

    private func updateFilter(_ body: (inout AssignmentFilter) -> Void) {
        filter.withLock { filter in
            body(&filter)
            filterEpoch.store(filter.epoch, ordering: .releasing)
        }
    }

    func setBatchTarget(count: Int, wait: Duration) {
        batchTarget.withLock { $0 = (count, wait) }
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
            if commands.withLock({ $0.append(command) }) {
                client.wakeUp()
            } else {
                command.fail()
            }
        }
    }

    /// Runs the queued commands. Poll thread only.
    private func runCommands() {
        while let batch = commands.withLock({ $0.takeAll() }) {
            for command in batch { command.run(client) }
        }
    }

    func commit(_ offsets: [(KafkaTopicPartition, KafkaOffset)]?, timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        try await perform("commit") { client throws(KafkaError) in try client.commit(offsets, deadline: deadline) }
    }

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
    func seek(_ offsets: [(KafkaTopicPartition, KafkaOffset)]) async throws {
        try await perform("seek") { [self] client throws(KafkaError) in
            // From the assign hook, for a partition being assigned: it becomes the assignment's start offset.
            let remaining = assigning.withLock { assigning -> [(KafkaTopicPartition, KafkaOffset)] in
                guard var pending = assigning else { return offsets }
                defer { assigning = pending }
                return offsets.filter { partition, offset in
                    guard pending.partitions.contains(partition) else { return true }
                    pending.starts[partition] = offset
                    return false
                }
            }
            guard !remaining.isEmpty else { return }
            try client.seek(remaining, timeoutMilliseconds: 10_000)
            if configuration.stopAtEndOfPartitions { repositionEnds(remaining) }
            updateFilter { $0.reposition(remaining.map(\.0)) }
        }
    }

    /// Tells the end tracking where seeks moved partitions: back from an end, a partition has to be read to it
    /// again (librdkafka does not report the same end twice). Poll thread.
    private func repositionEnds(_ offsets: [(KafkaTopicPartition, KafkaOffset)]) {
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
        assigning.withLock { $0 = (Set(partitions), [:]) }
        runHook(\.onAssigned, partitions)
        assignHookRan.store(true, ordering: .relaxed)
        return assigning.withLock { assigning in
            defer { assigning = nil }
            return assigning?.starts ?? [:]
        }
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
        if case .startClose = state.withLock({ $0.close(nil, deadline: deadline) }) { client.wakeUp() }
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
            if case .startClose = state.withLock({ $0.close(nil, deadline: deadline) }) { client.wakeUp() }
            return Self.hookWaitError("close()")
        }
        return await withCheckedContinuation { (continuation: Waiter) in
            switch state.withLock({ $0.close(continuation, deadline: deadline) }) {
            case .startClose: client.wakeUp()
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

    private static func hookWaitError(_ call: String) -> KafkaError {
        KafkaError(
            code: .invalidUsage,
            message: "\(call) cannot wait for the consumer's close inside its own rebalance hook (the close waits for "
                + "the hook); the close starts once the hook returns"
        )
    }

    // MARK: Poll thread

    /// Called from librdkafka's callbacks (and for a fixed assignment), on the poll thread.
    func notified(_ notification: ClientNotification) {
        switch notification {
        case .assigned(let partitions):
            let action = state.withLock { $0.assigned(partitions) }
            apply(action)
            updateFilter { $0.assign(partitions) }
            eventSink.yield(.assigned(partitions))
            // A group's assign hook ran already, before the assign (startOffsets(assigning:)); a fixed
            // assignment's runs here.
            if !assignHookRan.exchange(false, ordering: .relaxed) { runHook(\.onAssigned, partitions) }
        case .revoked(let partitions):
            // The close ran the revocation already, while the group coordinator still answered.
            if revokedForClose.load(ordering: .relaxed) { return }
            // From here on the loop gets no message of these partitions; once it has stored what it finished with,
            // the hook may commit for them. A loop stuck on a message (the member left for it) is not waited for:
            // what it finished with was stored as it left.
            updateFilter { $0.revoke(partitions) }
            let stuck = state.withLock { state in
                state.revoked(partitions)
                return state.leftForStall
            }
            if !stuck { waitForReaderProgress() }
            eventSink.yield(.revoked(partitions))
            runHook(\.onRevoked, partitions)
        case .lost(let partitions):
            updateFilter { $0.revoke(partitions) }
            state.withLock { $0.revoked(partitions) }
            eventSink.yield(.lost(partitions))
            runHook(\.onLost, partitions)
        case .commitFailed(let error):
            eventSink.yield(.commitFailed(error))
        case .error(let error):
            eventSink.yield(.error(error))
        }
    }

    /// Waits until the loop has stored the offsets of every message it finished with: it is waiting for the next
    /// batch, or has asked for its next message since the assignment epoch moved (as a Java consumer's revocation
    /// runs inside the next `poll`). Bounded by `max.poll.interval.ms`, the longest the group waits for a member in
    /// a rebalance; runs queued commands meanwhile.
    private func waitForReaderProgress() {
        let epoch = currentEpoch
        let deadline = ContinuousClock.now.advanced(by: configuration.maxPollInterval)
        serveCommands {
            readerWaiting.load(ordering: .acquiring) || readerSeenEpoch.load(ordering: .acquiring) >= epoch
                || !state.withLock({ $0.isRunning }) || ContinuousClock.now >= deadline
        }
    }

    /// Runs queued commands on the poll thread, every millisecond, until `done` says so.
    private func serveCommands(until done: () -> Bool) {
        while !done() {
            runCommands()
            Self.sleep(milliseconds: 1)
        }
        runCommands()
    }

    /// Runs a rebalance hook on a task and waits for it here, on the poll thread, so the rebalance completes only
    /// after it; meanwhile runs the commands the hook (or anyone) queues, so a hook can commit.
    ///
    /// The wait ends at ``KafkaConsumerConfiguration/rebalanceHookTimeout`` (or at the close's deadline during a
    /// close): the hook's task is cancelled, the rebalance goes on, and the events stream reports
    /// ``KafkaError/Code/timedOut``. Returns that error, or `nil` when the hook returned in time.
    @discardableResult
    private func runHook(
        _ hook: KeyPath<KafkaRebalanceHandler, @Sendable (KafkaRebalanceContext) async -> Void>,
        _ partitions: [KafkaTopicPartition]
    ) -> KafkaError? {
        guard let handler = rebalanceHandler, !partitions.isEmpty else { return nil }
        let body = handler[keyPath: hook]
        let done = HookCompletion()
        let context = KafkaRebalanceContext(partitions: partitions, core: self)
        let owner = ObjectIdentifier(self)
        // A task, not the poll thread: the hook is async and may call back into the consumer (commit, seek), which
        // this thread serves meanwhile.
        let task = Task {
            await Self.$runningHookOf.withValue(owner) { await body(context) }
            done.finished.store(true, ordering: .releasing)
        }
        let started = ContinuousClock.now
        var deadline = started.advanced(by: configuration.rebalanceHookTimeout)
        if let closeDeadline = state.withLock({ $0.closeDeadline }) { deadline = min(deadline, closeDeadline) }
        var lastWarning = started
        serveCommands {
            let now = ContinuousClock.now
            if now - lastWarning > .seconds(10) {
                lastWarning = now
                logger.warning(
                    "a rebalance hook has been running for over \(now - started); the rebalance waits for it"
                )
            }
            return done.finished.load(ordering: .acquiring) || now >= deadline
        }
        guard !done.finished.load(ordering: .acquiring) else { return nil }
        task.cancel()
        let name = hook == \.onAssigned ? "onAssigned" : hook == \.onRevoked ? "onRevoked" : "onLost"
        let error = KafkaError(
            code: .timedOut,
            message: "the \(name) hook for \(partitions) did not return within \(ContinuousClock.now - started); "
                + "the rebalance went on without it (its task was cancelled)"
        )
        logger.warning("\(error.message)")
        eventSink.yield(.error(error))
        return error
    }

    private func apply(_ action: ConsumerStateMachine<Waiter>.FetchAction) {
        switch action {
        case .poll, .wait: break
        case .pause(let partitions):
            logger.trace("reader saturated: pausing fetch", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            client.setPaused(true, partitions: partitions)
        case .resume(let partitions):
            logger.trace("reader caught up: resuming fetch", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            client.setPaused(false, partitions: partitions)
            // librdkafka 2.0.2's resume does not wake the broker threads, which may sleep up to 1 s.
            if restartsIdleFetch {
                restartFetch(partitions, positions: fetchWatch.withLock { $0.positions(atEpoch: currentEpoch) })
            }
        }
    }

    /// How long the reader may stay behind before fetching is paused (until then, fetched messages wait in
    /// librdkafka's bounded queue).
    static let pauseAfter: Duration = .seconds(1)

    func runPollLoop(source: Source) {
        var failure: (any Error)? = nil
        do {
            try start()
        } catch {
            failure = error
            requestClose()
        }
        // With stopAtEndOfPartitions: the assignment epoch at which the end was handed over, while it stands.
        var endEpoch: UInt64? = nil
        let buffer = ConsumeBuffer()
        var stall = StallWatch()
        while state.withLock({ $0.isRunning }) {
            runCommands()
            watchForStall(&stall)
            if configuration.stopAtEndOfPartitions { endEpoch = handOverEnd(source: source, handedOverAt: endEpoch) }
            let action = state.withLock { $0.nextFetchAction(now: .now, pauseAfter: Self.pauseAfter) }
            if case .wait = action {
                Self.sleep(milliseconds: 1)
                continue
            }
            if action != .poll { fetchWatch.withLock { $0.reset() } }
            apply(action)
            let batch = fetch(buffer: buffer, restart: endEpoch == nil)
            if batch.isEmpty { continue }
            for error in batch.errors {
                if error.isFatal {
                    logger.error("consumer failed: \(error)")
                    failure = error
                    requestClose()
                } else {
                    logger.warning("consumer error: \(error)")
                    eventSink.yield(.error(error))
                }
            }
            if configuration.reportPartitionEnds {
                for (partition, offset) in batch.partitionEnds {
                    eventSink.yield(.partitionEnd(partition, offset: offset))
                }
            }
            // A rebalance served by this poll may have moved the assignment off the end.
            if let epoch = endEpoch, epoch != currentEpoch {
                endEpoch = handOverEnd(source: source, handedOverAt: epoch)
            }
            // At the end every partition is paused: librdkafka hands out nothing fetched before the pause.
            guard endEpoch == nil else {
                if !batch.messages.isEmpty {
                    logger.debug("\(batch.messages.count) messages polled at the end, dropped")
                }
                continue
            }
            if !batch.messages.isEmpty {
                bufferedMessages.wrappingAdd(batch.messages.count, ordering: .relaxed)
                yield(ConsumerBatch(messages: batch.messages, epoch: currentEpoch), to: source)
            }
            if configuration.stopAtEndOfPartitions { trackEnds(batch) }
        }
        finishClose(source: source, failure: failure)
    }

    /// Updates the end tracking with what a poll brought (stopAtEndOfPartitions). Poll thread.
    private func trackEnds(_ batch: ConsumedBatch) {
        var next: [KafkaTopicPartition: KafkaOffset] = [:]
        batch.messages.recordNextOffsets(into: &next)
        let ownEnds = state.withLock { state in
            var ownEnds: [(KafkaTopicPartition, KafkaOffset)] = []
            for (partition, offset) in next where state.received(partition, next: offset.rawValue) {
                ownEnds.append((partition, offset))
            }
            for (partition, offset) in batch.partitionEnds {
                state.reachedEnd(partition, offset: offset.rawValue)
            }
            return ownEnds
        }
        // Ends librdkafka does not report (a partition seeked back and read to its end again).
        if configuration.reportPartitionEnds {
            for (partition, offset) in ownEnds { eventSink.yield(.partitionEnd(partition, offset: offset)) }
        }
    }

    /// With stopAtEndOfPartitions, hands the end over once every assigned partition was read to its end, and
    /// takes it back when a seek or a rebalance moved the assignment since. The end is a marker after the last
    /// message: the loop ends there only if the assignment did not move meanwhile (seen from the loop), and the
    /// poll thread goes on serving commands, so a seek made while the loop works through what was buffered before
    /// the end is carried out, not lost. Returns the epoch of the end handed over, or `nil`. Poll thread.
    private func handOverEnd(source: Source, handedOverAt endEpoch: UInt64?) -> UInt64? {
        let epoch = currentEpoch
        if endEpoch == epoch { return endEpoch }
        let (allAtEnd, action) = state.withLock { state -> (Bool, ConsumerStateMachine<Waiter>.FetchAction) in
            guard endEpoch != nil, !state.allAtEnd else { return (state.allAtEnd, .poll) }
            return (false, state.resumeAfterEnd())
        }
        guard allAtEnd else {
            if endEpoch != nil {
                logger.debug("reading on past the end: a seek or a rebalance moved the assignment")
                apply(action)
            }
            return nil
        }
        logger.debug("every assigned partition read to its end")
        if endEpoch == nil { apply(state.withLock { $0.pauseAtEnd() }) }
        endsHandedOver.wrappingAdd(1, ordering: .relaxed)
        yield(ConsumerBatch(messages: [], epoch: epoch, isEnd: true), to: source)
        return epoch
    }

    /// Hands `batch` to the loop, and holds fetching back when its buffer is full. Poll thread.
    private func yield(_ batch: ConsumerBatch, to source: Source) {
        let demand = state.withLock { $0.demandGeneration }
        switch source.yield(batch) {
        case .produceMore: break
        case .stopProducing: stopProducing(seenDemand: demand)
        case .dropped: requestClose()
        }
    }

    /// Takes the next batch from librdkafka: what is ready (up to the buffer's batch size), or, for
    /// ``KafkaConsumer/batches(maxCount:maxWait:)``, up to its count, waiting up to its time after the first message.
    private func fetch(buffer: ConsumeBuffer, restart: Bool) -> ConsumedBatch {
        func take(timeoutMilliseconds: Int32, maxCount: Int) -> ConsumedBatch {
            let batch = client.consumeBatch(
                timeoutMilliseconds: timeoutMilliseconds,
                maxCount: maxCount,
                buffer: buffer
            )
            guard restartsIdleFetch else { return batch }
            let epoch = currentEpoch
            let positions: [KafkaTopicPartition: KafkaOffset]? = fetchWatch.withLock { watch in
                watch.took(batch.messages, epoch: epoch)
                let stopped = watch.observe(
                    taken: batch.messages.count,
                    takenBytes: batch.payloadBytes,
                    remaining: batch.remaining
                )
                return stopped && restart ? watch.positions(atEpoch: epoch) : nil
            }
            if let positions, restartFetch(state.withLock { $0.restartablePartitions }, positions: positions) {
                fetchRestarts.wrappingAdd(1, ordering: .relaxed)
            }
            return batch
        }
        let timeout = restartsIdleFetch ? fetchWatch.withLock { $0.pollTimeoutMilliseconds } : 100
        guard let target = batchTarget.withLock({ $0 }) else {
            return take(timeoutMilliseconds: timeout, maxCount: configuration.buffer.batchSize)
        }
        var batch = take(timeoutMilliseconds: timeout, maxCount: target.count)
        guard !batch.messages.isEmpty else { return batch }
        let deadline = ContinuousClock.now.advanced(by: target.wait)
        while batch.messages.count < target.count, batch.errors.isEmpty {
            let left = deadline - .now
            guard left > .zero else { break }
            let more = take(
                timeoutMilliseconds: min(Self.milliseconds(left), 100),
                maxCount: target.count - batch.messages.count
            )
            batch.messages += more.messages
            batch.partitionEnds += more.partitionEnds
            batch.errors += more.errors
            // A rebalance or a command must not wait for the batch to fill.
            if state.withLock({ !$0.isRunning }) || commands.withLock({ !$0.isEmpty }) { break }
        }
        return batch
    }

    /// Wakes fetching that librdkafka left idle (see ``FetchBackoffWatch``): seeks each of `candidates` that
    /// has a position (the offset after the last message taken since the assignment last changed) and is not at
    /// its end, to that position. A seek to a concrete offset is what wakes a broker thread in librdkafka 2.0.2
    /// (a resume does not), and the thread then looks at every partition it fetches. With the queue empty
    /// nothing is dropped; a fetch response that lands meanwhile is discarded by the seek and fetched again from
    /// the position. A partition without position is left alone (its broker thread wakes with the other
    /// partitions it leads).
    /// Returns whether it seeked any partition.
    @discardableResult
    private func restartFetch(_ candidates: [KafkaTopicPartition], positions: [KafkaTopicPartition: KafkaOffset])
        -> Bool
    {
        let seeks: [(KafkaTopicPartition, KafkaOffset)] = candidates.compactMap { partition in
            guard let position = positions[partition] else { return nil }
            if let watermarks = client.cachedWatermarks(partition), watermarks.high.rawValue <= position.rawValue {
                return nil  // at its end: nothing to fetch
            }
            return (partition, position)
        }
        guard !seeks.isEmpty else { return false }
        logger.debug(
            "restarting fetch left idle by librdkafka",
            metadata: [
                KafkaLoggingKeys.partitions:
                    "\(seeks.count) of \(candidates.count) (\(positions.count) with a position)"
            ]
        )
        do {
            try client.seek(seeks, timeoutMilliseconds: 0)
            return true
        } catch {
            logger.debug("restarting fetch: \(error)")
            return false
        }
    }

    /// Keeps Kafka's liveness contract: a member whose loop holds one message longer than `max.poll.interval.ms`
    /// leaves its group (reported as ``KafkaConsumerEvent/pollIntervalExceeded(_:)``, then the revocation), so its
    /// partitions move to the other members; it rejoins once the loop asks for its next message. What the loop
    /// finished with is stored before it leaves; the message in its hands is not. Without a group the stall is
    /// only reported.
    ///
    /// librdkafka's own `max.poll.interval.ms` check never fires: this thread polls all along, to serve
    /// rebalances, commands and logs while the loop works.
    private func watchForStall(_ watch: inout StallWatch) {
        let now = ContinuousClock.now
        let progress = readerProgress.load(ordering: .relaxed)
        if readerWaiting.load(ordering: .relaxed) || progress != watch.progress {
            watch = StallWatch(progress: progress, since: now)
            if state.withLock({ $0.loopMovedOn() }), case .group(_, let topics) = configuration.consumptionStrategy.kind
            {
                logger.info("the messages loop moved on: rejoining the group")
                do {
                    try client.subscribe(topics: topics)
                } catch {
                    logger.error("rejoining the group failed: \(error)")
                    eventSink.yield(.error(error))
                }
            }
            return
        }
        let held = now - watch.since
        guard !watch.reported, held > configuration.maxPollInterval else { return }
        watch.reported = true
        let inGroup = configuration.consumptionStrategy.groupID != nil
        let leaving = inGroup ? ": leaving the group until it asks for the next one" : ""
        logger.warning(
            "the messages loop has held a message for \(held) (max.poll.interval.ms \(configuration.maxPollInterval))\(leaving)"
        )
        eventSink.yield(.pollIntervalExceeded(held))
        guard inGroup, state.withLock({ $0.loopStalled() }) else { return }
        storeReaderProgress(closing: false)
        do {
            try client.unsubscribe()
        } catch {
            logger.error("leaving the group failed: \(error)")
            eventSink.yield(.error(error))
        }
    }

    private func start() throws(KafkaError) {
        switch configuration.consumptionStrategy.kind {
        case .group(let id, let topics):
            logger.debug(
                "subscribing",
                metadata: [KafkaLoggingKeys.groupID: "\(id)", KafkaLoggingKeys.topic: "\(topics)"]
            )
            try client.subscribe(topics: topics)
        case .partitions(let partitions):
            let list = partitions.map { ($0.key, $0.value) }
            try assign(list)
        case .topics(let topics, let offset):
            var list: [(KafkaTopicPartition, KafkaOffset)] = []
            for topic in topics {
                let count = try partitionCount(of: topic)
                for p in 0..<count {
                    list.append((KafkaTopicPartition(topic: topic, partition: KafkaPartition(p)), offset))
                }
            }
            try assign(list)
        }
    }

    private func assign(_ list: [(KafkaTopicPartition, KafkaOffset)]) throws(KafkaError) {
        logger.debug("assigning", metadata: [KafkaLoggingKeys.partitions: "\(list.map(\.0))"])
        try client.assign(list)
        notified(.assigned(list.map(\.0)))
    }

    /// Looks up a topic's partition count, retrying while the cluster has no leader for it yet.
    private func partitionCount(of topic: String) throws(KafkaError) -> Int {
        let start = ContinuousClock.now
        let deadline = start.advanced(by: .seconds(30))
        // A topic created a moment ago may not be known to every broker yet: give it a few seconds.
        let unknownTopicGrace = start.advanced(by: .seconds(5))
        while true {
            switch client.partitionCount(topic: topic, timeoutMilliseconds: 1_000) {
            case .success(let count) where count > 0:
                return count
            case .success:
                break
            case .failure(let error)
            where error.code == .unknownTopicOrPartition && ContinuousClock.now < unknownTopicGrace:
                logger.debug("topic \(topic) not known yet: \(error)")
                Self.sleep(milliseconds: 200)
            case .failure(let error) where error.isRetriable && error.code != .unknownTopicOrPartition:
                logger.debug("metadata for \(topic) not ready: \(error)")
            case .failure(let error):
                throw error
            }
            guard state.withLock({ $0.isRunning }) else { throw KafkaError.shutdown("partition lookup") }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .timedOut, message: "no metadata for topic \(topic) within 30 s", topic: topic)
            }
        }
    }

    /// Sleeps the poll thread (never a task: this runs on the library's own thread).
    private static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1_000, tv_nsec: (milliseconds % 1_000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }

    private func finishClose(source: Source, failure: (any Error)?) {
        logger.debug("closing consumer")
        // The loop gets no further message (what it took now could not be committed any more); then what it
        // finished with is stored. In this order a message the loop takes meanwhile counts as in its hands.
        let assignedAtClose = state.withLock { $0.assigned }
        updateFilter { $0.revoke(Array(assignedAtClose)) }
        storeReaderProgressForClose()
        client.guard.closeAndWait()
        runCommands()  // e.g. a commit asked for just before the close
        // Revoke (events, hook) before rd_kafka_consumer_close: inside it, the group coordinator no longer answers
        // the hook's committed-offset queries.
        let assigned = state.withLock { $0.assigned }
        var outcome: KafkaError? = nil
        if configuration.consumptionStrategy.groupID != nil, !assigned.isEmpty {
            let partitions = assigned.sorted { ($0.topic, $0.partition.rawValue) < ($1.topic, $1.partition.rawValue) }
            state.withLock { $0.revoked(partitions) }
            eventSink.yield(.revoked(partitions))
            outcome = runHook(\.onRevoked, partitions)  // bounded by the close's deadline too
        }
        revokedForClose.store(true, ordering: .relaxed)
        let deadline = state.withLock { $0.closeDeadline } ?? .now.advanced(by: configuration.closeTimeout)
        let closeError = client.closeConsumer(deadline: deadline)
        if let closeError {
            logger.warning("consumer close: \(closeError)")
            if outcome == nil { outcome = closeError }
        }
        runCommands()
        for command in commands.withLock({ $0.close() }) { command.fail() }
        readerCursor.withLock { $0.messages = [] }
        let finishWaits = { [self] in
            eventSink.finish()
            // The observer closure holds this core (core -> client -> callbacks -> observer): break the cycle.
            self.client.callbacks.removeObserver()
            // What is still buffered is of partitions revoked above (the loop would drop it): dropping it now frees
            // its librdkafka messages, and so the handle, even if the loop never asks again.
            source.finish(failure, discardingBuffered: true)
            let waiters = state.withLock { $0.closed() }
            for waiter in waiters { waiter.resume(returning: outcome) }
        }
        // A close cut short leaves librdkafka's group handling running: its destroy then waits for the group's
        // requests to time out (about 50 s with the coordinator gone). Nobody waits for that.
        if closeError != nil { finishWaits() }
        // librdkafka requires every message destroyed before the handle: the destroy waits for the last
        // message the application (or the sequence's buffer) still holds. Destroying is blocking, so it never
        // runs on the thread that dropped that message (maybe one of Swift's cooperative pool).
        let client = self.client
        let logger = self.logger
        if client.leases.deferUntilReleased({ Self.destroyOnOwnThread(client, logger: logger) }) {
            logger.debug("consumer closed; its handle is freed once the messages still held are released")
        } else {
            client.destroy()
        }
        if closeError == nil { finishWaits() }
        logger.debug("consumer closed")
    }
}

extension ConsumerCore {
    /// Destroys `client` on a thread of its own (destroying blocks), or here if no thread can be started.
    fileprivate static func destroyOnOwnThread(_ client: RDKafkaClient, logger: Logger) {
        do {
            try KafkaThread.detach(name: "kafka-destroy") { client.destroy() }
        } catch {
            logger.warning("\(error); destroying the consumer's handle on the calling thread")
            client.destroy()
        }
    }
}

/// See ``ConsumerCore/readerTook(_:handedOutBefore:processed:)``.
private struct ReaderCursor {
    var messages: [KafkaConsumerMessage] = []
    var handedOutBefore: UInt64 = 0
    /// How many of `messages` have their offsets stored.
    var stored = 0
    var closing = false
}

/// A control call queued for the poll thread.
struct Command: Sendable {
    let run: @Sendable (RDKafkaClient) -> Void
    let fail: @Sendable () -> Void
}

/// The poll thread's command queue; closed (every later command fails) once the handle is destroyed.
struct CommandQueue: Sendable {
    private var items: [Command] = []
    private var isOpen = true

    var isEmpty: Bool { items.isEmpty }

    /// Queues `command`; `false` when closed.
    mutating func append(_ command: Command) -> Bool {
        guard isOpen else { return false }
        items.append(command)
        return true
    }

    mutating func takeAll() -> [Command]? {
        guard !items.isEmpty else { return nil }
        defer { items = [] }
        return items
    }

    mutating func close() -> [Command] {
        isOpen = false
        defer { items = [] }
        return items
    }
}

/// One batch handed to the loop, stamped with the assignment epoch at which it was taken from librdkafka.
struct ConsumerBatch: Sendable {
    var messages: [KafkaConsumerMessage]
    let epoch: UInt64
    /// The end (stopAtEndOfPartitions): every partition was read to its end at `epoch`. No messages. The loop
    /// ends here unless the assignment moved since.
    var isEnd = false
}

extension BatchHandOver<ConsumerBatch> {
    /// The loop's iterator took the end `marker`: unless a seek or a rebalance moved the assignment since it was
    /// handed over, the sequence ends here (what the poll thread yields after it is dropped).
    func reached(end marker: ConsumerBatch, currentEpoch: UInt64) {
        if marker.epoch == currentEpoch { finish() }
    }
}

private final class HookCompletion: Sendable {
    let finished = Atomic<Bool>(false)
}

private struct StallWatch {
    var progress: UInt64 = 0
    var since: ContinuousClock.Instant = .now
    var reported = false
}
