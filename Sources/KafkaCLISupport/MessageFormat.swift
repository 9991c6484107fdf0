public import Kafka
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// kcat's `-f` output format: literal text with backslash escapes (see ``unescape(_:)``) and the tokens
/// `%s` payload, `%S` payload length (-1 for NULL), `%R` payload length as a big-endian 32-bit integer, `%k` key,
/// `%K` key length (-1 for NULL), `%T` timestamp (ms since the epoch, -1 when none), `%h` headers as
/// `name=value,...` (`NULL` for a NULL value), `%t` topic, `%p` partition, `%o` offset, `%%` a percent sign; plus
/// `%d{strftime}`, the timestamp formatted by `strftime(3)` in local time (`TZ` applies).
///
/// Rendering gives exactly kcat 1.7.1's bytes for its tokens. As in kcat, escapes are resolved first, so `\x25s`
/// is `%s`. Unlike kcat, `\0` and `\x00` print a NUL byte (kcat fails on them).
public struct MessageFormat: Sendable {
    enum Piece: Equatable, Sendable {
        case literal([UInt8])
        case payload, payloadLength, payloadLengthBinary
        case key, keyLength
        case timestamp, headers, topic, partition, offset
        /// `%d{...}`: the strftime format's bytes.
        case date([UInt8])
    }

    let pieces: [Piece]

    /// Parses a `-f` format.
    /// - Throws: ``CLIError`` naming an unknown token (`%x`), a `%` at the end, a `%d` without `{...}`.
    public init(_ format: String) throws(CLIError) {
        let bytes = try unescape(format)
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = []
        }
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else {
                literal.append(bytes[i])
                i += 1
                continue
            }
            guard i + 1 < bytes.count else {
                throw CLIError("-f: '%' at the end of the format (use %% for a percent sign)")
            }
            let token = bytes[i + 1]
            i += 2
            let piece: Piece
            switch token {
            case UInt8(ascii: "%"):
                literal.append(UInt8(ascii: "%"))
                continue
            case UInt8(ascii: "s"): piece = .payload
            case UInt8(ascii: "S"): piece = .payloadLength
            case UInt8(ascii: "R"): piece = .payloadLengthBinary
            case UInt8(ascii: "k"): piece = .key
            case UInt8(ascii: "K"): piece = .keyLength
            case UInt8(ascii: "T"): piece = .timestamp
            case UInt8(ascii: "h"): piece = .headers
            case UInt8(ascii: "t"): piece = .topic
            case UInt8(ascii: "p"): piece = .partition
            case UInt8(ascii: "o"): piece = .offset
            case UInt8(ascii: "d"):
                guard i < bytes.count, bytes[i] == UInt8(ascii: "{"),
                    let close = bytes[i...].firstIndex(of: UInt8(ascii: "}"))
                else {
                    throw CLIError("-f: %d needs a strftime format in braces, e.g. %d{%Y-%m-%d %H:%M:%S}")
                }
                piece = .date(Array(bytes[(i + 1)..<close]))
                i = close + 1
            default:
                let shown =
                    (0x21..<0x7F).contains(token) ? String(UnicodeScalar(token)) : "\\x\(String(token, radix: 16))"
                throw CLIError(
                    "-f: unknown token '%\(shown)' (known: %s %S %R %k %K %T %h %t %p %o %d{...} %%)"
                )
            }
            flush()
            pieces.append(piece)
        }
        flush()
        self.pieces = pieces
    }

    /// kcat's default output: the payload and a newline.
    public static let payloadLine = MessageFormat(pieces: [.payload, .literal([0x0A])])

    /// kcat's `-K delim` output: key, delimiter, payload, message delimiter.
    public static func keyed(keyDelimiter: [UInt8], messageDelimiter: [UInt8]) -> MessageFormat {
        MessageFormat(pieces: [.key, .literal(keyDelimiter), .payload, .literal(messageDelimiter)])
    }

    /// The payload followed by `messageDelimiter` (kcat's `-D`).
    public static func payload(messageDelimiter: [UInt8]) -> MessageFormat {
        MessageFormat(pieces: [.payload, .literal(messageDelimiter)])
    }

    init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// Appends `message` rendered with this format to `output`. `null` is what a NULL key or payload prints as
    /// for `%k`/`%s` (kcat: nothing; `-Z`: `NULL`).
    public func render(_ message: KafkaConsumerMessage, null: [UInt8] = [], into output: inout [UInt8]) {
        for piece in pieces {
            switch piece {
            case .literal(let bytes): output.append(contentsOf: bytes)
            case .payload: appendBytes(message.value, null: null, to: &output)
            case .payloadLength: appendDecimal(Int64(message.value?.count ?? -1), to: &output)
            case .payloadLengthBinary:
                let length = UInt32(bitPattern: Int32(message.value?.count ?? -1))
                output.append(UInt8(truncatingIfNeeded: length >> 24))
                output.append(UInt8(truncatingIfNeeded: length >> 16))
                output.append(UInt8(truncatingIfNeeded: length >> 8))
                output.append(UInt8(truncatingIfNeeded: length))
            case .key: appendBytes(message.key, null: null, to: &output)
            case .keyLength: appendDecimal(Int64(message.key?.count ?? -1), to: &output)
            case .timestamp: appendDecimal(message.timestamp?.millisecondsSinceEpoch ?? -1, to: &output)
            case .headers:
                for (i, header) in message.headers.enumerated() {
                    if i > 0 { output.append(UInt8(ascii: ",")) }
                    output.append(contentsOf: header.key.utf8)
                    output.append(UInt8(ascii: "="))
                    if let value = header.value {
                        value.withUnsafeReadableBytes { output.append(contentsOf: $0) }
                    } else {
                        output.append(contentsOf: "NULL".utf8)
                    }
                }
            case .topic: output.append(contentsOf: message.topic.utf8)
            case .partition: appendDecimal(Int64(message.partition.rawValue), to: &output)
            case .offset: appendDecimal(message.offset.rawValue, to: &output)
            case .date(let format):
                if let timestamp = message.timestamp {
                    output.append(
                        contentsOf: formatTime(millisecondsSinceEpoch: timestamp.millisecondsSinceEpoch, format: format)
                    )
                }
            }
        }
    }

    private func appendBytes(_ bytes: KafkaBytes?, null: [UInt8], to output: inout [UInt8]) {
        guard let bytes else {
            output.append(contentsOf: null)
            return
        }
        bytes.withUnsafeBytes { output.append(contentsOf: $0) }
    }
}

