internal import CLibrdkafka

/// A position in a partition: an absolute offset or one of librdkafka's logical offsets.
public struct KafkaOffset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The offset as librdkafka carries it; negative values are logical offsets.
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// The absolute offset `value`.
    public init(_ value: Int) { self.rawValue = Int64(value) }

    /// The oldest message still in the partition (`RD_KAFKA_OFFSET_BEGINNING`).
    public static let beginning = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_BEGINNING))
    /// The end of the partition: only messages produced from now on (`RD_KAFKA_OFFSET_END`).
    public static let end = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_END))
    /// The group's committed offset, falling back to `auto.offset.reset` (`RD_KAFKA_OFFSET_STORED`).
    public static let stored = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_STORED))
    /// No offset (`RD_KAFKA_OFFSET_INVALID`).
    public static let invalid = KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_INVALID))

    /// `count` messages before the end of the partition (librdkafka's `RD_KAFKA_OFFSET_TAIL(count)`).
    public static func tail(_ count: Int) -> KafkaOffset {
        KafkaOffset(rawValue: Int64(RD_KAFKA_OFFSET_TAIL_BASE) - Int64(count))
    }

    /// Whether this is an absolute offset (not one of the logical ones).
    public var isAbsolute: Bool { rawValue >= 0 }

    public static func < (lhs: KafkaOffset, rhs: KafkaOffset) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .beginning: return "beginning"
        case .end: return "end"
        case .stored: return "stored"
        case .invalid: return "invalid"
        default:
            if rawValue <= Int64(RD_KAFKA_OFFSET_TAIL_BASE) {
                return "tail(\(Int64(RD_KAFKA_OFFSET_TAIL_BASE) - rawValue))"
            }
            return String(rawValue)
        }
    }
}

extension KafkaOffset: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self.rawValue = value }
}
