/// Decides which buffered messages may still be handed out after the assignment changed.
///
/// Every batch the poll thread hands over is stamped with the ``epoch`` at the time it was taken from librdkafka.
/// Each assignment change (assign, revoke, seek) starts a new epoch and records, per partition, the epoch from
/// which its messages are valid: a message of a revoked partition is never valid, and one fetched before its
/// partition was (re)assigned or moved by a seek is stale. A pure value: the owner keeps it in a lock and publishes
/// ``epoch`` atomically so readers only take the lock when it moved.
struct AssignmentFilter: Sendable {
    private(set) var epoch: UInt64 = 0
    private var validSince: [KafkaTopicPartition: UInt64] = [:]

    init() {}

    /// `partitions` were assigned: their messages are valid from now on.
    mutating func assign(_ partitions: some Sequence<KafkaTopicPartition>) {
        epoch += 1
        for partition in partitions { validSince[partition] = epoch }
    }

    /// `partitions` were revoked or lost: none of their buffered messages is valid any more.
    mutating func revoke(_ partitions: some Sequence<KafkaTopicPartition>) {
        epoch += 1
        for partition in partitions { validSince[partition] = nil }
    }

    /// `partitions` were moved (seek): messages buffered before are stale. Unassigned partitions are ignored.
    mutating func reposition(_ partitions: some Sequence<KafkaTopicPartition>) {
        epoch += 1
        for partition in partitions where validSince[partition] != nil { validSince[partition] = epoch }
    }

    /// Whether a message of `partition` taken from librdkafka at `fetchEpoch` may be handed out.
    func isValid(_ partition: KafkaTopicPartition, fetchedAt fetchEpoch: UInt64) -> Bool {
        guard let since = validSince[partition] else { return false }
        return since <= fetchEpoch
    }
}
