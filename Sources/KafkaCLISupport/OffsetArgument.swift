public import Kafka

/// Parses kcat's `-o` values: `beginning`, `end`, `stored`, an absolute offset `N`, or `-N` (N before the end).
/// - Throws: `OffsetArgumentError` naming the value.
public func parseOffsetArgument(_ text: String) throws(OffsetArgumentError) -> KafkaOffset {
    switch text {
    case "beginning", "earliest", "start": return .beginning
    case "end", "latest": return .end
    case "stored": return .stored
    default:
        if text.hasPrefix("-") {
            guard let n = Int(text.dropFirst()), n > 0 else { throw OffsetArgumentError(value: text) }
            return .tail(n)
        }
        if let n = Int64(text), n >= 0 { return KafkaOffset(rawValue: n) }
        throw OffsetArgumentError(value: text)
    }
}

/// An `-o` value that is not an offset.
public struct OffsetArgumentError: Error, CustomStringConvertible {
    public var value: String
    public var description: String {
        "invalid offset '\(value)': use beginning, end, stored, an offset N >= 0, or -N for N messages before the end"
    }
}
