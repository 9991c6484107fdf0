/// Tracks which assigned partitions have been read to their end, for
/// ``KafkaConsumerConfiguration/stopAtEndOfPartitions``. A pure value: no I/O.
///
/// librdkafka reports a partition's end (`RD_KAFKA_RESP_ERR__PARTITION_EOF`) when its fetching reaches the end
/// offset, but only once per end offset: a partition seeked back after its end was reported is read to the same
/// end again without a second report. So a seek back arms an end of our own: the partition is at its end again
/// once a message at or after the end known at the seek arrives (or librdkafka reports a new end). An end that
/// follows a transaction's control record (never handed out) is not reached by a message: such a partition waits
/// for the next end librdkafka reports.
struct PartitionEndTracker: Equatable {
    private(set) var assigned: Set<KafkaTopicPartition> = []
    private var atEnd: Set<KafkaTopicPartition> = []
    /// Per partition, the end offset librdkafka last reported (it never reports the same one twice in a row).
    private var reportedEnds: [KafkaTopicPartition: Int64] = [:]
    /// Partitions moved back from their end by a seek, with the offset at which they are at their end again.
    private var awaitedEnds: [KafkaTopicPartition: Int64] = [:]

    init() {}

    mutating func assign(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions {
            assigned.insert(partition)
            forget(partition)
        }
    }

    mutating func revoke(_ partitions: some Sequence<KafkaTopicPartition>) {
        for partition in partitions {
            assigned.remove(partition)
            forget(partition)
        }
    }

    private mutating func forget(_ partition: KafkaTopicPartition) {
        atEnd.remove(partition)
        reportedEnds[partition] = nil
        awaitedEnds[partition] = nil
    }

    /// Messages of `partition` were read, up to `next` (the offset after the last one). Returns whether this
    /// reached the end a seek back armed; otherwise the partition is not at its end (any more).
    mutating func received(_ partition: KafkaTopicPartition, next: Int64) -> Bool {
        if let end = awaitedEnds[partition], next >= end {
            awaitedEnds[partition] = nil
            if assigned.contains(partition) { atEnd.insert(partition) }
            return true
        }
        atEnd.remove(partition)
        return false
    }

    /// librdkafka reported `partition` at its end, `offset` (when known).
    mutating func reachedEnd(_ partition: KafkaTopicPartition, offset: Int64? = nil) {
        guard assigned.contains(partition) else { return }
        atEnd.insert(partition)
        awaitedEnds[partition] = nil
        if let offset, offset >= 0 { reportedEnds[partition] = offset }
    }

    /// `partition` was seeked to `target` (`nil`: its logical end). `knownEnd` is the end offset seen last (the
    /// cached high watermark), if any. A target before the end librdkafka reported (or the end seen last) arms
    /// the partition's own end; one at or after it leaves the partition at its end, where librdkafka may report
    /// nothing more.
    mutating func repositioned(_ partition: KafkaTopicPartition, to target: Int64?, knownEnd: Int64?) {
        guard assigned.contains(partition) else { return }
        let end = max(reportedEnds[partition] ?? -1, knownEnd ?? -1)
        guard end >= 0 else {
            // librdkafka never fetched to an end of it: it reports the end when it gets there.
            atEnd.remove(partition)
            awaitedEnds[partition] = nil
            return
        }
        if let target, target < end {
            atEnd.remove(partition)
            awaitedEnds[partition] = end
        } else {
            atEnd.insert(partition)
            awaitedEnds[partition] = nil
        }
    }

    /// Whether at least one partition is assigned and every assigned one is at its end.
    var allAtEnd: Bool {
        !assigned.isEmpty && atEnd.isSuperset(of: assigned)
    }
}