/// `strftime(3)` of a timestamp in local time.
public func formatTime(millisecondsSinceEpoch: Int64, _ format: String) -> [UInt8] {
    formatTime(millisecondsSinceEpoch: millisecondsSinceEpoch, format: Array(format.utf8))
}

/// `strftime(3)` of a timestamp in local time, for a format of any bytes and a result of any length: a NUL byte in
/// the format prints as one (as `\0` does elsewhere in `-f`), and other bytes reach strftime as they are.
func formatTime(millisecondsSinceEpoch: Int64, format: [UInt8]) -> [UInt8] {
    var seconds = time_t(millisecondsSinceEpoch / 1_000)
    if millisecondsSinceEpoch < 0, millisecondsSinceEpoch % 1_000 != 0 { seconds -= 1 }
    var parts = tm()
    guard localtime_r(&seconds, &parts) != nil else { return [] }
    var output: [UInt8] = []
    for (i, piece) in format.split(separator: 0, omittingEmptySubsequences: false).enumerated() {
        if i > 0 { output.append(0) }
        output += strftimeWithoutLimit(piece, &parts)
    }
    return output
}

/// `strftime` of a format without NUL bytes, growing the buffer until the result fits (up to 1 MiB).
private func strftimeWithoutLimit(_ format: ArraySlice<UInt8>, _ parts: inout tm) -> [UInt8] {
    // strftime returns 0 both when the result does not fit and when it is empty. With a byte appended to the
    // format the result is never empty, so 0 means the buffer is too small.
    let terminated = format.map { CChar(bitPattern: $0) } + [CChar(UInt8(ascii: ".")), 0]
    var capacity = 256
    while capacity <= 1 << 20 {
        var buffer = [CChar](repeating: 0, count: capacity)
        let count = strftime(&buffer, capacity, terminated, &parts)
        if count > 0 { return buffer[0..<(count - 1)].map { UInt8(bitPattern: $0) } }
        capacity *= 4
    }
    return []
}
