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

/// Reads a (small) text file whole, for configuration files. Blocking: call before any concurrency starts.
/// - Throws: `FileError` with the system's reason.
public func readTextFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw FileError(path: path, errno: errno) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
        if n < buffer.count {
            if ferror(file) != 0 { throw FileError(path: path, errno: errno) }
            break
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Opens a file for reading.
/// - Throws: `FileError` with the system's reason.
public func openForReading(_ path: String) throws -> Int32 {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw FileError(path: path, errno: errno) }
    return fd
}

/// Closes a file descriptor.
public func closeFile(_ fd: Int32) {
    _ = close(fd)
}
