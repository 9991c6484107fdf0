import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
        var capacity = max(chunkSize, carry.count * 2)
        while true {
            var records: [Range<Int>] = []
            var recordStart = 0
            var outcome = ReadOutcome.full
            // Read straight into the chunk's buffer, after the unfinished record carried over: no second copy.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
            var count = 0
            do {
                guard let base = buffer.baseAddress else { throw ReadError(errno: ENOMEM) }
                carry.withUnsafeBytes { carried in
                    if let from = carried.baseAddress { base.copyMemory(from: from, byteCount: carried.count) }
                }
                count = carry.count
                reading: while count < capacity {
                    if stopped.load(ordering: .relaxed) {
                        outcome = .stopped
                        break reading
                    }
                    guard try waitReadable() else { continue }
                    let n = read(fd, base + count, capacity - count)
                    if n < 0 {
                        if errno == EINTR || errno == EAGAIN { continue }
                        throw ReadError(errno: errno)
                    }
                    if n == 0 {
                        outcome = .endOfInput
                        break reading
                    }
                    count += n
                    let filled = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                    recordStart = splitter.split(filled, from: recordStart, into: &records)
                    if !records.isEmpty {
                        outcome = .records
                        break reading
                    }
                }
            } catch {
                buffer.deallocate()
                throw error
            }
            switch outcome {
            case .records:
                carry = Array(UnsafeRawBufferPointer(rebasing: buffer[recordStart..<count]))
                return RecordChunk(owning: buffer, count: recordStart, records: records)
            case .endOfInput, .stopped:
                finished = true
                carry = []
                if outcome == .endOfInput, recordStart < count { records.append(recordStart..<count) }
                guard !records.isEmpty else {
                    buffer.deallocate()
                    return nil
                }
                return RecordChunk(owning: buffer, count: count, records: records)
            case .full:
                // One record is longer than the buffer: keep it all, and read on into a buffer twice as large.
                carry = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                buffer.deallocate()
                capacity *= 2
            }
        }
    }

    private enum ReadOutcome { case records, endOfInput, stopped, full }

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
