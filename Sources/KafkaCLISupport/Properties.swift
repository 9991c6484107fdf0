/// Parses one `prop=value` entry (`-X`, or a line of a `-F` file); the value may itself contain `=`.
/// - Throws: ``CLIError`` when there is no `=` or the name is empty.
public func parseProperty(_ entry: String) throws(CLIError) -> (String, String) {
    guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
        throw CLIError("-X needs prop=value, got '\(entry)'")
    }
    return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
}

/// Parses a `-F` configuration file: `prop=value` lines; blank lines and lines starting with `#` are skipped;
/// spaces around the name and the value are trimmed.
/// - Throws: ``CLIError`` naming the file, the line number and the line.
public func parseConfigFile(_ text: String, path: String) throws(CLIError) -> [(String, String)] {
    var result: [(String, String)] = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = rawLine.trimmingASCIIWhitespace()
        if line.isEmpty || line.hasPrefix("#") { continue }
        guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
            throw CLIError("\(path):\(index + 1): expected prop=value, got '\(line)'")
        }
        let key = line[..<equals].trimmingASCIIWhitespace()
        let value = line[line.index(after: equals)...].trimmingASCIIWhitespace()
        guard !key.isEmpty else { throw CLIError("\(path):\(index + 1): expected prop=value, got '\(line)'") }
        result.append((String(key), String(value)))
    }
    return result
}

/// Parses a `-H` header: `name=value`, or `name` alone for a header with a NULL value (as kcat does).
/// - Throws: ``CLIError`` for an empty name.
public func parseHeaderArgument(_ entry: String) throws(CLIError) -> (name: String, value: String?) {
    guard let equals = entry.firstIndex(of: "=") else {
        guard !entry.isEmpty else { throw CLIError("-H needs name=value, got an empty header") }
        return (entry, nil)
    }
    guard equals != entry.startIndex else { throw CLIError("-H needs name=value, got '\(entry)'") }
    return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
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

extension StringProtocol {
    func trimmingASCIIWhitespace() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" || self[start] == "\r" {
            start = index(after: start)
        }
        while end > start {
            let before = index(before: end)
            guard self[before] == " " || self[before] == "\t" || self[before] == "\r" else { break }
            end = before
        }
        return self[start..<end]
    }
}
