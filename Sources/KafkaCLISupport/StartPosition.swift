public import Kafka

/// Where `kafka-tail` starts in each partition (`-o`).
public enum StartPosition: Equatable, Sendable {
    /// A logical or absolute offset: beginning, end, stored, `N`, or `-N` (N messages before the end).
    case offset(KafkaOffset)
    /// The first message at or after this time (`s@ts`).
    case timestamp(KafkaTimestamp)
}
