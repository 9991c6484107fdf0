public import Kafka

/// Where `kafka-tail` starts in each partition (`-o`).
public enum StartPosition: Equatable, Sendable {
    /// A logical or absolute offset: beginning, end, stored, `N`, or `-N` (N messages before the end).
    case offset(KafkaOffset)
    /// The first message at or after this time (`s@ts`).
    case timestamp(KafkaTimestamp)
}

/// What the `-o` flags of `kafka-tail` ask for: where to start, and a time to stop at.
public struct OffsetSelection: Equatable, Sendable {
    /// Where to start; `nil` when no `-o` gave a start (the command's default applies).
    public var start: StartPosition?
    /// Stop each partition at its first message at or after this time (`e@ts`, that message not included).
    public var stopAt: KafkaTimestamp?

    public init(start: StartPosition? = nil, stopAt: KafkaTimestamp? = nil) {
        self.start = start
        self.stopAt = stopAt
    }
}

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
            return .tail(n)
        }
        if let n = Int64(text), n >= 0, !text.hasPrefix("+") { return KafkaOffset(rawValue: n) }
        throw OffsetArgumentError(value: text)
    }
}

/// An `-o` value that is not an offset.
public struct OffsetArgumentError: Error, CustomStringConvertible, Equatable {
    public var value: String
    public var reason: String?

    public init(value: String, reason: String? = nil) {
        self.value = value
        self.reason = reason
    }

    public var description: String {
        if let reason { return "invalid offset '\(value)': \(reason)" }
        return "invalid offset '\(value)': use beginning, end, stored, an offset N >= 0, -N for N messages before the "
            + "end, s@ts to start at a time or e@ts to stop at one (ts in ms since the epoch)"
    }
}

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
