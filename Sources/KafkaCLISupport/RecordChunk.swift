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
