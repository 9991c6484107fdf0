/// A partition number within a topic.
public struct KafkaPartition: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The partition number as librdkafka and the protocol carry it.
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Partition number `value`.
    public init(_ value: Int) { self.rawValue = Int32(truncatingIfNeeded: value) }

    /// No partition chosen: the producer's configured partitioner picks one (librdkafka's `RD_KAFKA_PARTITION_UA`).
    public static let unassigned = KafkaPartition(rawValue: -1)

    public static func < (lhs: KafkaPartition, rhs: KafkaPartition) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue == -1 ? "unassigned" : String(rawValue) }
}

extension KafkaPartition: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int32) { self.rawValue = value }
}

/// A topic and one of its partitions.
public struct KafkaTopicPartition: Hashable, Sendable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition within ``topic``.
    public var partition: KafkaPartition

    public init(topic: String, partition: KafkaPartition) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}
