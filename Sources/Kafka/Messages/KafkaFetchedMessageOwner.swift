internal import CLibrdkafka

/// Keeps librdkafka messages alive while a ``KafkaConsumerMessage`` (or ``KafkaBytes``) of them is, and reads what
/// must be read under its control. The consumer's lease of one poll (`RDKafkaMessageLease`, in `Client/`) is one;
/// this type lets the message value type refer to it without depending on the layer that owns handles.
protocol KafkaFetchedMessageOwner: AnyObject, Sendable {
    /// The headers of `message` (one of those it owns), copied out, in the order they were produced.
    func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader]
}
