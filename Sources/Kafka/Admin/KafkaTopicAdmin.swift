public import Logging

/// Creates and deletes topics through the Admin API (`CreateTopics`, `DeleteTopics`), on a thread of the library's
/// own, with a short-lived handle whose log lines go to `logger`.
///
/// Package-internal for now: `KafkaTesting` uses it to prepare topics on a real broker. (The 2.0.2 mock cluster
/// does not answer Admin requests; `EmbeddedCluster` creates topics through the mock API instead.)
package enum KafkaTopicAdmin {
    /// Logs errors only: what a test helper's handle says is rarely of interest.
    package static var defaultLogger: Logger {
        var logger = Logger(label: "swift-kafka.topic-admin")
        logger.logLevel = .error
        return logger
    }

    /// Creates `topic` and waits until the cluster confirms it.
    package static func createTopic(
        _ topic: String,
        partitions: Int,
        replicationFactor: Int,
        bootstrapServers: String,
        security: KafkaConfiguration.Security = .plaintext,
        timeout: Duration = .seconds(30),
        logger: Logger = defaultLogger
    ) async throws {
        try await RDKafkaClient.withTemporaryClient(
            kind: .producer,
            properties: properties(bootstrapServers, security),
            logger: logger
        ) { client throws(KafkaError) in
            try client.createTopic(
                topic,
                partitions: partitions,
                replicationFactor: replicationFactor,
                timeout: timeout
            )
        }
    }

    /// Deletes `topic`.
    package static func deleteTopic(
        _ topic: String,
        bootstrapServers: String,
        security: KafkaConfiguration.Security = .plaintext,
        timeout: Duration = .seconds(30),
        logger: Logger = defaultLogger
    ) async throws {
        try await RDKafkaClient.withTemporaryClient(
            kind: .producer,
            properties: properties(bootstrapServers, security),
            logger: logger
        ) { client throws(KafkaError) in
            try client.deleteTopic(topic, timeout: timeout)
        }
    }

    private static func properties(_ bootstrapServers: String, _ security: KafkaConfiguration.Security)
        -> LibrdkafkaProperties
    {
        var properties = LibrdkafkaProperties()
        properties.set("bootstrap.servers", bootstrapServers)
        properties.set(contentsOf: security.properties)
        return properties
    }
}
