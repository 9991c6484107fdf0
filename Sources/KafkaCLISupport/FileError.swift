#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file could not be written or read.
public struct FileError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The system's error number.
    public var errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
