/// Turns kcat's backslash escapes into bytes, as kcat does for `-D`, `-K` and `-f`: `\n`, `\r`, `\t`, `\\`,
/// `\0`, and `\xN`, `\xNN`, `\xNNN` (one to three hex digits; the value is truncated to a byte, as kcat does).
/// Any other escaped character stands for itself (`\q` is `q`); a trailing backslash is kept.
///
/// - Throws: ``CLIError`` for `\x` without hex digits.
public func unescape(_ text: String) throws(CLIError) -> [UInt8] {
    let input = Array(text.utf8)
    var output: [UInt8] = []
    output.reserveCapacity(input.count)
    var i = 0
    while i < input.count {
        let byte = input[i]
        guard byte == UInt8(ascii: "\\"), i + 1 < input.count else {
            output.append(byte)
            i += 1
            continue
        }
        let next = input[i + 1]
        i += 2
        switch next {
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "0"): output.append(0x00)
        case UInt8(ascii: "x"):
            var value = 0
            var digits = 0
            while digits < 3, i < input.count, let digit = hexValue(input[i]) {
                value = value * 16 + digit
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw CLIError("'\\x' needs hex digits in '\(text)'") }
            output.append(UInt8(truncatingIfNeeded: value))
        default: output.append(next)
        }
    }
    return output
}

func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
    default: return nil
    }
}
