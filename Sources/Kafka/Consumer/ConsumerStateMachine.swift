/// The consumer's lifecycle, assignment and fetch state. A pure state machine: the owner keeps it in a `Mutex`
/// and carries out the returned actions (librdkafka calls, resumes) after unlocking.
struct ConsumerStateMachine<Waiter> {
    private enum Lifecycle {
        case running
        /// `revoked`: the close ran the final revocation itself (before `rd_kafka_consumer_close`, while the group
        /// coordinator still answers), so the one librdkafka reports inside its close is not run again.
        case closing(revoked: Bool)
        case closed
    }

    private var lifecycle: Lifecycle = .running
    private var closeWaiters: [Waiter] = []
    /// Whether fetching is paused in librdkafka (backpressure).
    private var fetchPaused = false
    /// Whether fetching is paused because every assigned partition was read to its end
    /// (``KafkaConsumerConfiguration/stopAtEndOfPartitions``), until a seek or a rebalance moves one.
    private var endPaused = false
    /// Partitions the user paused (``KafkaConsumer/pause(_:)``); backpressure never resumes them.
    private(set) var userPaused: Set<KafkaTopicPartition> = []
    private(set) var ends = PartitionEndTracker()

    init() {}

    var isRunning: Bool {
        if case .running = lifecycle { return true }
        return false
    }

    var assigned: Set<KafkaTopicPartition> { ends.assigned }

    // MARK: Backpressure

    typealias Instant = ContinuousClock.Instant

    /// Since when the reader has wanted no more messages, if it does now.
    private var saturatedSince: Instant?

    /// Counts the reader's demand signals, so a `stopProducing` answer that crossed a later `produceMore` is ignored.
    private(set) var demandGeneration: UInt64 = 0

    /// The reader's buffer is full (a yield made when ``demandGeneration`` was `seenDemand` said so). Ignored when
    /// the reader asked for more since: the sequence's delegate may report the demand before the yield returns,
    /// and honouring the stale answer would hold the loop back with nobody left to wake it. Returns whether the poll
    /// loop must be woken (it never needs to: it checks before each poll).
    mutating func stopProducing(now: Instant, seenDemand: UInt64) -> Bool {
        guard saturatedSince == nil, demandGeneration == seenDemand else { return false }
        saturatedSince = now
        return false
    }

    /// The reader drained its buffer below the low watermark. Returns whether the poll loop must be woken
    /// (only while running and fetching is paused: a wake-up during `rd_kafka_consumer_close` would end its
    /// wait early, and a loop that is only holding back wakes by itself within a millisecond).
    mutating func produceMore() -> Bool {
        demandGeneration &+= 1
        guard saturatedSince != nil else { return false }
        saturatedSince = nil
        guard case .running = lifecycle else { return false }
        return fetchPaused
    }

    enum FetchAction: Equatable {
        /// Poll librdkafka for messages and events.
        case poll
        /// Hold back: leave fetched messages in librdkafka's queue (bounded by its `queued.*` limits) for now.
        case wait
        /// Pause fetching these partitions (drops what librdkafka prefetched), then poll for events only.
        case pause([KafkaTopicPartition])
        /// Resume fetching these partitions, then poll.
        case resume([KafkaTopicPartition])
    }

    /// What the poll loop does next. While the reader is behind, the loop first holds back (so librdkafka keeps
    /// its prefetched messages, which a pause would throw away); if the reader stays behind longer than
    /// `pauseAfter`, fetching is paused, and the loop keeps polling for events (rebalances, `max.poll.interval.ms`).
    mutating func nextFetchAction(now: Instant, pauseAfter: Duration) -> FetchAction {
        switch (saturatedSince, fetchPaused) {
        case (nil, false):
            return .poll
        case (nil, true):
            fetchPaused = false
            return endPaused ? .poll : .resume(ends.assigned.subtracting(userPaused).sorted(by: Self.order))
        case (_?, true):
            return .poll
        case (let since?, false):
            guard since.advanced(by: pauseAfter) <= now else { return .wait }
            fetchPaused = true
            return .pause(ends.assigned.sorted(by: Self.order))
        }
    }

    /// The partitions fetching may be restarted for (``FetchBackoffWatch``): assigned, not paused by the user,
    /// none while backpressure (or the end of every partition) holds fetching paused.
    var restartablePartitions: [KafkaTopicPartition] {
        fetchPaused || endPaused ? [] : ends.assigned.subtracting(userPaused).sorted(by: Self.order)
    }

