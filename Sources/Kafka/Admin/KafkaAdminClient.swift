public import Logging

/// Administers a cluster: topics, configurations, consumer groups and their offsets, records, ACLs, and one-off
/// questions (metadata, watermarks, offsets by timestamp) without joining a group.
///
/// ```swift
/// let admin = KafkaAdminClient(bootstrapServers: ["localhost:9092"], logger: logger)
/// try await admin.createTopic(KafkaNewTopic(name: "orders", partitions: 6, replicationFactor: 3))
/// let lag = try await admin.consumerGroupLag("billing", topics: ["orders"])
/// try await admin.alterConfigs([.topic("orders"): [.set("retention.ms", "86400000")]]).throwIfAnyFailed()
/// ```
///
/// Every request is validated before it is sent (an invalid one throws ``KafkaError/Code/invalidUsage`` naming the
/// item and the problem). A request naming several items returns ``KafkaAdminResults``, one result per item, so
/// one failed topic never hides the others' outcome; a failure of the whole request is thrown, its message starting
/// with Kafka's name of the request (`CreateTopics: ...`).
///
/// - Important: Threads, handles and deadlines. Each call runs on a thread of the library's own, so Swift's
///   cooperative thread pool is never blocked; calls may run concurrently. They share one librdkafka handle,
///   made by the first call and kept connected (copies of the client share it as well, until a copy changes its
///   settings); it is destroyed when the last copy is gone. The calls for one consumer group's offsets
///   (``committedOffsets(group:partitions:timeout:)``, ``commitOffsets(group:_:timeout:)``,
///   ``consumerGroupLag(_:topics:timeout:)``, ``resetConsumerGroupOffsets(_:topics:to:execute:timeout:)``) make a
///   handle of that group for the call. Log lines go to the client's `logger`. Each call's `timeout` bounds every
///   request it makes, and the call returns within it plus 5 s whatever librdkafka does.
///
/// - Note: librdkafka's embedded cluster (`EmbeddedCluster`) answers no admin request. It names no controller
///   among its brokers, and every admin request is refused there at once with ``KafkaError/Code/unsupported``,
///   before sending: those librdkafka sends to the controller would wait for one until the timeout, and librdkafka
///   crashes, deadlocks or leaks on some of the others when the cluster refuses them. What works there: metadata,
///   watermarks, offsets, a group's committed offsets and lag, and offset resets.
public struct KafkaAdminClient: Sendable {
    /// The bootstrap servers (`bootstrap.servers`).
    public var bootstrapServers: [String] { didSet { shared = makeShared() } }
    /// How to connect: TLS and SASL, as for producers and consumers (see ``KafkaConfiguration/Security``).
    /// An OAUTHBEARER token provider is not supported here (nothing polls the client's handle between calls to
    /// serve its refreshes); use OIDC, or a producer or consumer. Default: plaintext.
    public var security: KafkaConfiguration.Security { didSet { shared = makeShared() } }
    /// Any other librdkafka property (timeouts, ...), applied last.
    public var librdkafkaOverrides: [String: String] { didSet { shared = makeShared() } }
    let logger: Logger
    /// The handle the calls share (copies of this client share it too, until one changes its settings).
    private var shared: SharedAdminHandle

    /// A client for `bootstrapServers`; no connection is made before the first call.
    public init(
        bootstrapServers: [String],
        security: KafkaConfiguration.Security = .plaintext,
        librdkafkaOverrides: [String: String] = [:],
        logger: Logger
    ) {
        self.bootstrapServers = bootstrapServers
        self.security = security
        self.librdkafkaOverrides = librdkafkaOverrides
        self.logger = logger
        self.shared = Self.makeShared(bootstrapServers, security, librdkafkaOverrides, logger)
    }

    private func makeShared() -> SharedAdminHandle {
        Self.makeShared(bootstrapServers, security, librdkafkaOverrides, logger)
    }

    private static func makeShared(
        _ bootstrapServers: [String],
        _ security: KafkaConfiguration.Security,
        _ librdkafkaOverrides: [String: String],
        _ logger: Logger
    ) -> SharedAdminHandle {
        SharedAdminHandle(
            kind: .consumer,
            properties: properties(bootstrapServers, security, librdkafkaOverrides, group: nil),
            logger: logger
        )
    }

    /// Disconnects now: destroys the librdkafka handle the client's calls (and its copies') share, instead of when
    /// the last copy is gone. A later call connects again. Calls under way finish first (the last of them destroys
    /// the handle).
    public func close() async {
        await shared.close()
    }

    /// Runs `body` with the handle the client's calls share, on a thread of the library's own, by `timeout` plus
    /// 5 s.
    func withSharedClient<T: Sendable>(
        _ operation: String,
        timeout: Duration,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await shared.run(operation: operation, timeout: timeout, body)
    }

    func properties(group: String?) -> LibrdkafkaProperties {
        Self.properties(bootstrapServers, security, librdkafkaOverrides, group: group)
    }

