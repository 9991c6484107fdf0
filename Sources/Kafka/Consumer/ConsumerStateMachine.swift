/// The consumer's lifecycle, assignment and fetch state. A pure state machine: the owner keeps it in a `Mutex`
/// and carries out the returned actions (librdkafka calls, resumes) after unlocking.
struct ConsumerStateMachine<Waiter> {
    private enum Lifecycle {
        case running
        case closing
        case closed
    }

    private var lifecycle: Lifecycle = .running
    private var closeWaiters: [Waiter] = []
    /// Whether the reader wants no more messages for now (backpressure).
    private var readerSaturated = false
    /// Whether fetching is paused in librdkafka.
    private var fetchPaused = false
    private(set) var ends = PartitionEndTracker()

    init() {}

    var isRunning: Bool {
        if case .running = lifecycle { return true }
        return false
    }

    var assigned: Set<KafkaTopicPartition> { ends.assigned }

    // MARK: Backpressure

    /// The reader's buffer is full. Returns whether the poll loop must be woken to pause fetching.
    mutating func stopProducing() -> Bool {
        guard !readerSaturated else { return false }
        readerSaturated = true
        return true
    }

    /// The reader drained its buffer below the low watermark. Returns whether the poll loop must be woken
    /// (only while running: a wake-up during `rd_kafka_consumer_close` would end its wait early).
    mutating func produceMore() -> Bool {
        guard readerSaturated else { return false }
        guard case .running = lifecycle else { return false }
        readerSaturated = false
        return true
    }

    enum FetchAction: Equatable {
        case none
        case pause([KafkaTopicPartition])
        case resume([KafkaTopicPartition])
    }

    /// Brings librdkafka's fetch state in line with what the reader wants. Poll loop, each round.
    mutating func reconcileFetching() -> FetchAction {
        guard readerSaturated != fetchPaused else { return .none }
        fetchPaused = readerSaturated
        let partitions = ends.assigned.sorted(by: Self.order)
        return fetchPaused ? .pause(partitions) : .resume(partitions)
    }

    // MARK: Assignment

    /// Partitions were assigned; newly assigned partitions are paused too while the reader is saturated.
    mutating func assigned(_ partitions: [KafkaTopicPartition]) -> FetchAction {
        ends.assign(partitions)
        return fetchPaused && !partitions.isEmpty ? .pause(partitions.sorted(by: Self.order)) : .none
    }

    mutating func revoked(_ partitions: [KafkaTopicPartition]) {
        ends.revoke(partitions)
    }

    // MARK: Partition ends

    mutating func received(_ partition: KafkaTopicPartition) {
        ends.received(partition)
    }

    /// `partition` reached its end; returns whether every assigned partition is now at its end.
    mutating func reachedEnd(_ partition: KafkaTopicPartition) -> Bool {
        ends.reachedEnd(partition)
        return ends.allAtEnd
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

    mutating func close(_ waiter: Waiter?) -> CloseAction {
        switch lifecycle {
        case .running:
            lifecycle = .closing
            if let waiter { closeWaiters.append(waiter) }
            return .startClose
        case .closing:
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
