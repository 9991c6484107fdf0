public import Kafka

/// `-o e@ts`: each partition stops at its first message at or after a time (that message not printed).
public struct TimestampStop: Sendable {
    /// What to do with a message.
    public enum Verdict: Equatable, Sendable {
        /// Before the stop time: print it.
        case print
        /// Its partition has stopped already: drop it.
        case drop
        /// The first message at or after the stop time: drop it; its partition stops now.
        case partitionStopped
    }

    /// The stop time.
    public let stopAt: KafkaTimestamp
    /// The partitions that reached the stop time.
    public private(set) var stopped: Set<KafkaTopicPartition> = []

    /// No partition stopped yet.
    public init(stopAt: KafkaTimestamp) {
        self.stopAt = stopAt
    }

    /// What to do with `message`; stops its partition at its first message at or after the stop time.
    public mutating func check(_ message: KafkaConsumerMessage) -> Verdict {
        let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
        if stopped.contains(partition) { return .drop }
        guard let timestamp = message.timestamp, timestamp >= stopAt else { return .print }
        stopped.insert(partition)
        return .partitionStopped
    }

    /// Whether every partition of `assignment` stopped (and there is at least one).
    public func allStopped(_ assignment: [KafkaTopicPartition]) -> Bool {
        !assignment.isEmpty && stopped.isSuperset(of: assignment)
    }
}
