public import Kafka
public import Logging

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
    /// How topics are created: the cluster's TLS and SASL settings (an OAUTHBEARER token provider is not
    /// supported here; use OIDC).
    public let security: KafkaConfiguration.Security

    /// The cluster at `bootstrapServers`, reached with `security`.
    public init(bootstrapServers: String, security: KafkaConfiguration.Security = .plaintext) {
        self.bootstrapServers = bootstrapServers
        self.security = security
    }

    public func createTopic(_ name: String, partitions: Int = 1, replicationFactor: Int = 1) async throws {
        try await withAdmin { admin in
            try await admin.createTopic(
                KafkaNewTopic(name: name, partitions: partitions, replicationFactor: replicationFactor)
            )
        }
    }

    /// Deletes topic `name` and its messages.
    public func deleteTopic(_ name: String) async throws {
        try await withAdmin { admin in try await admin.deleteTopics([name]).throwIfAnyFailed() }
    }

    /// Runs `body` with a new ``admin`` client and disconnects it after.
    private func withAdmin(_ body: (KafkaAdminClient) async throws -> Void) async throws {
        let admin = self.admin
        let outcome: Result<Void, any Error>
        do {
            try await body(admin)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await admin.close()
        try outcome.get()
    }

    /// A new admin client for the cluster, with its security settings; its log lines at error level only.
    public var admin: KafkaAdminClient {
        var logger = Logger(label: "swift-kafka.test-cluster-admin")
        logger.logLevel = .error
        return KafkaAdminClient(bootstrapServers: [bootstrapServers], security: security, logger: logger)
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

/// What the clusters of ``makeKafkaTestCluster(brokers:)`` can do in this process, for tests that skip by
/// capability.
public enum KafkaTestEnvironment {
    /// Why the cluster ``makeKafkaTestCluster(brokers:)`` returns cannot run consumer groups of
    /// `KafkaConsumerConfiguration.GroupProtocol.consumer` (KIP-848), or `nil` when it can.
    ///
    /// The embedded cluster can when ``EmbeddedCluster/supports(_:)`` says so for
    /// ``EmbeddedCluster/Capability/consumerGroupProtocol``. A real cluster (`KAFKA_BOOTSTRAP_SERVERS`) can when the
    /// running librdkafka has `Librdkafka.Capability.consumerGroupProtocol`, and its brokers are taken to speak
    /// the protocol (Apache Kafka 4.0 or later) unless `KAFKA_TEST_GROUP_PROTOCOLS` (a comma-separated list, e.g.
    /// `classic`) leaves `consumer` out.
    public static var consumerGroupProtocolUnavailableReason: String? {
        guard let servers = environment("KAFKA_BOOTSTRAP_SERVERS"), !servers.isEmpty else {
            return EmbeddedCluster.Capability.consumerGroupProtocol.unavailableReason
        }
        if let protocols = environment("KAFKA_TEST_GROUP_PROTOCOLS"),
            !protocols.split(separator: ",").contains("consumer")
        {
            return "KAFKA_TEST_GROUP_PROTOCOLS=\(protocols) leaves out group.protocol=consumer for \(servers)"
        }
        return Librdkafka.Capability.consumerGroupProtocol.unavailableReason
    }

    /// Why the cluster ``makeKafkaTestCluster(brokers:)`` returns writes no transaction markers (the COMMIT or
    /// ABORT control record that takes an offset in each partition a transaction wrote), or `nil` when it does:
    /// a real cluster does; the embedded one from librdkafka 2.15 on
    /// (``EmbeddedCluster/Capability/transactionMarkers``).
    public static var transactionMarkersUnavailableReason: String? {
        guard let servers = environment("KAFKA_BOOTSTRAP_SERVERS"), !servers.isEmpty else {
            return EmbeddedCluster.Capability.transactionMarkers.unavailableReason
        }
        return nil
    }

    /// Why the cluster ``makeKafkaTestCluster(brokers:)`` returns does not hide aborted transactions from
    /// `read_committed` consumers, or `nil` when it does (a real cluster). No version of the embedded cluster
    /// returns the aborted-transaction list a fetch needs for that.
    public static var readCommittedUnavailableReason: String? {
        guard let servers = environment("KAFKA_BOOTSTRAP_SERVERS"), !servers.isEmpty else {
            return "the embedded cluster returns aborted messages to read_committed consumers (no aborted-transaction "
                + "list in its fetch responses); run against Apache Kafka with KAFKA_BOOTSTRAP_SERVERS"
        }
        return nil
    }

    /// Why the cluster ``makeKafkaTestCluster(brokers:)`` returns does not fence an older producer when a newer one
    /// initializes transactions with the same `transactional.id`, or `nil` when it does (a real cluster). The
    /// embedded cluster gives every producer a new producer id instead of bumping the id's epoch.
    public static var fencingUnavailableReason: String? {
        guard let servers = environment("KAFKA_BOOTSTRAP_SERVERS"), !servers.isEmpty else {
            return "the embedded cluster gives each InitProducerId a new producer id instead of bumping the "
                + "transactional id's epoch, so it fences no older producer; run against Apache Kafka with "
                + "KAFKA_BOOTSTRAP_SERVERS"
        }
        return nil
    }

    /// Why the cluster ``makeKafkaTestCluster(brokers:)`` returns does not store offsets committed through a
    /// transaction (`TxnOffsetCommit`) as the group's, or `nil` when it does (a real cluster). The embedded
    /// cluster accepts them and drops them.
    public static var transactionalOffsetsUnavailableReason: String? {
        guard let servers = environment("KAFKA_BOOTSTRAP_SERVERS"), !servers.isEmpty else {
            return "the embedded cluster answers TxnOffsetCommit without storing the offsets; run against Apache "
                + "Kafka with KAFKA_BOOTSTRAP_SERVERS"
        }
        return nil
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
