import FuzzSupport
import FuzzedCLISupport
import Kafka
import NIOCore

/// `kafka-tail -f` formats: parsing, and rendering a message with fields taken from the input.
///
/// Input: one byte that picks the timestamp and which fields are NULL, then the format (also the message's bytes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormat(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let variant = input.byte()
    let raw = input.rest
    let text = String(decoding: raw, as: UTF8.self)
    let bytes = Array(text.utf8)
    let message = makeMessage(bytes, variant: variant)

    if let format = try? MessageFormat(text) {
        var output: [UInt8] = []
        format.render(message, null: Array("NULL".utf8), into: &output)
        if let unescaped = try? unescape(text), !unescaped.contains(UInt8(ascii: "%")) {
            check(output == unescaped, "a format without tokens does not print itself")
        }
    }
    check(render(literalFormat(bytes), message) == bytes, "a format of escaped literal text does not print it")
    checkTokens(message)
    checkDate(raw, message)
    return 0
}

private let timestamps: [Int64?] = [
    nil, 0, 1_700_000_000_123, -1, -1_500, .min, .max, -62_135_596_800_000,
]

/// A message whose key, value, header value and topic come from `bytes`.
private func makeMessage(_ bytes: [UInt8], variant: UInt8) -> KafkaConsumerMessage {
    let half = bytes.count / 2
    let key = variant & 0x10 == 0 ? KafkaBytes(bytes[..<half]) : nil
    let value = variant & 0x20 == 0 ? KafkaBytes(bytes) : nil
    var headers = [KafkaHeader(key: "h", bytes: Array(bytes[half...]))]
    if variant & 0x40 != 0 {
        headers.append(KafkaHeader(key: String(decoding: bytes.prefix(8), as: UTF8.self), value: nil))
    }
    return KafkaConsumerMessage(
        topic: String(decoding: bytes.suffix(12), as: UTF8.self),
        partition: KafkaPartition(rawValue: variant & 0x80 == 0 ? 0 : .max),
        offset: KafkaOffset(rawValue: variant & 0x80 == 0 ? 1 : .max),
        key: key,
        value: value,
        headers: variant & 0x08 == 0 ? headers : [],
        timestamp: timestamps[Int(variant & 0x07)].map { KafkaTimestamp(millisecondsSinceEpoch: $0) }
    )
}

private func render(_ format: String, _ message: KafkaConsumerMessage) -> [UInt8]? {
    guard let parsed = try? MessageFormat(format) else { return nil }
    var output: [UInt8] = []
    parsed.render(message, into: &output)
    return output
}

/// `bytes` as a format that prints them: `%` and `\` escaped.
private func literalFormat(_ bytes: [UInt8]) -> String {
    var format: [UInt8] = []
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "%"): format += Array("%%".utf8)
        case UInt8(ascii: "\\"): format += Array("\\\\".utf8)
        default: format.append(byte)
        }
    }
    return String(decoding: format, as: UTF8.self)
}

/// Each token prints its field as kcat does.
private func checkTokens(_ message: KafkaConsumerMessage) {
    func decimal<I: BinaryInteger>(_ value: I) -> [UInt8] { Array(String(value).utf8) }
    let valueLength = message.value.map { Int64($0.count) } ?? -1
    let lengthBytes = UInt32(truncatingIfNeeded: valueLength)
    var headers: [UInt8] = []
    for (i, header) in message.headers.enumerated() {
        if i > 0 { headers.append(UInt8(ascii: ",")) }
        headers += Array(header.key.utf8) + [UInt8(ascii: "=")]
        headers += header.value.map { Array($0.readableBytesView) } ?? Array("NULL".utf8)
    }
    let cases: [(String, [UInt8])] = [
        ("%s", message.value.map { Array($0) } ?? []),
        ("%k", message.key.map { Array($0) } ?? []),
        ("%S", decimal(valueLength)),
        ("%K", decimal(message.key.map { Int64($0.count) } ?? -1)),
        ("%R", [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: lengthBytes >> $0) }),
        ("%T", decimal(message.timestamp?.millisecondsSinceEpoch ?? -1)),
        ("%t", Array(message.topic.utf8)),
        ("%p", decimal(message.partition.rawValue)),
        ("%o", decimal(message.offset.rawValue)),
        ("%h", headers),
        ("\\x25\\x25", Array("%".utf8)),
    ]
    for (format, expected) in cases {
        check(render(format, message) == expected, "'\(format)' does not print \(shownBytes(expected))")
    }
}

/// `%d{text}` prints `text` (any bytes, given as `\xNN` escapes) when it has no strftime conversion, for any time
/// `localtime_r` can represent.
private func checkDate(_ bytes: [UInt8], _ message: KafkaConsumerMessage) {
    guard let timestamp = message.timestamp?.millisecondsSinceEpoch, (-(1 << 50)..<(1 << 50)).contains(timestamp)
    else { return }
    let text = bytes.filter { $0 != UInt8(ascii: "%") && $0 != UInt8(ascii: "}") }
    let format = "%d{" + hexEscaped(text) + "}"
    check(render(format, message) == text, "'\(format)' does not print the text in braces")
}
