/// One fuzz input, read from the front: a harness takes its parameters (a delimiter, split points) from the first
/// bytes and the text to parse from the rest.
public struct FuzzInput {
    private var remaining: ArraySlice<UInt8>

    /// The `size` bytes at `data` (libFuzzer's input; `data` may be dangling when `size` is 0).
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        remaining = ArraySlice(UnsafeBufferPointer(start: size > 0 ? data : nil, count: size))
    }

    /// The next byte, or 0 once the input is used up.
    public mutating func byte() -> UInt8 {
        remaining.popFirst() ?? 0
    }

    /// The next `count` bytes (fewer once the input is used up).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        let taken = remaining.prefix(count)
        remaining = remaining.dropFirst(count)
        return Array(taken)
    }

    /// Everything not read yet.
    public var rest: [UInt8] { Array(remaining) }
}
