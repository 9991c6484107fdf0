#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `read(2)` or `poll(2)` failed.
public struct ReadError: Error, CustomStringConvertible {
    /// The system's error number.
    public var errno: Int32
    public var description: String { "reading input failed: \(String(cString: strerror(errno)))" }
}
