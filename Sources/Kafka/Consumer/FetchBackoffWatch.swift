/// Decides when to restart fetching that librdkafka left idle after its queue was full. A pure value: no I/O.
///
/// When librdkafka 2.0.2 finds its consumer queue at `queued.min.messages` or `queued.max.messages.kbytes`, it
/// stops fetching the partitions it looks at, and its broker threads then sleep until a socket or an operation
/// wakes them, or for up to 1 s each time (newer versions call this `fetch.queue.backoff.ms`). Nothing wakes them
/// when the queue drains, so a reader that empties the queue quickly then waits up to a second for the next
/// message: at 1,000-byte messages this stalled whole runs (0.2x of the throughput without the stall).
///
/// The poll loop reports each look at the queue. Once the queue was seen near a limit, the loop polls with a
/// short timeout (``pollTimeoutMilliseconds``); when such a poll finds nothing at all, fetching has stopped, and
/// ``observe(taken:takenBytes:remaining:)`` answers `true`: the loop restarts fetching by seeking the partitions
/// it reads to their positions (a seek to a concrete offset wakes a broker thread; with the queue empty it drops
/// nothing). Waiting for an empty poll, not just an empty queue, leaves alone partitions whose fetch is still
/// under way: a seek discards a response in flight, and the broker thread then waits for its open fetch first.
struct FetchBackoffWatch {
    /// librdkafka's `queued.min.messages` and `queued.max.messages.kbytes` (in bytes).
    let messageLimit: Int
    let byteLimit: Int

    /// Whether the queue was seen near a limit since fetching last restarted.
    private(set) var nearLimitSeen = false

    /// How long the next poll waits for a message: briefly while watching for stopped fetching.
    var pollTimeoutMilliseconds: Int32 { nearLimitSeen ? 10 : 100 }

    init(messageLimit: Int, byteLimit: Int) {
        self.messageLimit = max(messageLimit, 1)
        self.byteLimit = max(byteLimit, 1)
    }

    /// A poll took `taken` messages holding `takenBytes` bytes of keys and values, and left `remaining` in
    /// librdkafka's queue. Returns whether to restart fetching now: the queue was near a limit, and this poll
    /// found it empty and waited ``pollTimeoutMilliseconds`` in vain.
    mutating func observe(taken: Int, takenBytes: Int, remaining: Int) -> Bool {
        let queued = taken + remaining
        // The queue's bytes, estimated from the messages taken (librdkafka does not tell its queue's size).
        let bytes = taken > 0 ? Int((Double(takenBytes) / Double(taken) * Double(queued)).rounded()) : 0
        // librdkafka compares with `>=`; a tenth of margin covers the estimate and what arrived meanwhile.
        if queued * 10 >= messageLimit * 9 || bytes * 10 >= byteLimit * 9 {
            nearLimitSeen = true
        }
        guard taken == 0, remaining == 0, nearLimitSeen else { return false }
        nearLimitSeen = false
        return true
    }

    /// Forget what was seen: fetching was paused or resumed.
    mutating func reset() {
        nearLimitSeen = false
    }

    // MARK: Positions

    /// Per partition, the offset after the last message taken since the assignment last changed (assign, revoke
    /// or seek: a new ``AssignmentFilter/epoch``). Only these are safe to seek to: librdkafka's own position
    /// (`rd_kafka_position`) still shows the old place after a seek or a new assignment, until a message comes.
    private(set) var positions: [KafkaTopicPartition: KafkaOffset] = [:]
    private var positionsEpoch: UInt64 = 0

    /// The poll loop took `messages` at assignment epoch `epoch`.
    mutating func took(_ messages: [KafkaConsumerMessage], epoch: UInt64) {
        if epoch != positionsEpoch {
            positions = [:]
            positionsEpoch = epoch
        }
        messages.recordNextOffsets(into: &positions)
    }

    /// The positions taken at assignment epoch `epoch` (none if it moved since).
    func positions(atEpoch epoch: UInt64) -> [KafkaTopicPartition: KafkaOffset] {
        epoch == positionsEpoch ? positions : [:]
    }
}

extension RandomAccessCollection where Element == KafkaConsumerMessage {
    /// Sets, per partition, the offset after the last of these messages (the next one to read). Offsets rise within
    /// a partition and batches come in runs of one partition, so only the last message of each run counts. Fields
    /// are compared in place: copying a message costs a retain and release of each of its buffers.
    func recordNextOffsets(into next: inout [KafkaTopicPartition: KafkaOffset]) {
        guard var last = indices.first else { return }
        func keep(_ index: Index) {
            next[KafkaTopicPartition(topic: self[index].topic, partition: self[index].partition)] =
                KafkaOffset(rawValue: self[index].offset.rawValue + 1)
        }
        for index in indices.dropFirst() {
            if self[index].partition != self[last].partition || self[index].topic != self[last].topic {
                keep(last)
            }
            last = index
        }
        keep(last)
    }
}
