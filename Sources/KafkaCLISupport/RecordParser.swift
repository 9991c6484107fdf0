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

    /// The message type sent: key and value are slices of the input (no copy for plain and keyed records).
    public typealias Message = KafkaProducerMessage<ArraySlice<UInt8>, ArraySlice<UInt8>>

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

    /// The message for the record `storage[range]`.
    /// - Throws: ``LineError`` for bad JSON, a missing key delimiter, no topic.
    public func message(from storage: [UInt8], _ range: Range<Int>) throws(LineError) -> Message {
        var key: ArraySlice<UInt8>? = fixedKey.map { ArraySlice($0) }
        var value: ArraySlice<UInt8>?
        var topic = self.topic
        var partition = self.partition
        var headers = self.headers
        var timestamp: KafkaTimestamp? = nil
        switch mode {
        case .plain:
            value = storage[range]
        case .keyed(let delimiter):
            guard let at = firstIndex(of: delimiter, in: storage, range) else {
                throw LineError("no key delimiter '\(shown(delimiter))' in the line (-K)")
            }
            key = storage[range.lowerBound..<at]
            value = storage[(at + delimiter.count)..<range.upperBound]
        case .json:
            let input = try InputMessage.parseJSONLine(Array(storage[range]))
            if let k = input.key { key = ArraySlice(k) }
            value = input.value.map { ArraySlice($0) }
            if topic == nil { topic = input.topic }
            if partition == nil { partition = input.partition }
            headers += input.headers
            timestamp = input.timestamp.map { KafkaTimestamp(millisecondsSinceEpoch: $0) }
        }
        if emptyIsNull {
            if key?.isEmpty == true { key = nil }
            if value?.isEmpty == true { value = nil }
        }
        guard let topic else { throw LineError("no topic: give -t, or \"topic\" in the JSON line") }
        return Message(
            topic: topic,
            partition: partition.map { KafkaPartition(rawValue: $0) } ?? .unassigned,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestamp
        )
    }

    private func firstIndex(of delimiter: [UInt8], in storage: [UInt8], _ range: Range<Int>) -> Int? {
        guard !delimiter.isEmpty, range.count >= delimiter.count else { return nil }
        var records: [Range<Int>] = []
        let splitter = RecordSplitter(delimiter: delimiter)
        _ = storage.withUnsafeBytes { bytes in
            splitter.split(UnsafeRawBufferPointer(rebasing: bytes[range]), from: 0, into: &records)
        }
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
