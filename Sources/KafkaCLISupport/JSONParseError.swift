/// Input that is not valid JSON.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public var message: String
    /// 1-based column (byte) of the problem.
    public var column: Int
    public var description: String { "\(message) at column \(column)" }
}
