public import Kafka

/// The target of `kafka-tail --reset-offsets`: `earliest`, `latest`, an offset, or `@timestamp`.
public enum ResetTarget: Equatable, Sendable {
    case earliest
    case latest
    case offset(Int64)
    case timestamp(KafkaTimestamp)

    /// Parses `earliest|latest|OFFSET|@timestamp` (also `beginning`/`end`).
    /// - Throws: ``CLIError`` naming the value.
    public init(parsing text: String) throws(CLIError) {
        switch text {
        case "earliest", "beginning": self = .earliest
        case "latest", "end": self = .latest
        default:
            if text.hasPrefix("@") {
                guard let ms = Int64(text.dropFirst()), ms >= 0 else {
                    throw CLIError("--reset-offsets: '\(text)': the timestamp must be milliseconds since the epoch")
                }
                self = .timestamp(KafkaTimestamp(millisecondsSinceEpoch: ms))
            } else if let n = Int64(text), n >= 0 {
                self = .offset(n)
            } else {
                throw CLIError("--reset-offsets: '\(text)' is not earliest, latest, an offset >= 0 or @timestamp")
            }
        }
    }
}
