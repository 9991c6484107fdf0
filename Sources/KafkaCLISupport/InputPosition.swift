/// Where a record came from: a file (or standard input) and its record (line) number there, 1-based.
public struct InputPosition: Hashable, Sendable, CustomStringConvertible {
    /// The file name; `nil` for standard input.
    public var source: String?
    /// The record (line) number, 1-based.
    public var line: Int

    /// A position.
    public init(source: String?, line: Int) {
        self.source = source
        self.line = line
    }

    public var description: String {
        if let source { return "\(source): line \(line)" }
        return "line \(line)"
    }
}
