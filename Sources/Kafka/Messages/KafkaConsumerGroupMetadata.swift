/// A consumer group member's identity, as a transactional producer needs it to commit the group's offsets inside
/// a transaction (``KafkaTransaction/sendOffsets(_:groupMetadata:timeout:)``).
///
/// Take it from the consumer that read the input (``KafkaConsumer/groupMetadata()``): it then carries the member
/// id and the group generation too, so the group coordinator refuses the offsets of a member that was fenced by a
/// rebalance (a zombie that lost its partitions cannot commit over their new owner). A value made from a group id
/// only (``init(groupID:)``) commits without that check, as producers before Kafka 2.5 did.
///
/// A value type: keep it, copy it, send it to another task; it holds no librdkafka object.
public struct KafkaConsumerGroupMetadata: Hashable, Sendable, CustomStringConvertible {
    /// The consumer group's id.
    public let groupID: String
    /// librdkafka's serialized form (`rd_kafka_consumer_group_metadata_write`), or `nil` for group-id-only metadata.
    let serialized: [UInt8]?

    /// Metadata of `groupID` without member id and generation: the coordinator does not check who commits.
    public init(groupID: String) {
        self.groupID = groupID
        self.serialized = nil
    }

    init(groupID: String, serialized: [UInt8]) {
        self.groupID = groupID
        self.serialized = serialized
    }

    public var description: String {
        serialized == nil ? "group \(groupID) (group id only)" : "group \(groupID) (member and generation)"
    }
}
