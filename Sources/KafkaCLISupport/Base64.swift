/// Standard base64 (RFC 4648, with padding), as the `*_encoding: "base64"` JSON members carry bytes.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Appends the base64 text of `bytes` to `output`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        var i = 0
        let n = bytes.count
        output.reserveCapacity(output.count + (n + 2) / 3 * 4)
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            output.append(alphabet[Int(v >> 18 & 63)])
            output.append(alphabet[Int(v >> 12 & 63)])
            output.append(alphabet[Int(v >> 6 & 63)])
            output.append(alphabet[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(bytes[i]) << 16
            output.append(alphabet[Int(v >> 18 & 63)])
            output.append(alphabet[Int(v >> 12 & 63)])
            output.append(UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        } else if n - i == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            output.append(alphabet[Int(v >> 18 & 63)])
            output.append(alphabet[Int(v >> 12 & 63)])
            output.append(alphabet[Int(v >> 6 & 63)])
            output.append(UInt8(ascii: "="))
        }
    }

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        bytes.withUnsafeBytes { encode($0, into: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base64 text (padding optional; no whitespace).
    /// - Returns: `nil` when `text` is not base64.
    public static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        var count = 0
        for c in text {
            count += 1
            if c == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { return nil }  // data after padding
            let v = decodeTable[Int(c)]
            guard v != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard padding <= 2, count % 4 == 0 || padding == 0, (count - padding) % 4 != 1 else { return nil }
        return output
    }
}
