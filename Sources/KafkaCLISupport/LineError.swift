/// What is wrong with one input line (the line number is added by whoever knows it).
public struct LineError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
