import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads delimited records (lines by default) from a file descriptor. Each blocking `read(2)` runs on a dispatch
/// queue of its own, never on Swift's cooperative thread pool.
public final class LineReader: @unchecked Sendable {
    // @unchecked: `pending` and `eof` are touched only inside `queue.sync`/`queue.async` blocks of the serial queue.
    private let fd: Int32
    private let delimiter: [UInt8]
    private let queue = DispatchQueue(label: "kafka-cli.line-reader")
    private var pending: [UInt8] = []
    private var eof = false

    public init(fd: Int32 = 0, delimiter: [UInt8] = [0x0A]) {
        precondition(!delimiter.isEmpty, "the delimiter must not be empty")
        self.fd = fd
        self.delimiter = delimiter
    }

    /// The next records read (at least one), or `nil` at end of input. The last record need not end with the
    /// delimiter.
    /// - Throws: `LineReaderError` when `read(2)` fails.
    public func nextRecords() async throws -> [[UInt8]]? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.readRecords() })
            }
        }
    }

    private func readRecords() throws -> [[UInt8]]? {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var records = splitRecords()
            if !records.isEmpty { return records }
            if eof {
                guard !pending.isEmpty else { return nil }
                records = [pending]
                pending = []
                return records
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LineReaderError(errno: errno)
            }
            if n == 0 {
                eof = true
            } else {
                pending.append(contentsOf: chunk[0..<n])
            }
        }
    }

    /// Removes every complete record from `pending`.
    private func splitRecords() -> [[UInt8]] {
        var records: [[UInt8]] = []
        var start = 0
        var i = 0
        let d = delimiter
        while i + d.count <= pending.count {
            if pending[i] == d[0] && (d.count == 1 || pending[i..<(i + d.count)].elementsEqual(d)) {
                records.append(Array(pending[start..<i]))
                i += d.count
                start = i
            } else {
                i += 1
            }
        }
        if start > 0 { pending.removeFirst(start) }
        return records
    }
}

/// `read(2)` failed.
public struct LineReaderError: Error, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "reading input failed: \(String(cString: strerror(errno)))" }
}
