/// Parses one `prop=value` entry (`-X`, or a line of a `-F` file); the value may itself contain `=`.
/// - Throws: ``CLIError`` when there is no `=` or the name is empty.
public func parseProperty(_ entry: String) throws(CLIError) -> (String, String) {
    guard let (name, value) = splitAtEquals(entry.utf8), !name.isEmpty else {
        throw CLIError("-X needs prop=value, got '\(entry)'")
    }
    return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
}

/// Parses a `-F` configuration file: `prop=value` lines; blank lines and lines starting with `#` are skipped;
/// spaces around the name and the value are trimmed.
/// - Throws: ``CLIError`` naming the file, the line number and the line.
public func parseConfigFile(_ text: String, path: String) throws(CLIError) -> [(String, String)] {
    var result: [(String, String)] = []
    // Lines end at the byte `\n`: split into Characters, a CRLF file would be one line (`\r\n` is one Character).
    let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (index, rawLine) in lines.enumerated() {
        let line = rawLine.trimmingASCIIBlanks()
        if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
        guard let (name, value) = splitAtEquals(line), !name.trimmingASCIIBlanks().isEmpty else {
            let shown = String(decoding: line, as: UTF8.self)
            throw CLIError("\(path):\(index + 1): expected prop=value, got '\(shown)'")
        }
        result.append(
            (
                String(decoding: name.trimmingASCIIBlanks(), as: UTF8.self),
                String(decoding: value.trimmingASCIIBlanks(), as: UTF8.self)
            )
        )
    }
    return result
}

/// Parses a `-H` header: `name=value`, or `name` alone for a header with a NULL value (as kcat does).
/// - Throws: ``CLIError`` for an empty name.
public func parseHeaderArgument(_ entry: String) throws(CLIError) -> (name: String, value: String?) {
    guard let (name, value) = splitAtEquals(entry.utf8) else {
        guard !entry.isEmpty else { throw CLIError("-H needs name=value, got an empty header") }
        return (entry, nil)
    }
    guard !name.isEmpty else { throw CLIError("-H needs name=value, got '\(entry)'") }
    return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
}

/// The bytes before and after the first `=`, or `nil` without one. The split is on bytes, as kcat's: on
/// Characters, a `=` followed by a combining mark (`"=\u{301}"`, one Character) would not be found.
private func splitAtEquals<Bytes: Collection<UInt8>>(_ text: Bytes) -> (Bytes.SubSequence, Bytes.SubSequence)? {
    guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else { return nil }
    return (text[..<equals], text[text.index(after: equals)...])
}

/// The `-z` codecs librdkafka knows.
public let compressionCodecs = ["none", "gzip", "snappy", "lz4", "zstd"]

/// Checks a `-z` codec.
/// - Throws: ``CLIError`` listing the known codecs.
public func parseCompressionCodec(_ codec: String) throws(CLIError) -> String {
    guard compressionCodecs.contains(codec) else {
        throw CLIError("-z: unknown codec '\(codec)' (use one of \(compressionCodecs.joined(separator: ", ")))")
    }
    return codec
}

extension BidirectionalCollection<UInt8> {
    /// Without the spaces, tabs and carriage returns at either end.
    func trimmingASCIIBlanks() -> SubSequence {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        var start = startIndex
        var end = endIndex
        while start < end, isBlank(self[start]) { formIndex(after: &start) }
        while end > start, isBlank(self[index(before: end)]) { formIndex(before: &end) }
        return self[start..<end]
    }
}
