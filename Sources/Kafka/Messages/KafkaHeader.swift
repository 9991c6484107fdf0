public import NIOCore

/// A message header: a name and an optional value.
///
/// Headers are an ordered list: names may repeat, and a value may be `nil` (which Kafka distinguishes from an
/// empty value).
public struct KafkaHeader: Hashable, Sendable {
    /// The header name.
    public var key: String
    /// The header value; `nil` for a header without value.
    public var value: ByteBuffer?

    /// A header with a byte value, or no value.
    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }

    /// A header whose value is the UTF-8 bytes of `value`.
    public init(key: String, value: String) {
        self.key = key
        self.value = ByteBuffer(string: value)
    }

    /// A header whose value is `bytes`.
    public init(key: String, bytes: [UInt8]) {
        self.key = key
        self.value = ByteBuffer(bytes: bytes)
    }

    /// The value decoded as UTF-8 (invalid sequences replaced), or `nil` without value.
    public var valueString: String? {
        value.map { String(buffer: $0) }
    }
}
