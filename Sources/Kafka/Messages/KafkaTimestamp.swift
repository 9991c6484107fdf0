/// A Kafka message timestamp: milliseconds since the Unix epoch.
public struct KafkaTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: KafkaTimestamp, rhs: KafkaTimestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public var description: String { "\(millisecondsSinceEpoch)ms" }
}

/// Who set a message's timestamp.
public enum KafkaTimestampType: Hashable, Sendable {
    /// The producer set it when the message was created (`CreateTime`).
    case createTime
    /// The broker set it when it appended the message to the log (`LogAppendTime`).
    case logAppendTime
}
