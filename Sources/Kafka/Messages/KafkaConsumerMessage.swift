public import NIOCore

/// A message read by a ``KafkaConsumer``.
public struct KafkaConsumerMessage: Hashable, Sendable {
    /// The topic the message was read from.
    public var topic: String
    /// The partition the message was read from.
    public var partition: KafkaPartition
    /// The message's offset in its partition.
    public var offset: KafkaOffset
    /// The key, or `nil` for a message without key.
    public var key: ByteBuffer?
    /// The value, or `nil` for a tombstone (NULL value).
    public var value: ByteBuffer?
    /// The headers, in the order they were produced.
    public var headers: [KafkaHeader]
    /// The message timestamp, if it has one.
    public var timestamp: KafkaTimestamp?
    /// Who set ``timestamp``.
    public var timestampType: KafkaTimestampType

    public init(
        topic: String,
        partition: KafkaPartition,
        offset: KafkaOffset,
        key: ByteBuffer?,
        value: ByteBuffer?,
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil,
        timestampType: KafkaTimestampType = .createTime
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.timestampType = timestampType
    }

    /// The key decoded as UTF-8 (invalid sequences replaced), or `nil` without key.
    public var keyString: String? { key.map { String(buffer: $0) } }

    /// The value decoded as UTF-8 (invalid sequences replaced), or `nil` for a tombstone.
    public var valueString: String? { value.map { String(buffer: $0) } }

    /// The key's bytes, or `nil` without key.
    public var keyBytes: [UInt8]? { key.map { Array(buffer: $0) } }

    /// The value's bytes, or `nil` for a tombstone.
    public var valueBytes: [UInt8]? { value.map { Array(buffer: $0) } }
}
