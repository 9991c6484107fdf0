/// What is wrong with one input line (the line number is added by whoever knows it).
public struct LineError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, for the user.
    public var description: String

    /// An error with this message.
    public init(_ description: String) {
        self.description = description
    }
}