    // MARK: Assignment

    /// Partitions were assigned; newly assigned partitions are paused too while the reader is saturated, and those
    /// the user paused before they were assigned.
    mutating func assigned(_ partitions: [KafkaTopicPartition]) -> FetchAction {
        ends.assign(partitions)
        let toPause = fetchPaused ? partitions : partitions.filter { userPaused.contains($0) }
        return toPause.isEmpty ? .poll : .pause(toPause.sorted(by: Self.order))
    }

    mutating func revoked(_ partitions: [KafkaTopicPartition]) {
        ends.revoke(partitions)
        userPaused.subtract(partitions)
    }

    /// The user pauses or resumes `partitions`. Only assigned partitions are touched in librdkafka; while
    /// backpressure holds fetching paused, a resume takes effect when it lifts.
    mutating func setUserPaused(_ paused: Bool, partitions: [KafkaTopicPartition]) -> FetchAction {
        let assignedOnes = partitions.filter { ends.assigned.contains($0) }.sorted(by: Self.order)
        if paused {
            userPaused.formUnion(partitions)
            return fetchPaused || assignedOnes.isEmpty ? .poll : .pause(assignedOnes)
        } else {
            userPaused.subtract(partitions)
            return fetchPaused || endPaused || assignedOnes.isEmpty ? .poll : .resume(assignedOnes)
        }
    }

    // MARK: Partition ends

    /// Messages of `partition` were read up to `next`; returns whether that reached the end a seek back armed.
    mutating func received(_ partition: KafkaTopicPartition, next: Int64) -> Bool {
        ends.received(partition, next: next)
    }

    /// librdkafka reported `partition` at its end, `offset`.
    mutating func reachedEnd(_ partition: KafkaTopicPartition, offset: Int64? = nil) {
        ends.reachedEnd(partition, offset: offset)
    }

    /// `partition` was seeked to `target` (`nil`: its logical end); see ``PartitionEndTracker``.
    mutating func repositioned(_ partition: KafkaTopicPartition, to target: Int64?, knownEnd: Int64?) {
        ends.repositioned(partition, to: target, knownEnd: knownEnd)
    }

    var allAtEnd: Bool { ends.allAtEnd }

    /// Every assigned partition was read to its end: pause them all, so nothing fetched past the end is dropped.
    mutating func pauseAtEnd() -> FetchAction {
        endPaused = true
        return ends.assigned.isEmpty ? .poll : .pause(ends.assigned.sorted(by: Self.order))
    }

    /// A seek or a rebalance moved a partition off its end: fetch again what neither backpressure nor the user
    /// holds paused.
    mutating func resumeAfterEnd() -> FetchAction {
        endPaused = false
        let toResume = ends.assigned.subtracting(userPaused)
        return fetchPaused || toResume.isEmpty ? .poll : .resume(toResume.sorted(by: Self.order))
    }

    /// The close ran the final revocation (events, hook): librdkafka's own, inside its close, is skipped.
    mutating func closeRevoked() {
        if case .closing = lifecycle { lifecycle = .closing(revoked: true) }
    }

    /// Whether a revocation librdkafka reports is the close's, run already (``closeRevoked()``).
    var revocationRanForClose: Bool {
        if case .closing(revoked: true) = lifecycle { return true }
        return false
    }

    // MARK: The assign hook (inside librdkafka's rebalance callback, before the assign)

    /// The partitions being assigned while the assign hook runs, and the start offsets its seeks asked for.
    private var assignHook: (partitions: Set<KafkaTopicPartition>, starts: [KafkaTopicPartition: KafkaOffset])?
    /// Set when the assign hook ran before the assign, so the `.assigned` notification does not run it again.
    private var assignHookRan = false

    /// The assign hook starts, before `partitions` are assigned.
    mutating func assignHookStarted(_ partitions: [KafkaTopicPartition]) {
        assignHook = (Set(partitions), [:])
    }

    /// A seek made (from the assign hook, or anywhere): offsets for partitions being assigned become their start
    /// offsets; returns the others, to seek now.
    mutating func seekDuringAssignHook(
        _ offsets: [(KafkaTopicPartition, KafkaOffset)]
    ) -> [(KafkaTopicPartition, KafkaOffset)] {
        guard var hook = assignHook else { return offsets }
        defer { assignHook = hook }
        return offsets.filter { partition, offset in
            guard hook.partitions.contains(partition) else { return true }
            hook.starts[partition] = offset
            return false
        }
    }

