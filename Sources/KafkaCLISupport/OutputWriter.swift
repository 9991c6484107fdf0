import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buffered writes to a file descriptor (stdout by default); `flush()` pushes them out. A closed pipe (EPIPE) is
/// reported through ``hasFailed``, not by a crash.
public final class OutputWriter: Sendable {
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let failed = Atomic<Bool>(false)
    /// Flush after every write.
    public let unbuffered: Bool
    private static let capacity = 64 * 1024

    /// A writer to `fd`; ignores SIGPIPE, so a closed pipe shows as ``hasFailed``.
    public init(fd: Int32 = 1, unbuffered: Bool = false) {
        self.fd = fd
        self.unbuffered = unbuffered
        signal(SIGPIPE, SIG_IGN)  // a closed pipe becomes EPIPE on write
    }

    /// Whether a write failed (e.g. the reader of the pipe went away).
    public var hasFailed: Bool { failed.load(ordering: .relaxed) }

    /// Appends `bytes` and, when `newline`, a line feed.
    public func write(_ bytes: UnsafeRawBufferPointer, newline: Bool = true) {
        let full = buffer.withLock { buffer in
            buffer.append(contentsOf: bytes)
            if newline { buffer.append(0x0A) }
            return buffer.count >= Self.capacity
        }
        if full || unbuffered { flush() }
    }

    /// Appends the UTF-8 of `string` and, when `newline`, a line feed.
    public func write(_ string: String, newline: Bool = true) {
        var string = string
        string.withUTF8 { write(UnsafeRawBufferPointer($0), newline: newline) }
    }

    /// Writes out everything buffered.
    public func flush() {
        buffer.withLock { buffer in
            guard !buffer.isEmpty else { return }
            defer { buffer.removeAll(keepingCapacity: true) }
            guard !failed.load(ordering: .relaxed) else { return }
            if !writeAll(fd: fd, buffer) { failed.store(true, ordering: .relaxed) }
        }
    }
}

private func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { writeAll(fd: fd, $0) }
}

/// Makes writes to a closed pipe fail with EPIPE instead of killing the process (SIGPIPE), so a reader that
/// goes away (`| head`) can be noticed and handled quietly.
public func ignoreBrokenPipe() {
    signal(SIGPIPE, SIG_IGN)
}

/// Writes a message (and a newline, unless `newline` is false) to stderr.
public func printError(_ message: String, newline: Bool = true) {
    _ = writeAll(fd: 2, Array((newline ? message + "\n" : message).utf8))
}

/// Writes `bytes` to `fd`, all of them (retrying on EINTR and short writes).
/// - Returns: `false` when a write failed (e.g. EPIPE: the reader of the pipe went away).
public func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = systemWrite(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += n
    }
    return true
}

private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
        return Darwin.write(fd, pointer, count)
    #elseif canImport(Musl)
        return Musl.write(fd, pointer, count)
    #else
        return Glibc.write(fd, pointer, count)
    #endif
}

/// Writes `text` to standard output, whole.
public func writeStandardOutput(_ text: String) {
    var text = text
    text.withUTF8 { _ = writeAll(fd: 1, UnsafeRawBufferPointer($0)) }
}
