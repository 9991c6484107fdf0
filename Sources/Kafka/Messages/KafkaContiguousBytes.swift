public import NIOCore

/// A type whose bytes can be handed to librdkafka without an intermediate copy: the key and value types of a
/// ``KafkaProducerMessage``.
///
/// `[UInt8]`, `ArraySlice<UInt8>`, `String`, `Substring`, NIO's `ByteBuffer` and a consumed message's ``KafkaBytes``
/// conform. Conform your own types
/// (for example a protobuf message's serialized form) by exposing their bytes.
public protocol KafkaContiguousBytes {
    /// Calls `body` with the bytes; the pointer is valid only inside `body`.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: KafkaContiguousBytes where Element == UInt8 {}

extension ArraySlice: KafkaContiguousBytes where Element == UInt8 {}

extension String: KafkaContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let result = try self.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var copy = self
        copy.makeContiguousUTF8()
        return try copy.utf8.withContiguousStorageIfAvailable { try body(UnsafeRawBufferPointer($0)) }
            ?? Array(copy.utf8).withUnsafeBytes(body)
    }
}

extension Substring: KafkaContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let result = try self.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try String(self).withUnsafeBytes(body)
    }
}

extension ByteBuffer: KafkaContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self.withUnsafeReadableBytes(body)
    }
}

extension Never: KafkaContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {}
    }
}