    /// The assign hook returned (or was given up on): returns the start offsets its seeks asked for.
    mutating func assignHookEnded() -> [KafkaTopicPartition: KafkaOffset] {
        defer { assignHook = nil }
        assignHookRan = true
        return assignHook?.starts ?? [:]
    }

    /// Partitions were assigned: whether the assign hook must run now (it did not run before the assign: a fixed
    /// assignment).
    mutating func assignHookDue() -> Bool {
        defer { assignHookRan = false }
        return !assignHookRan
    }

    // MARK: Assignment epochs

    /// Which partitions' messages are still valid, by the assignment epoch they were fetched at: a revocation or a
    /// seek moves the epoch, and the reader drops what was fetched before for those partitions.
    private(set) var filter = AssignmentFilter()

    /// Changes the filter; returns the new epoch, for the owner to publish to the reader's lock-free check.
    mutating func updateFilter(_ body: @Sendable (inout AssignmentFilter) -> Void) -> UInt64 {
        body(&filter)
        return filter.epoch
    }

    // MARK: Commands for the poll thread, and the batch target

    /// Control calls (commit, seek, ...) queued for the poll thread; failed once the consumer is closed.
    private(set) var commands = CommandQueue()

    /// Queues `command`; `false` when the consumer is closed (the caller fails it).
    mutating func enqueue(_ command: Command) -> Bool {
        commands.append(command)
    }

    /// The queued commands, to run now (poll thread).
    mutating func takeCommands() -> [Command]? {
        commands.takeAll()
    }

    /// The handle is going: no command is taken from here on; returns those left, to fail.
    mutating func closeCommands() -> [Command] {
        commands.close()
    }

    /// For ``KafkaConsumer/batches(maxCount:maxWait:)``: the poll thread fills batches up to this count, waiting up
    /// to this long after the first message.
    var batchTarget: (count: Int, wait: Duration)?

    // MARK: Liveness (max.poll.interval.ms)

    /// Whether the member left its group because the loop held one message longer than `max.poll.interval.ms`;
    /// it rejoins once the loop asks for the next message.
    private(set) var leftForStall = false

    /// The loop held one message longer than `max.poll.interval.ms`: returns whether to leave the group now
    /// (once per stall, and only while running).
    mutating func loopStalled() -> Bool {
        guard case .running = lifecycle, !leftForStall else { return false }
        leftForStall = true
        return true
    }

    /// The loop asked for its next message: returns whether to rejoin the group it left for the stall.
    mutating func loopMovedOn() -> Bool {
        guard leftForStall else { return false }
        leftForStall = false
        if case .running = lifecycle { return true }
        return false
    }

    // MARK: Close

    enum CloseAction: Equatable {
        /// First close request: wake the poll loop so it closes.
        case startClose
        /// A close is under way; the waiter is resumed when it ends.
        case wait
        /// Closed already: resume the waiter now.
        case resume
    }

    /// When the close must be over (the earliest deadline any close asked for); `nil` while running.
    private(set) var closeDeadline: Instant?

    /// A close is asked for, to be over by `deadline` (a later close with an earlier deadline brings it forward).
    mutating func close(_ waiter: Waiter?, deadline: Instant) -> CloseAction {
        switch lifecycle {
        case .running:
            lifecycle = .closing(revoked: false)
            closeDeadline = deadline
            if let waiter { closeWaiters.append(waiter) }
            return .startClose
        case .closing:
            closeDeadline = min(closeDeadline ?? deadline, deadline)
            if let waiter { closeWaiters.append(waiter) }
            return .wait
        case .closed:
            return .resume
        }
    }

    /// Waits for the close without starting one. Returns `false` when closed already.
    mutating func waitUntilClosed(_ waiter: Waiter) -> Bool {
        if case .closed = lifecycle { return false }
        closeWaiters.append(waiter)
        return true
    }

    /// The handle is destroyed; returns the waiters to resume.
    mutating func closed() -> [Waiter] {
        lifecycle = .closed
        defer { closeWaiters = [] }
        return closeWaiters
    }

    private static func order(_ a: KafkaTopicPartition, _ b: KafkaTopicPartition) -> Bool {
        (a.topic, a.partition.rawValue) < (b.topic, b.partition.rawValue)
    }
}
