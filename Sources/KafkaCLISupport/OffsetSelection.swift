public import Kafka

/// What the `-o` flags of `kafka-tail` ask for: where to start, and a time to stop at.
public struct OffsetSelection: Equatable, Sendable {
    /// Where to start; `nil` when no `-o` gave a start (the command's default applies).
    public var start: StartPosition?
    /// Stop each partition at its first message at or after this time (`e@ts`, that message not included).
    public var stopAt: KafkaTimestamp?

    /// A selection.
    public init(start: StartPosition? = nil, stopAt: KafkaTimestamp? = nil) {
        self.start = start
        self.stopAt = stopAt
    }
}
