import FuzzSupport
import FuzzedCLISupport

/// `-X prop=value`, `-H name=value` and `-F` configuration files, each against a byte-wise model: split at the first
/// `=`; a file's lines end at `\n`; spaces, tabs and `\r` around a file's names and values are trimmed.
///
/// Input: the text (an argument, or a file).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProperties(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: FuzzInput(data, size).rest, as: UTF8.self)
    let bytes = Array(text.utf8)
    let equals = bytes.firstIndex(of: UInt8(ascii: "="))

    let property = try? parseProperty(text)
    if let equals, equals > 0 {
        check(property.map(pair) == [Array(bytes[..<equals]), Array(bytes[(equals + 1)...])], "-X split wrong")
    } else {
        check(property == nil, "-X without a name before '=' was accepted")
    }

    let header = try? parseHeaderArgument(text)
    switch equals {
    case nil where bytes.isEmpty, 0?: check(header == nil, "-H without a name was accepted")
    case nil: check(header?.name == text && header?.value == .some(nil), "-H without '=' is not a NULL header")
    case let equals?:
        check(
            header.map { [Array($0.name.utf8), Array(($0.value ?? "").utf8)] }
                == [Array(bytes[..<equals]), Array(bytes[(equals + 1)...])] && header?.value != nil,
            "-H split wrong"
        )
    }

    let file = try? parseConfigFile(text, path: "f")
    check(file.map { $0.map(pair) } == configFileModel(bytes), "-F parsed differently from the model")
    if let file {
        let written = file.map { "\($0.0)=\($0.1)\n" }.joined()
        let again = try? parseConfigFile(written, path: "f")
        check(again.map { $0.map(pair) } == file.map(pair), "-F entries written back do not parse the same")
    }
    return 0
}

private func pair(_ entry: (String, String)) -> [[UInt8]] {
    [Array(entry.0.utf8), Array(entry.1.utf8)]
}

private func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    let blank: Set<UInt8> = [0x20, 0x09, 0x0D]
    var slice = bytes
    while let first = slice.first, blank.contains(first) { slice = slice.dropFirst() }
    while let last = slice.last, blank.contains(last) { slice = slice.dropLast() }
    return slice
}

/// The entries of a `-F` file, or `nil` when a line is not `name=value`.
private func configFileModel(_ bytes: [UInt8]) -> [[[UInt8]]]? {
    var entries: [[[UInt8]]] = []
    for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        let line = trimmed(rawLine)
        if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
        guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let name = trimmed(line[..<equals])
        guard !name.isEmpty else { return nil }
        entries.append([Array(name), Array(trimmed(line[(equals + 1)...]))])
    }
    return entries
}
