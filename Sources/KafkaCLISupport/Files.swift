#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `contents` to `path`, replacing the file.
/// - Throws: `FileError` with the system's reason.
public func writeFile(_ path: String, contents: String) throws {
    guard let file = fopen(path, "w") else { throw FileError(path: path, errno: errno) }
    defer { fclose(file) }
    let bytes = Array(contents.utf8)
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw FileError(path: path, errno: errno) }
}

/// A file could not be written or read.
public struct FileError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
