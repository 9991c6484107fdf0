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
        switch mode {
        case .plain:
            guard let topic else { throw LineError("no topic: give -t") }
            let value: RecordBytes? = emptyIsNull && range.isEmpty ? nil : chunk[range]
            return Message(topic: topic, partition: targetPartition, key: fixedKeyBytes, value: value, headers: headers)
        case .keyed(let delimiter):
            guard let topic else { throw LineError("no topic: give -t") }
            guard let at = firstIndex(of: delimiter, in: chunk, range) else {
                throw LineError("no key delimiter '\(shown(delimiter))' in the line (-K)")
            }
            let keyRange = range.lowerBound..<at
            let valueRange = (at + delimiter.count)..<range.upperBound
            let key: RecordBytes? = emptyIsNull && keyRange.isEmpty ? nil : chunk[keyRange]
            let value: RecordBytes? = emptyIsNull && valueRange.isEmpty ? nil : chunk[valueRange]
            return Message(topic: topic, partition: targetPartition, key: key, value: value, headers: headers)
        case .json:
            let input = try InputMessage.parseJSONLine(chunk.copy(range))
            guard let topic = self.topic ?? input.topic else {
                throw LineError("no topic: give -t, or \"topic\" in the JSON line")
            }
            let partition = self.partition ?? input.partition
            return Message(
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

    private func firstIndex(of delimiter: [UInt8], in chunk: RecordChunk, _ range: Range<Int>) -> Int? {
        guard !delimiter.isEmpty, range.count >= delimiter.count else { return nil }
        var records: [Range<Int>] = []
        let splitter = RecordSplitter(delimiter: delimiter)
        _ = chunk[range].withUnsafeBytes { bytes in splitter.split(bytes, from: 0, into: &records) }
        return records.first.map { range.lowerBound + $0.upperBound }
    }
}

/// A delimiter as the user would type it (`\n`, `\t`, `\xNN` for other control bytes).
public func shown(_ delimiter: [UInt8]) -> String {
    var text = ""
    for byte in delimiter {
        switch byte {
        case 0x0A: text += "\\n"
        case 0x0D: text += "\\r"
        case 0x09: text += "\\t"
        case 0x20..<0x7F: text.unicodeScalars.append(UnicodeScalar(byte))
        default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return text
}
