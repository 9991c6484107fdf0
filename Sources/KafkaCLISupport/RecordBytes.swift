public import Kafka

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
