public import Kafka

/// Turns one input record of `kafka-send` into a message, as the flags say: plain lines, `-K` keyed lines, or
/// `-J` JSON lines; `-t`/`-p` given on the command line win over a JSON line's own topic and partition.
public struct RecordParser: Sendable {
    /// How records are read.
    public enum Mode: Equatable, Sendable {
        /// The record is the value.
        case plain
        /// The record is key, delimiter, value (`-K`); a record without the delimiter is an error.
        case keyed(delimiter: [UInt8])
        /// The record is a JSON object (`-J`), see ``InputMessage/parseJSONLine(_:)``.
        case json
    }

    /// The message type sent: for plain and keyed records, key and value are views into the input chunk (no copy).
    public typealias Message = KafkaProducerMessage<RecordBytes, RecordBytes>

    /// How records are read.
    public var mode: Mode
    /// `-t`.
    public var topic: String?
    /// `-p` (-1 lets the partitioner choose).
    public var partition: Int32?
    /// `-k`: the key of every message (a `-K` or JSON key wins).
    public var fixedKey: [UInt8]?
    /// `-H` headers, added to every message (before a JSON line's own).
    public var headers: [KafkaHeader]
    /// `-Z`: an empty key or value is sent as NULL (an empty value makes a tombstone).
    public var emptyIsNull: Bool

    /// A parser for the flags given.
    public init(
        mode: Mode,
        topic: String?,
        partition: Int32? = nil,
        fixedKey: [UInt8]? = nil,
        headers: [KafkaHeader] = [],
        emptyIsNull: Bool = false
    ) {
        self.mode = mode
        self.topic = topic
        self.partition = partition
        self.fixedKey = fixedKey
        self.headers = headers
        self.emptyIsNull = emptyIsNull
    }

    /// The message for the record at `range` of `chunk`.
    /// - Throws: ``LineError`` for bad JSON, a missing key delimiter, no topic.
    public func message(in chunk: RecordChunk, _ range: Range<Int>) throws(LineError) -> Message {
        var message = template()
        try fill(&message, in: chunk, range)
        return message
    }

    /// A message with what every record shares (topic, partition, fixed key, headers), for ``fill(_:in:_:)``.
    public func template() -> Message {
        Message(topic: topic ?? "", partition: targetPartition, key: fixedKeyBytes, value: nil, headers: headers)
    }

    /// Makes `message` (from ``template()``, or the previous record) the message for the record at `range` of
    /// `chunk`. Plain and keyed records change only the key and value in place: the send path pays no copy of the
    /// topic or headers per message.
    /// - Throws: ``LineError`` for bad JSON, a missing key delimiter, no topic.
    public func fill(_ message: inout Message, in chunk: RecordChunk, _ range: Range<Int>) throws(LineError) {
        switch mode {
        case .plain:
            guard topic != nil else { throw LineError("no topic: give -t") }
            message.value = emptyIsNull && range.isEmpty ? nil : chunk[range]
        case .keyed(let delimiter):
            guard topic != nil else { throw LineError("no topic: give -t") }
            let at = chunk[range].withUnsafeBytes { RecordSplitter.firstIndex(of: delimiter, in: $0) }
            guard let at else { throw LineError("no key delimiter '\(shown(delimiter))' in the line (-K)") }
            let keyRange = range.lowerBound..<(range.lowerBound + at)
            let valueRange = (keyRange.upperBound + delimiter.count)..<range.upperBound
            message.key = emptyIsNull && keyRange.isEmpty ? nil : chunk[keyRange]
            message.value = emptyIsNull && valueRange.isEmpty ? nil : chunk[valueRange]
        case .json:
            let input = try InputMessage.parseJSONLine(chunk.copy(range))
            guard let topic = self.topic ?? input.topic else {
                throw LineError("no topic: give -t, or \"topic\" in the JSON line")
            }
            let partition = self.partition ?? input.partition
            message = Message(
                topic: topic,
                partition: partition.map { KafkaPartition(rawValue: $0) } ?? .unassigned,
                key: nonEmpty(input.key).map(RecordBytes.init) ?? fixedKeyBytes,
                value: nonEmpty(input.value).map(RecordBytes.init),
                headers: headers + input.headers,
                timestamp: input.timestamp.map { KafkaTimestamp(millisecondsSinceEpoch: $0) }
            )
        }
    }

    private var fixedKeyBytes: RecordBytes? {
        nonEmpty(fixedKey).map(RecordBytes.init)
    }

    private var targetPartition: KafkaPartition {
        partition.map { KafkaPartition(rawValue: $0) } ?? .unassigned
    }

    /// `bytes`, or `nil` for empty bytes with `-Z`.
    private func nonEmpty(_ bytes: [UInt8]?) -> [UInt8]? {
        guard let bytes else { return nil }
        return emptyIsNull && bytes.isEmpty ? nil : bytes
    }

}

/// A delimiter as the user would type it, so that ``unescape(_:)`` gives it back: `\n`, `\r`, `\t`, `\\`,
/// printable ASCII as is, `\xNN` for other bytes (`\x0NN` before a hex digit, which `\x` would take as a third digit).
public func shown(_ delimiter: [UInt8]) -> String {
    var text = ""
    for (i, byte) in delimiter.enumerated() {
        switch byte {
        case 0x0A: text += "\\n"
        case 0x0D: text += "\\r"
        case 0x09: text += "\\t"
        case UInt8(ascii: "\\"): text += "\\\\"
        case 0x20..<0x7F: text.unicodeScalars.append(UnicodeScalar(byte))
        default:
            let hexDigitFollows = i + 1 < delimiter.count && hexValue(delimiter[i + 1]) != nil
            text += "\\x" + (hexDigitFollows ? "0" : "") + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return text
}
