/// Low and high watermark offsets of one partition.
public struct KafkaWatermarks: Hashable, Sendable, CustomStringConvertible {
    /// The offset of the oldest message still in the partition.
    public var low: KafkaOffset
    /// The offset the next message produced to the partition will get (one past the newest).
    public var high: KafkaOffset

    public init(low: KafkaOffset, high: KafkaOffset) {
        self.low = low
        self.high = high
    }

    /// Messages in the partition: `high - low`.
    public var count: Int64 { high.rawValue - low.rawValue }

    public var description: String { "[\(low.rawValue), \(high.rawValue))" }
}
