/// Whether `bytes` are well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
public func isValidUTF8<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
    if let result = bytes.withContiguousStorageIfAvailable({ isValidUTF8(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    return Array(bytes).withUnsafeBytes { isValidUTF8($0) }
}

/// Whether the bytes are well-formed UTF-8.
public func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: return false
        }
        guard i + length <= n else { return false }
        let b1 = bytes[i + 1]
        guard b1 >= lower, b1 <= upper else { return false }
        for k in 2..<max(length, 2) where k < length {
            guard bytes[i + k] & 0xC0 == 0x80 else { return false }
        }
        i += length
    }
    return true
}
