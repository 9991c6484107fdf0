internal import CLibrdkafka

/// A message read by a ``KafkaConsumer``.
///
/// Its key and value are not copied out of librdkafka: they are read in place (see ``KafkaBytes``), and its
/// headers are parsed when ``headers`` is read.
public struct KafkaConsumerMessage: Sendable {
    /// The topic the message was read from.
    public var topic: String
    /// The partition the message was read from.
    public var partition: KafkaPartition
    /// The message's offset in its partition.
    public var offset: KafkaOffset
    /// The message timestamp, if it has one.
    public var timestamp: KafkaTimestamp?
    /// Who set ``timestamp``.
    public var timestampType: KafkaTimestampType
    private var content: Content

    /// Where the key, value and headers are.
    private enum Content: @unchecked Sendable {
        // @unchecked: the message is read-only once handed out (see KafkaFetchedMessageOwner) and kept alive by
        // its owner.
        /// In a message librdkafka handed out, kept alive by its owner (the consumer's lease of one poll).
        case fetched(any KafkaFetchedMessageOwner, UnsafeMutablePointer<rd_kafka_message_t>)
        /// Set by the application.
        case assigned(key: KafkaBytes?, value: KafkaBytes?, headers: [KafkaHeader])
    }

    public init(
        topic: String,
        partition: KafkaPartition,
        offset: KafkaOffset,
        key: KafkaBytes?,
        value: KafkaBytes?,
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil,
        timestampType: KafkaTimestampType = .createTime
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.content = .assigned(key: key, value: value, headers: headers)
    }

    /// A message librdkafka handed out (without error), kept alive by `owner`.
    init(
        topic: String,
        owner: any KafkaFetchedMessageOwner,
        message: UnsafeMutablePointer<rd_kafka_message_t>
    ) {
        self.topic = topic
        self.partition = KafkaPartition(rawValue: message.pointee.partition)
        self.offset = KafkaOffset(rawValue: message.pointee.offset)
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(message, &type)
        self.timestamp = ts >= 0 ? KafkaTimestamp(millisecondsSinceEpoch: ts) : nil
        self.timestampType = type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .createTime
        self.content = .fetched(owner, message)
    }

    /// The key, or `nil` for a message without key.
    public var key: KafkaBytes? {
        get {
            switch content {
            case .fetched(let lease, let message):
                guard let key = message.pointee.key else { return nil }
                return KafkaBytes(owner: lease, base: key, count: message.pointee.key_len)
            case .assigned(let key, _, _):
                return key
            }
        }
        set {
            content = .assigned(key: newValue, value: value, headers: headers)
        }
    }

    /// The value, or `nil` for a tombstone (NULL value).
    public var value: KafkaBytes? {
        get {
            switch content {
            case .fetched(let lease, let message):
                guard let payload = message.pointee.payload else { return nil }
                return KafkaBytes(owner: lease, base: payload, count: message.pointee.len)
            case .assigned(_, let value, _):
                return value
            }
        }
        set {
            content = .assigned(key: key, value: newValue, headers: headers)
        }
    }

    /// The headers, in the order they were produced. Parsed (and their values copied) on each read: read once
    /// and keep the array when a loop needs them more than once.
    public var headers: [KafkaHeader] {
        get {
            switch content {
            case .fetched(let lease, let message): return lease.headers(of: message)
            case .assigned(_, _, let headers): return headers
            }
        }
        set {
            content = .assigned(key: key, value: value, headers: newValue)
        }
    }

    /// The key decoded as UTF-8 (invalid sequences replaced), or `nil` without key.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    /// The value decoded as UTF-8 (invalid sequences replaced), or `nil` for a tombstone.
    public var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }

    /// A copy of the key's bytes, or `nil` without key.
    public var keyBytes: [UInt8]? { key.map { Array($0) } }

    /// A copy of the value's bytes, or `nil` for a tombstone.
    public var valueBytes: [UInt8]? { value.map { Array($0) } }
}

extension KafkaConsumerMessage: Hashable {
    public static func == (lhs: KafkaConsumerMessage, rhs: KafkaConsumerMessage) -> Bool {
        lhs.topic == rhs.topic && lhs.partition == rhs.partition && lhs.offset == rhs.offset
            && lhs.timestamp == rhs.timestamp && lhs.timestampType == rhs.timestampType
            && lhs.key == rhs.key && lhs.value == rhs.value && lhs.headers == rhs.headers
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(partition)
        hasher.combine(offset)
        hasher.combine(key)
        hasher.combine(value)
    }
}
