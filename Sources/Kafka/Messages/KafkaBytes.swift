/// The bytes of a consumed message's key or value.
///
/// A message read by a ``KafkaConsumer`` is not copied: its key and value are read in place from the memory
/// librdkafka fetched them into, which stays alive as long as any `KafkaBytes` (or ``KafkaConsumerMessage``)
/// refers to it. `KafkaBytes` is a collection of `UInt8`, so the usual conversions work and take one copy:
///
/// ```swift
/// let text = String(decoding: bytes, as: UTF8.self)
/// let array = Array(bytes)
/// let buffer = ByteBuffer(bytes: bytes)  // NIO
/// let data = Data(bytes)                 // Foundation
/// ```
///
/// ``withUnsafeBytes(_:)`` reads them without a copy. A `KafkaBytes` can be sent again as the key or value of a
/// ``KafkaProducerMessage``, also without an intermediate copy.
///
/// - Important: keeping a message keeps the memory of the poll it came in with (up to
///   ``KafkaConsumerConfiguration/Buffer/batchSize`` messages and the fetch responses they were read from), and a
///   closed consumer's librdkafka handle is freed only once no message of it is left. To keep a few bytes of a
///   message for long, copy them (for example `Array(bytes)`).
public struct KafkaBytes: @unchecked Sendable {
    // @unchecked: `base` points to memory that is never written once a KafkaBytes refers to it, and that `owner`
    // keeps alive.
    @usableFromInline let owner: AnyObject?
    @usableFromInline let base: UnsafeRawPointer?
    /// The number of bytes.
    public let count: Int

    /// Bytes at `base` kept alive by `owner`.
    @usableFromInline
    init(owner: AnyObject?, base: UnsafeRawPointer?, count: Int) {
        self.owner = owner
        self.base = count > 0 ? base : nil
        self.count = count
    }

    /// A copy of `bytes`.
    public init(_ bytes: some Sequence<UInt8>) {
        let copied =
            bytes.withContiguousStorageIfAvailable { OwnedBytes(copying: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { OwnedBytes(copying: $0) }
        self.init(owner: copied, base: UnsafeRawPointer(copied.bytes.baseAddress), count: copied.bytes.count)
    }

    /// A copy of the UTF-8 bytes of `string`.
    public init(_ string: String) {
        self = string.withUnsafeBytes { KafkaBytes($0) }
    }

    /// Calls `body` with the bytes, without a copy; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeRawBufferPointer(start: base, count: count)) }
    }
}

extension KafkaBytes: RandomAccessCollection {
    public typealias Index = Int
    public typealias Element = UInt8

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "KafkaBytes index \(position) out of range 0..<\(count)")
        return withExtendedLifetime(owner) { base.unsafelyUnwrapped.load(fromByteOffset: position, as: UInt8.self) }
    }

    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withUnsafeBytes { try body($0.assumingMemoryBound(to: UInt8.self)) }
    }
}

extension KafkaBytes: Hashable {
    public static func == (lhs: KafkaBytes, rhs: KafkaBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.base == rhs.base { return true }
        return lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.elementsEqual(r) } }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension KafkaBytes: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self.init(value)
    }
}

extension KafkaBytes: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: UInt8...) {
        self.init(elements)
    }
}

extension KafkaBytes: CustomStringConvertible {
    /// The byte count, and the bytes as text when they are valid UTF-8 and short.
    public var description: String {
        let size = count == 1 ? "1 byte" : "\(count) bytes"
        if count <= 64,
            let text = withUnsafeBytes({ String(validating: $0.assumingMemoryBound(to: UInt8.self), as: UTF8.self) })
        {
            return "\(size) \"\(text)\""
        }
        return size
    }
}

extension KafkaBytes: KafkaContiguousBytes {}

/// Memory holding a copy, for ``KafkaBytes`` made by the application.
@usableFromInline
final class OwnedBytes: Sendable {
    // Sendable: written once, in init.
    nonisolated(unsafe) let bytes: UnsafeMutableRawBufferPointer

    init(copying source: UnsafeRawBufferPointer) {
        bytes = .allocate(byteCount: source.count, alignment: 1)
        bytes.copyMemory(from: source)
    }

    deinit {
        bytes.deallocate()
    }
}
