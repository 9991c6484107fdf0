/// An `-o` value that is not an offset.
public struct OffsetArgumentError: Error, CustomStringConvertible, Equatable {
    /// The value as given.
    public var value: String
    /// Why it is refused, when more specific than "not an offset".
    public var reason: String?

    /// An error for `value`.
    public init(value: String, reason: String? = nil) {
        self.value = value
        self.reason = reason
    }

    public var description: String {
        if let reason { return "invalid offset '\(value)': \(reason)" }
        return "invalid offset '\(value)': use beginning, end, stored, an offset N >= 0, -N for N messages before the "
            + "end, s@ts to start at a time or e@ts to stop at one (ts in ms since the epoch)"
    }
}
