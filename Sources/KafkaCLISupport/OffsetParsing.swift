public import Kafka

/// Parses kcat's `-o` values, each given as one flag: `beginning`, `end`, `stored`, an absolute offset `N`, `-N`
/// (N messages before the end), `s@ts` (start at a time, ms since the epoch) and `e@ts` (stop at a time). One start
/// and one stop may be combined: `-o s@1700000000000 -o e@1700003600000`.
/// - Throws: ``OffsetArgumentError`` naming the value.
public func parseOffsetSelection(_ values: [String]) throws(OffsetArgumentError) -> OffsetSelection {
    var selection = OffsetSelection()
    for value in values {
        if value.hasPrefix("e@") {
            guard selection.stopAt == nil else {
                throw OffsetArgumentError(value: value, reason: "only one e@ts may be given")
            }
            selection.stopAt = try parseTimestamp(String(value.dropFirst(2)), in: value)
            continue
        }
        guard selection.start == nil else {
            throw OffsetArgumentError(value: value, reason: "only one start offset may be given (besides e@ts)")
        }
        if value.hasPrefix("s@") {
            selection.start = .timestamp(try parseTimestamp(String(value.dropFirst(2)), in: value))
        } else {
            selection.start = .offset(try parseOffsetArgument(value))
        }
    }
    return selection
}

private func parseTimestamp(_ text: String, in value: String) throws(OffsetArgumentError) -> KafkaTimestamp {
    guard let ms = Int64(text), ms >= 0 else {
        throw OffsetArgumentError(value: value, reason: "the timestamp must be milliseconds since the epoch")
    }
    return KafkaTimestamp(millisecondsSinceEpoch: ms)
}

/// Parses one of kcat's plain `-o` values: `beginning`, `end`, `stored`, an absolute offset `N`, or `-N` (N before
/// the end).
/// - Throws: ``OffsetArgumentError`` naming the value.
public func parseOffsetArgument(_ text: String) throws(OffsetArgumentError) -> KafkaOffset {
    switch text {
    case "beginning", "earliest", "start": return .beginning
    case "end", "latest": return .end
    case "stored": return .stored
    default:
        if text.hasPrefix("-") {
            guard let n = Int(text.dropFirst()), n > 0, !text.dropFirst().hasPrefix("+") else {
                throw OffsetArgumentError(value: text)
            }
            // A tail offset is librdkafka's RD_KAFKA_OFFSET_TAIL_BASE - N: an N near Int64.max does not fit.
            guard !KafkaOffset.tail(0).rawValue.subtractingReportingOverflow(Int64(n)).overflow else {
                throw OffsetArgumentError(value: text, reason: "too many messages before the end")
            }
            return .tail(n)
        }
        if let n = Int64(text), n >= 0, !text.hasPrefix("+") { return KafkaOffset(rawValue: n) }
        throw OffsetArgumentError(value: text)
    }
}
