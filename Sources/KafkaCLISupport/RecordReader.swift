import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Records read in one go: slices of one storage array, so a record is handed on without a copy.
public struct RecordChunk: Sendable {
    /// The bytes read.
    public var storage: [UInt8]
    /// Where each record lies in ``storage``, in input order.
    public var records: [Range<Int>]
}

/// Reads delimited records from a file descriptor. Every blocking `read(2)` runs on a dispatch queue of its own,
/// never on Swift's cooperative thread pool, and the next chunk is read while the caller works on the current one.
///
/// A record longer than the chunk size is kept whole (the buffer grows). At end of input, a last record without a
/// trailing delimiter is returned too.
public final class RecordReader: @unchecked Sendable {
    // @unchecked: `carry`, `finished` and the descriptor are touched only by jobs on the serial `queue`; `pending`
    // only by the one task that calls `next()` (documented as such); `stopped` is atomic.
    private let fd: Int32
    private let splitter: RecordSplitter
    private let chunkSize: Int
    private let queue = DispatchQueue(label: "kafka-cli.record-reader")
    private var carry: [UInt8] = []
    private var finished = false
    private var pending: ReadJob?
    private let stopped = Atomic<Bool>(false)

    /// - Parameters:
    ///   - delimiter: the record delimiter; `nil` reads the whole input as one record.
    ///   - chunkSize: how much to read per `read(2)`.
    public init(fd: Int32, delimiter: [UInt8]?, chunkSize: Int = 256 * 1024) {
        self.fd = fd
        self.splitter = RecordSplitter(delimiter: delimiter)
        self.chunkSize = chunkSize
    }

    /// The next records (at least one), or `nil` at end of input or after ``stop()``. Call from one task at a time.
    /// - Throws: ``ReadError`` when `read(2)` fails.
    public func next() async throws -> RecordChunk? {
        let current = pending ?? submit()
        pending = submit()
        return try await current.value()
    }

    /// Makes reading end (within 100 ms when waiting for input): the next ``next()`` returns what was read already
    /// as complete records, then `nil`. Any thread.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func submit() -> ReadJob {
        let job = ReadJob()
        queue.async { job.complete(Result { try self.readChunk() }) }
        return job
    }

    /// Reads until at least one record is complete (or the input ended). Queue only.
    private func readChunk() throws -> RecordChunk? {
        if finished { return nil }
        var storage = carry
        storage.reserveCapacity(max(chunkSize, carry.count * 2))
        carry = []
        var recordStart = 0
        var records: [Range<Int>] = []
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            if stopped.load(ordering: .relaxed) {
                finished = true
                return records.isEmpty ? nil : RecordChunk(storage: storage, records: records)
            }
            guard try waitReadable() else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw ReadError(errno: errno)
            }
            if n == 0 {
                finished = true
                if recordStart < storage.count { records.append(recordStart..<storage.count) }
                return records.isEmpty ? nil : RecordChunk(storage: storage, records: records)
            }
            // Search again from where a delimiter split across two reads could begin.
            storage.append(contentsOf: buffer[0..<n])
            recordStart = storage.withUnsafeBytes { splitter.split($0, from: recordStart, into: &records) }
            if !records.isEmpty {
                carry = Array(storage[recordStart...])
                storage.removeSubrange(recordStart...)
                return RecordChunk(storage: storage, records: records)
            }
        }
    }

    /// Waits up to 100 ms for input, so that ``stop()`` is seen while stdin is idle.
    private func waitReadable() throws -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&descriptor, 1, 100)
        if rc < 0 {
            if errno == EINTR { return false }
            throw ReadError(errno: errno)
        }
        return rc > 0
    }
}

/// The result of one read, handed from the reader's queue to the awaiting task.
private final class ReadJob: Sendable {
    private enum State {
        case waiting(CheckedContinuation<RecordChunk?, any Error>?)
        case done(Result<RecordChunk?, any Error>)
    }
    private let state = Mutex<State>(.waiting(nil))

    func complete(_ result: Result<RecordChunk?, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<RecordChunk?, any Error>? in
            guard case .waiting(let waiter) = state else { return nil }
            state = .done(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> RecordChunk? {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<RecordChunk?, any Error>? in
                switch state {
                case .done(let result): return result
                case .waiting: state = .waiting(continuation); return nil
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// `read(2)` or `poll(2)` failed.
public struct ReadError: Error, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "reading input failed: \(String(cString: strerror(errno)))" }
}
