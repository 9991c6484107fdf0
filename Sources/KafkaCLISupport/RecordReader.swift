import Dispatch
public import Kafka
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Records read in one go, in one buffer this object owns: a record is handed on as a ``RecordBytes`` view into
/// it, without a copy, valid as long as the chunk is kept alive.
public final class RecordChunk: @unchecked Sendable {
    // @unchecked: `bytes` is written only while the reader fills it, before the chunk is handed out; after that it
    // is read-only until `deinit` frees it.
    private let bytes: UnsafeMutableRawBufferPointer
    /// How many bytes of the buffer hold input.
    public let count: Int
    /// Where each record lies, in input order.
    public let records: [Range<Int>]

    /// Takes ownership of `bytes` (allocated with `UnsafeMutableRawBufferPointer.allocate`).
    init(owning bytes: UnsafeMutableRawBufferPointer, count: Int, records: [Range<Int>]) {
        self.bytes = bytes
        self.count = count
        self.records = records
    }

    /// A chunk holding a copy of `storage` (for tests and small inputs).
    public convenience init(copying storage: [UInt8], records: [Range<Int>]) {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(storage.count, 1), alignment: 1)
        storage.withUnsafeBytes {
            if let base = $0.baseAddress { bytes.baseAddress?.copyMemory(from: base, byteCount: $0.count) }
        }
        self.init(owning: bytes, count: storage.count, records: records)
    }

    deinit {
        bytes.deallocate()
    }

    /// A view of the bytes of `range`, valid while this chunk is alive.
    public subscript(range: Range<Int>) -> RecordBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the chunk")
        return RecordBytes(view: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// A copy of the bytes of `range`.
    public func copy(_ range: Range<Int>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }
}

/// Message bytes: a view of some bytes of a ``RecordChunk`` (no copy), or an array of their own (decoded JSON,
/// a fixed `-k` key).
///
/// - Important: A view is valid only while its chunk is alive: keep the chunk until the message was enqueued
///   (librdkafka copies the bytes during the enqueue call). The view holds no reference to the chunk, which saves a
///   retain and a release per message on the send path.
public struct RecordBytes: KafkaContiguousBytes {
    private let view: UnsafeRawBufferPointer
    private let array: [UInt8]?

    init(view: UnsafeRawBufferPointer) {
        self.view = view
        self.array = nil
    }

    /// Bytes of their own.
    public init(_ array: [UInt8]) {
        self.view = UnsafeRawBufferPointer(start: nil, count: 0)
        self.array = array
    }

    /// The number of bytes.
    public var count: Int { array?.count ?? view.count }

    /// A copy of the bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let array { return try array.withUnsafeBytes(body) }
        return try body(view)
    }
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

/// `read(2)` or `poll(2)` failed.
public struct ReadError: Error, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "reading input failed: \(String(cString: strerror(errno)))" }
}
