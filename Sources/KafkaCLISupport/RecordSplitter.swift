#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds records separated by a delimiter of one or more bytes in a buffer. A pure function of its input: the
/// caller keeps the bytes after the last delimiter and hands them in again, with more, next time.
public struct RecordSplitter: Sendable {
    /// The delimiter; `nil` for no splitting (the whole input is one record).
    public let delimiter: [UInt8]?

    /// - Precondition: `delimiter` is `nil` or not empty.
    public init(delimiter: [UInt8]?) {
        precondition(delimiter.map { !$0.isEmpty } ?? true, "the delimiter must not be empty")
        self.delimiter = delimiter
    }

    /// Appends to `records` each record of `bytes[start...]` that ends with a delimiter (the delimiter excluded),
    /// and returns the index where the unfinished rest begins (`start` of the next call, once more bytes came).
    public func split(_ bytes: UnsafeRawBufferPointer, from start: Int, into records: inout [Range<Int>]) -> Int {
        guard let delimiter, let base = bytes.baseAddress else { return start }
        let count = bytes.count
        var recordStart = start
        var i = start
        let first = Int32(delimiter[0])
        let length = delimiter.count
        while i + length <= count {
            guard let found = memchr(base + i, first, count - i) else { break }
            let at = base.distance(to: UnsafeRawPointer(found))
            guard at + length <= count else { break }
            let matches =
                length == 1
                || delimiter.withUnsafeBytes { d in d.baseAddress.map { memcmp(base + at, $0, length) == 0 } ?? false }
            if matches {
                records.append(recordStart..<at)
                i = at + length
                recordStart = i
            } else {
                i = at + 1
            }
        }
        return recordStart
    }

    /// Where `delimiter` first occurs in `bytes`, if it does.
    public static func firstIndex(of delimiter: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let first = delimiter.first, let base = bytes.baseAddress else { return nil }
        var i = 0
        while i + delimiter.count <= bytes.count {
            guard let found = memchr(base + i, Int32(first), bytes.count - i) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(found))
            guard at + delimiter.count <= bytes.count else { return nil }
            let matches =
                delimiter.count == 1
                || delimiter.withUnsafeBytes { d in d.baseAddress.map { memcmp(base + at, $0, d.count) == 0 } ?? false }
            if matches { return at }
            i = at + 1
        }
        return nil
    }

    /// Splits a whole input: every record, the last one without a trailing delimiter included (an input that ends
    /// with the delimiter has no empty last record).
    public func splitAll(_ bytes: [UInt8]) -> [[UInt8]] {
        var ranges: [Range<Int>] = []
        let rest = bytes.withUnsafeBytes { split($0, from: 0, into: &ranges) }
        if rest < bytes.count { ranges.append(rest..<bytes.count) }
        return ranges.map { Array(bytes[$0]) }
    }
}
