public import Kafka

/// Parses an offset-reset target as `kafka-tail --reset-offsets` and `kafka-admin group reset-offsets` take it:
/// `earliest` (or `beginning`), `latest` (or `end`), an offset `N`, `@timestamp` (milliseconds since the epoch), or
/// `+N` / `-N` to shift the committed offsets.
/// - Throws: ``CLIError`` naming the value, prefixed with `flag`.
public func parseResetTarget(_ text: String, flag: String = "--reset-offsets") throws(CLIError)
    -> KafkaOffsetResetTarget
{
    switch text {
    case "earliest", "beginning": return .earliest
    case "latest", "end": return .latest
    default:
        if text.hasPrefix("@") {
            guard let ms = Int64(text.dropFirst()), ms >= 0 else {
                throw CLIError("\(flag): '\(text)': the timestamp must be milliseconds since the epoch")
            }
            return .timestamp(KafkaTimestamp(millisecondsSinceEpoch: ms))
        }
        if text.hasPrefix("+") || text.hasPrefix("-") {
            guard let n = Int64(text.dropFirst()), n >= 0 else {
                throw CLIError("\(flag): '\(text)': a shift is +N or -N messages")
            }
            return .shift(by: text.hasPrefix("-") ? -n : n)
        }
        if let n = Int64(text), n >= 0 { return .offset(n) }
        throw CLIError("\(flag): '\(text)' is not earliest, latest, an offset >= 0, @timestamp, or +N/-N")
    }
}
