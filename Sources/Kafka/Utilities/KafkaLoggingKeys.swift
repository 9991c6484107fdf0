/// Metadata keys this library puts on its log lines.
public enum KafkaLoggingKeys {
    /// The client id (`client.id`).
    public static let clientID = "kafka.client.id"
    /// The consumer group id.
    public static let groupID = "kafka.group.id"
    /// librdkafka's log facility (e.g. `BROKER`, `FAIL`).
    public static let facility = "kafka.librdkafka.facility"
    /// A librdkafka error code name.
    public static let errorCode = "kafka.error.code"
    /// A list of topic-partitions.
    public static let partitions = "kafka.partitions"
    /// A topic name.
    public static let topic = "kafka.topic"
    /// The version of the librdkafka the client runs on (``Librdkafka/version``).
    public static let librdkafkaVersion = "kafka.librdkafka.version"
}
