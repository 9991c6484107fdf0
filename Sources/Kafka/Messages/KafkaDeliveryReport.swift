/// Identifies one sent message; unique per ``KafkaProducer``.
public struct KafkaProducerMessageID: Hashable, Sendable, CustomStringConvertible {
    /// The identifier's value; ids increase in send order.
    public let rawValue: UInt64

    @usableFromInline
    package init(rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "#\(rawValue)" }
}

/// The outcome of one sent message: where it landed, or why it was not delivered.
public struct KafkaDeliveryReport: Sendable {
    /// The message this report is for.
    public var id: KafkaProducerMessageID
    /// Where the message landed, or the error that failed it.
    public var result: Result<KafkaDelivery, KafkaError>

    package init(id: KafkaProducerMessageID, result: Result<KafkaDelivery, KafkaError>) {
        self.id = id
        self.result = result
    }
}