    /// A consumer's properties that never joins a group (the shared handle, one-off queries), or one of `group`
    /// (its committed offsets): consumer properties given to a command-line tool apply without librdkafka's warnings,
    /// and asking for a topic's metadata never creates it.
    private static func properties(
        _ bootstrapServers: [String],
        _ security: KafkaConfiguration.Security,
        _ librdkafkaOverrides: [String: String],
        group: String?
    ) -> LibrdkafkaProperties {
        var p = LibrdkafkaProperties()
        p.set("bootstrap.servers", bootstrapServers.joined(separator: ","))
        p.set("client.id", "swift-kafka-admin")
        p.set("group.id", group ?? "swift-kafka-unjoined-\(UInt64.random(in: 0...UInt64.max))")
        p.set("enable.auto.commit", false)
        p.set(contentsOf: security.properties)
        p.set(contentsOf: librdkafkaOverrides.sorted(by: { $0.key < $1.key }))
        return p
    }

    /// Checks the properties against librdkafka.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidConfiguration`` naming the key and the reason.
    public func validate() throws(KafkaError) {
        try ConfigurationChecks.checkBootstrapServers(bootstrapServers)
        if security.tokenProvider != nil {
            throw KafkaError.invalidConfiguration(
                key: "sasl.mechanism",
                value: "OAUTHBEARER",
                reason: "KafkaAdminClient does not take an OAUTHBEARER token provider; use OAuthBearer.oidc(...)"
            )
        }
        try properties(group: nil).validate()
    }

    /// The cluster's brokers and `topics` (every topic when `nil`). A topic that does not exist is listed with
    /// the error ``KafkaError/Code/unknownTopicOrPartition``.
    /// - Throws: ``KafkaError`` when no broker answered within `timeout`.
    public func metadata(topics: [String]? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaClusterMetadata
    {
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        return try await withSharedClient("Metadata", timeout: timeout) {
            client throws(KafkaError) in
            try client.metadata(topics: topics, timeoutMilliseconds: ms)
        }
    }

    /// The low and high watermarks of each partition, asked of its leader.
    /// - Throws: ``KafkaError`` for the first partition that could not be queried (e.g. it does not exist).
    public func watermarks(
        of partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws -> [KafkaTopicPartition: KafkaWatermarks] {
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        return try await withSharedClient("watermarks", timeout: timeout) {
            client throws(KafkaError) in
            var result: [KafkaTopicPartition: KafkaWatermarks] = [:]
            for partition in partitions {
                result[partition] = try client.queryWatermarks(partition, timeoutMilliseconds: ms)
            }
            return result
        }
    }

    /// For each partition, the offset of the first message whose timestamp is at or after `timestamp`, or
    /// ``KafkaOffset/end`` where no message is that recent (ListOffsets by timestamp).
    /// - Note: librdkafka 2.0.2's mock cluster answers every such request with -1 (``KafkaOffset/end``).
    public func offsets(
        at timestamp: KafkaTimestamp,
        for partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws -> [KafkaTopicPartition: KafkaOffset] {
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        return try await withSharedClient("ListOffsets", timeout: timeout) {
            client throws(KafkaError) in
            try client.offsets(
                forTimes: partitions.map { ($0, timestamp.millisecondsSinceEpoch) },
                timeoutMilliseconds: ms
            )
        }
    }

    /// The offsets consumer group `group` committed for `partitions` (the offset of the next message to read),
    /// ``KafkaOffset/invalid`` where it committed none.
    public func committedOffsets(
        group: String,
        partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws -> [KafkaTopicPartition: KafkaOffset] {
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        return try await RDKafkaClient.withTemporaryConsumer(
            properties: properties(group: group),
            logger: logger,
            operation: "OffsetFetch",
            timeout: timeout
        ) {
            client throws(KafkaError) in
            try client.committed(partitions, timeoutMilliseconds: ms)
        }
    }

    /// Commits `offsets` (each the offset of the next message to read) for consumer group `group`, without joining
    /// it. The broker accepts this only while the group has no active member.
    /// - Throws: ``KafkaError`` from the commit, e.g. `UNKNOWN_MEMBER_ID` or `REBALANCE_IN_PROGRESS` while members
    ///   are active, or ``KafkaError/Code/timedOut`` when the group coordinator did not answer within `timeout`.
    public func commitOffsets(
        group: String,
        _ offsets: [KafkaTopicPartition: KafkaOffset],
        timeout: Duration = .seconds(30)
    ) async throws {
        let list = offsets.map { ($0.key, $0.value) }
        try await RDKafkaClient.withTemporaryConsumer(
            properties: properties(group: group),
            logger: logger,
            operation: "OffsetCommit",
            timeout: timeout
        ) {
            client throws(KafkaError) in
            try client.commit(list, deadline: .now.advanced(by: timeout))
        }
    }
}
