import Kafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Kafka cluster that tests run against: an ``EmbeddedCluster``, or a real one (``ExternalCluster``).
///
/// Write integration tests against this protocol and get the cluster from ``makeKafkaTestCluster(brokers:)``:
/// the same tests then run on the embedded cluster by default, and against a real Kafka when
/// `KAFKA_BOOTSTRAP_SERVERS` is set.
public protocol KafkaTestCluster: Sendable {
    /// The `host:port` list for `bootstrap.servers`.
    var bootstrapServers: String { get }
    /// Creates a topic.
    func createTopic(_ name: String, partitions: Int, replicationFactor: Int) async throws
    /// Releases what the cluster holds (stops an embedded cluster; nothing for a real one).
    func shutdown() async
}

extension KafkaTestCluster {
    /// Whether this is an in-process ``EmbeddedCluster`` (where fault injection is available).
    public var isEmbedded: Bool { self is EmbeddedCluster }
}

/// A cluster that runs elsewhere, e.g. `docker compose up` (see the repository's `docker-compose.yml`).
/// Topics are created through the Admin API.
public struct ExternalCluster: KafkaTestCluster {
    public let bootstrapServers: String

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    public func createTopic(_ name: String, partitions: Int = 1, replicationFactor: Int = 1) async throws {
        try await KafkaTopicAdmin.createTopic(
            name,
            partitions: partitions,
            replicationFactor: replicationFactor,
            bootstrapServers: bootstrapServers
        )
    }

    public func shutdown() async {}
}

/// The cluster to test against: an ``ExternalCluster`` at `KAFKA_BOOTSTRAP_SERVERS` when that is set, otherwise a
/// new ``EmbeddedCluster`` of `brokers` brokers.
public func makeKafkaTestCluster(brokers: Int = 3) throws -> any KafkaTestCluster {
    if let raw = getenv("KAFKA_BOOTSTRAP_SERVERS") {
        let servers = String(cString: raw)
        if !servers.isEmpty { return ExternalCluster(bootstrapServers: servers) }
    }
    return try EmbeddedCluster(brokers: brokers)
}

/// Runs `body` with the cluster from ``makeKafkaTestCluster(brokers:)`` and shuts that cluster down afterwards,
/// also when `body` throws.
///
/// ```swift
/// @Test func roundTrip() async throws {
///     try await withKafkaTestCluster { cluster in
///         try await cluster.createTopic("orders", partitions: 4, replicationFactor: 1)
///         // ... produce to and consume from cluster.bootstrapServers
///     }
/// }
/// ```
public func withKafkaTestCluster<T>(
    brokers: Int = 3,
    _ body: (any KafkaTestCluster) async throws -> T
) async throws -> T {
    let cluster = try makeKafkaTestCluster(brokers: brokers)
    do {
        let result = try await body(cluster)
        await cluster.shutdown()
        return result
    } catch {
        await cluster.shutdown()
        throw error
    }
}
