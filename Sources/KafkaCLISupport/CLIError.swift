/// A mistake in what the user asked for (a flag, a combination of flags, a format string), worded for the user.
public struct CLIError: Error, CustomStringConvertible, Equatable {
    /// The message, naming the flag or value at fault.
    public var description: String

    /// An error with this message.
    public init(_ description: String) {
        self.description = description
    }
}
