/// Traps, so that libFuzzer reports the input as a crash, when a property of the code under test does not hold.
public func check(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #file,
    line: UInt = #line
) {
    guard !condition() else { return }
    preconditionFailure("property violated: \(message())", file: file, line: line)
}

/// `bytes` as text for a failure message: printable ASCII as is, other bytes as `\xNN`.
public func shownBytes<C: Collection<UInt8>>(_ bytes: C) -> String {
    var text = "\""
    for byte in bytes {
        if (0x20..<0x7F).contains(byte), byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "\"") {
            text.unicodeScalars.append(UnicodeScalar(byte))
        } else {
            text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return text + "\""
}

/// `bytes` written as kcat's `\xNN` escapes, which `unescape` turns back into them.
public func hexEscaped(_ bytes: [UInt8]) -> String {
    let hex = Array("0123456789abcdef".utf8)
    var escaped: [UInt8] = []
    for byte in bytes {
        escaped += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
    }
    return String(decoding: escaped, as: UTF8.self)
}
