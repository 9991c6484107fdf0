/// Appends JSON text to a byte buffer, escaping strings the way kcat (yajl) does: `\"`, `\\`, `\b`, `\f`, `\n`,
/// `\r`, `\t`, other control characters as `\u00XX` (upper-case hex), everything else (`/`, DEL, UTF-8) as is.
public enum JSONWriter {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Appends `bytes` (UTF-8) as a quoted JSON string.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<bytes.count {
            let byte = bytes[i]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < i { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: output.append(UInt8(ascii: "\""))
            case 0x5C: output.append(UInt8(ascii: "\\"))
            case 0x08: output.append(UInt8(ascii: "b"))
            case 0x0C: output.append(UInt8(ascii: "f"))
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "t"))
            default:
                output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
        if runStart < bytes.count { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends `string` as a quoted JSON string.
    public static func appendString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &output) }
    }

    /// Appends raw text (a member name with its colon, a number, punctuation).
    public static func appendRaw(_ text: StaticString, to output: inout [UInt8]) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    /// Appends an integer in decimal.
    public static func appendInteger<I: BinaryInteger>(_ value: I, to output: inout [UInt8]) {
        appendDecimal(Int64(value), to: &output)
    }
}

/// Appends `value` in decimal, without going through `String`.
func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
    if value < 0 {
        output.append(UInt8(ascii: "-"))
        if value == .min {
            output.append(contentsOf: Array("9223372036854775808".utf8))
            return
        }
        appendDecimal(-value, to: &output)
        return
    }
    if value < 10 {
        output.append(UInt8(ascii: "0") + UInt8(value))
        return
    }
    var digits:
        (
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
        ) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var v = value
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
        while v > 0 {
            buffer[19 - count] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            count += 1
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
    }
}
