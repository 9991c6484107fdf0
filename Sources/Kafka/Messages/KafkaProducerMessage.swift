/// A message to produce: destination, key, value, headers and timestamp.
///
/// Key and value are any ``KafkaContiguousBytes`` (`String`, `[UInt8]`, `ByteBuffer`, ...), handed to librdkafka
/// without an intermediate copy.
///
/// ```swift
/// let message = KafkaProducerMessage(
///     topic: "orders",
///     key: "customer-42",
///     value: #"{"total": 12}"#,
///     headers: [KafkaHeader(key: "source", value: "web")]
/// )
/// ```
public struct KafkaProducerMessage<Key: KafkaContiguousBytes, Value: KafkaContiguousBytes> {
    /// The topic to produce to.
    public var topic: String
    /// The partition to produce to, or ``KafkaPartition/unassigned`` to let the configured partitioner choose.
    public var partition: KafkaPartition
    /// The key; `nil` for a message without key.
    public var key: Key?
    /// The value; `nil` for a tombstone (a NULL value, which deletes the key in a compacted topic).
    public var value: Value?
    /// The headers, in order; names may repeat.
    public var headers: [KafkaHeader]
    /// The message's `CreateTime`; `nil` lets librdkafka stamp the time of the send.
    public var timestamp: KafkaTimestamp?

    /// A message with a key.
    public init(
        topic: String,
        partition: KafkaPartition = .unassigned,
        key: Key?,
        value: Value?,
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

extension KafkaProducerMessage where Key == Never {
    /// A message without a key.
    public init(
        topic: String,
        partition: KafkaPartition = .unassigned,
        value: Value?,
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil
    ) {
        self.init(topic: topic, partition: partition, key: nil, value: value, headers: headers, timestamp: timestamp)
    }
}

extension KafkaProducerMessage where Value == Never {
    /// A tombstone: a message with a key and a NULL value.
    public static func tombstone(
        topic: String,
        partition: KafkaPartition = .unassigned,
        key: Key,
        headers: [KafkaHeader] = []
    ) -> KafkaProducerMessage {
        KafkaProducerMessage(topic: topic, partition: partition, key: key, value: nil, headers: headers)
    }
}

extension KafkaProducerMessage: Sendable where Key: Sendable, Value: Sendable {}

/// Where a produced message landed, once the broker acknowledged it.
public struct KafkaDelivery: Hashable, Sendable, CustomStringConvertible {
    /// The topic the message was written to.
    public var topic: String
    /// The partition the message was written to.
    public var partition: KafkaPartition
    /// The message's offset in ``partition``.
    public var offset: KafkaOffset
    /// The message's timestamp as stored: its `CreateTime` (given, or stamped by librdkafka at the send), or the
    /// broker's `LogAppendTime` when the topic uses that (see ``timestampType``).
    public var timestamp: KafkaTimestamp?
    /// Whose clock ``timestamp`` is: the producer's (`CreateTime`), or the broker's (`LogAppendTime`, reported in
    /// the produce response).
    public var timestampType: KafkaTimestampType

    public init(
        topic: String,
        partition: KafkaPartition,
        offset: KafkaOffset,
        timestamp: KafkaTimestamp?,
        timestampType: KafkaTimestampType = .createTime
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
    }

    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}
