/// Tracks which assigned partitions have been read to their end, for
/// ``KafkaConsumerConfiguration/stopAtEndOfPartitions``. A pure value: no I/O.
struct PartitionEndTracker: Equatable {
    private(set) var assigned: Set<KafkaTopicPartition> = []
    private var atEnd: Set<KafkaTopicPartition> = []

    init() {}

    mutating func assign(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions {
            assigned.insert(partition)
            atEnd.remove(partition)
        }
    }

    mutating func revoke(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions {
            assigned.remove(partition)
            atEnd.remove(partition)
        }
    }

    /// A message of `partition` was read: it is not at its end (any more).
    mutating func received(_ partition: KafkaTopicPartition) {
        atEnd.remove(partition)
    }

    /// `partition` reached its end.
    mutating func reachedEnd(_ partition: KafkaTopicPartition) {
        if assigned.contains(partition) { atEnd.insert(partition) }
    }

    /// Whether at least one partition is assigned and every assigned one is at its end.
    var allAtEnd: Bool {
        !assigned.isEmpty && atEnd.isSuperset(of: assigned)
    }
}
