/// An `-o` value that is not an offset.
public struct OffsetArgumentError: Error, CustomStringConvertible, Equatable {
    public var value: String
    public var reason: String?

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
