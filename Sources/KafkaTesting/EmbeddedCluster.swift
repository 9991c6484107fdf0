internal import CLibrdkafka
public import Kafka
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An in-process Kafka cluster for tests and demos, built on librdkafka's mock cluster.
///
/// The brokers speak the real Kafka protocol over loopback TCP, so any client (this library, kcat, the CLIs) can
/// connect to ``bootstrapServers``. Topics, produce, fetch, consumer groups, commits and offsets work; so does
/// fault injection (brokers down, round-trip time, leader and coordinator moves, request errors).
/// Admin requests (CreateTopics) are not answered: create topics with ``createTopic(_:partitions:replicationFactor:)``.
///
/// ```swift
/// let cluster = try EmbeddedCluster(brokers: 3)
/// try await cluster.createTopic("orders", partitions: 4)
/// let producer = try KafkaProducer(
///     configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
///     logger: logger
/// )
/// // ...
/// await cluster.shutdown()
/// ```
///
/// What it can do depends on the librdkafka loaded at run time: newer versions advertise other addresses, write
/// transaction markers and speak KIP-848's consumer group protocol (see ``Capability`` and ``supports(_:)``).
///
/// - Important: The cluster lives in this process: it stops when the process ends or ``shutdown()`` is called
///   (also when the last reference goes away). Its storage is in memory, with the limits of librdkafka's mock in
///   every version (about 5 MiB kept per partition in 2.0.2; no TLS/SASL listeners; ListOffsets by timestamp
///   answers -1; no admin requests; aborted transactions stay visible to `read_committed` consumers).
public final class EmbeddedCluster: KafkaTestCluster, Sendable {
    /// The `host:port` list of the brokers, comma separated, for `bootstrap.servers`.
    public let bootstrapServers: String
    /// How many brokers the cluster has; their ids are `1...brokerCount`.
    public let brokerCount: Int

    private let handle: MockHandle
    /// Admits mock calls until the cluster is shut down; the shutdown waits for those under way (no lock is held
    /// during a mock call, which waits for the mock cluster's thread to answer).
    private let calls = InFlightGuard()
    private let stopped = Atomic<Bool>(false)

    /// Starts a cluster of `brokers` brokers on loopback ports chosen by the system.
    /// - Throws: `KafkaError` when librdkafka cannot start the cluster.
    public init(brokers: Int = 3) throws(KafkaError) {
        guard brokers >= 1 else {
            throw KafkaError.invalidConfiguration(
                key: "brokers",
                value: String(brokers),
                reason: "need at least one broker"
            )
        }
        let handle = try MockHandle(brokers: brokers)
        self.bootstrapServers = handle.bootstrapServers
        self.brokerCount = brokers
        self.handle = handle
    }

    deinit {
        // No reference is left, so no call is under way.
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handle = self.handle
        try? KafkaThread.detach(name: "kafka-mock-stop") { handle.destroy() }
    }

    /// Creates `name` with `partitions` partitions, each with `replicationFactor` replicas (at most the broker
    /// count).
    /// - Throws: `KafkaError` when the cluster is shut down or the mock refuses (e.g. too many replicas).
    public func createTopic(_ name: String, partitions: Int = 1, replicationFactor: Int = 1) async throws {
        guard !name.isEmpty, partitions >= 1, (1...brokerCount).contains(replicationFactor) else {
            throw KafkaError.invalidConfiguration(
                key: "topic",
                value: "\(name):\(partitions):\(replicationFactor)",
                reason: "need a name, at least 1 partition, and 1...\(brokerCount) replicas"
            )
        }
        try await mockCall { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)),
                "create topic \(name)"
            )
        }
    }

    /// Stops the brokers and frees the cluster. Idempotent. The blocking teardown runs on a library thread.
    public func shutdown() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handle = self.handle
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                try KafkaThread.detach(name: "kafka-mock-stop") { [self] in
                    calls.closeAndWait()  // no mock call under way from here on
                    handle.destroy()
                    continuation.resume()
                }
            } catch {
                calls.closeAndWait()
                handle.destroy()
                continuation.resume()
            }
        }
    }

    // MARK: Fault injection
    //
    // Each call waits for the mock cluster's thread to carry it out (librdkafka waits without a deadline): it runs
    // on a thread of its own, never on the caller's, which is Swift's cooperative pool in async code.

    /// Takes broker `id` down: its connections close and it refuses new ones until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int) async throws(KafkaError) {
        // The mock closes the broker's listener and binds its port again at once, aborting the process if that
        // fails. It fails when a child process is being started meanwhile: between fork and exec the child holds
        // a copy of the listening socket. Spawns in this process go through withSpawnsExcluded(_:), so the call's
        // own thread holds that exclusion for its length.
        try await mockCall { cluster throws(KafkaError) in
            try spawnExclusion.withLock { _ throws(KafkaError) in
                try check(rd_kafka_mock_broker_set_down(cluster, Int32(id)), "take broker \(id) down")
            }
        }
    }

    /// Brings broker `id` back up.
    public func setBrokerUp(_ id: Int) async throws(KafkaError) {
        // The mock kept the port bound while the broker was down (see setBrokerDown(_:)); it listens again now.
        try await mockCall { cluster throws(KafkaError) in
            try check(rd_kafka_mock_broker_set_up(cluster, Int32(id)), "bring broker \(id) up")
        }
    }

    /// Delays every answer of broker `id` by `rtt`.
    public func setRoundTripTime(broker id: Int, _ rtt: Duration) async throws(KafkaError) {
        try await mockCall { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_broker_set_rtt(cluster, Int32(id), Int32(clamping: rtt.milliseconds)),
                "set round-trip time of broker \(id)"
            )
        }
    }

    /// Makes broker `id` the leader of `partition` of `topic` (`nil`: no leader).
    public func setPartitionLeader(topic: String, partition: Int, broker id: Int?) async throws(KafkaError) {
        try await mockCall { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_partition_set_leader(cluster, topic, Int32(partition), Int32(id ?? -1)),
                "move the leader of \(topic)[\(partition)]"
            )
        }
    }

    /// Makes broker `id` the coordinator of consumer group `groupID`.
    public func setGroupCoordinator(groupID: String, broker id: Int) async throws(KafkaError) {
        try await mockCall { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_coordinator_set(cluster, "group", groupID, Int32(id)),
                "move the coordinator of \(groupID)"
            )
        }
    }

    /// Makes broker `id` the transaction coordinator of `transactionalID`: the producer finds it again (a
    /// coordinator move, as after a broker failure).
    public func setTransactionCoordinator(transactionalID: String, broker id: Int) async throws(KafkaError) {
        try await mockCall { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_coordinator_set(cluster, "transaction", transactionalID, Int32(id)),
                "move the transaction coordinator of \(transactionalID)"
            )
        }
    }

    /// Makes the next requests of `api` (on any broker) fail with `errors`, one error per request, in order.
    ///
    /// ```swift
    /// try await cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut])
    /// ```
    public func pushRequestErrors(_ api: APIKey, _ errors: [KafkaError.Code]) async throws(KafkaError) {
        var codes: [rd_kafka_resp_err_t] = []
        for code in errors {
            guard let raw = code.rdKafkaCode else {
                throw KafkaError.invalidConfiguration(
                    key: "errors",
                    value: code.name,
                    reason: "not a Kafka protocol error code"
                )
            }
            codes.append(rd_kafka_resp_err_t(rawValue: raw))
        }
        try await mockCall { [codes] cluster in
            var codes = codes
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, codes.count, &codes)
        }
    }

    /// Forgets errors pushed with ``pushRequestErrors(_:_:)`` for `api` that were not used yet.
    public func clearRequestErrors(_ api: APIKey) async throws(KafkaError) {
        try await mockCall { cluster in
            rd_kafka_mock_clear_request_errors(cluster, api.rawValue)
        }
    }

    /// Makes broker `id` advertise `host:port` in metadata instead of the address it listens on, so that clients
    /// connect there (to a TLS terminator or a proxy in front of the broker, say).
    /// - Throws: `KafkaError` with code `.unsupported` without ``Capability/advertisedAddresses``.
    public func setAdvertisedAddress(broker id: Int, host: String, port: Int) async throws(KafkaError) {
        guard let setHostPort = MockFunctions.setHostPort else { throw Self.unsupported(.advertisedAddresses) }
        try await mockCall { cluster in
            setHostPort(cluster, Int32(id), host, Int32(clamping: port))
        }
    }

    /// Sets the heartbeat interval the cluster gives members of `KafkaConsumerConfiguration.GroupProtocol.consumer`
    /// groups (`group.consumer.heartbeat.interval.ms`; librdkafka's default 3 s). A member hears of a rebalance at
    /// its next heartbeat, so a shorter interval makes rebalances quicker.
    /// - Throws: `KafkaError` with code `.unsupported` without ``Capability/consumerGroupProtocol``.
    public func setConsumerGroupHeartbeatInterval(_ interval: Duration) async throws(KafkaError) {
        guard let set = MockFunctions.setConsumerGroupHeartbeatInterval else {
            throw Self.unsupported(.consumerGroupProtocol)
        }
        try await mockCall { cluster in set(cluster, Int32(clamping: interval.milliseconds)) }
    }

    /// Sets the session timeout of `KafkaConsumerConfiguration.GroupProtocol.consumer` groups
    /// (`group.consumer.session.timeout.ms`; librdkafka's default 30 s): how long a silent member stays in its
    /// group.
    /// - Throws: `KafkaError` with code `.unsupported` without ``Capability/consumerGroupProtocol``.
    public func setConsumerGroupSessionTimeout(_ timeout: Duration) async throws(KafkaError) {
        guard let set = MockFunctions.setConsumerGroupSessionTimeout else {
            throw Self.unsupported(.consumerGroupProtocol)
        }
        try await mockCall { cluster in set(cluster, Int32(clamping: timeout.milliseconds)) }
    }

    private static func unsupported(_ capability: Capability) -> KafkaError {
        KafkaError(code: .unsupported, message: capability.unavailableReason ?? "\(capability) is not available")
    }

    /// A Kafka protocol request type, for fault injection.
    public struct APIKey: Hashable, Sendable {
        /// The protocol's ApiKey number.
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let produce = APIKey(rawValue: 0)
        public static let fetch = APIKey(rawValue: 1)
        public static let listOffsets = APIKey(rawValue: 2)
        public static let metadata = APIKey(rawValue: 3)
        public static let offsetCommit = APIKey(rawValue: 8)
        public static let offsetFetch = APIKey(rawValue: 9)
        public static let findCoordinator = APIKey(rawValue: 10)
        public static let joinGroup = APIKey(rawValue: 11)
        public static let heartbeat = APIKey(rawValue: 12)
        public static let leaveGroup = APIKey(rawValue: 13)
        public static let syncGroup = APIKey(rawValue: 14)
        public static let initProducerID = APIKey(rawValue: 22)
        public static let addPartitionsToTxn = APIKey(rawValue: 24)
        public static let addOffsetsToTxn = APIKey(rawValue: 25)
        public static let endTxn = APIKey(rawValue: 26)
        public static let txnOffsetCommit = APIKey(rawValue: 28)
    }

    /// Runs a mock call on a thread of its own (the call waits for the mock cluster's thread, without a deadline:
    /// never on the caller's thread, which in async code is Swift's cooperative pool). The shutdown waits for the
    /// call instead of freeing the cluster under it. No lock of the cluster is held.
    private func mockCall(
        _ body: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> Void
    ) async throws(KafkaError) {
        let result = try await KafkaThread.run(name: "kafka-mock-call") { [self] () -> Result<Void, KafkaError> in
            guard calls.enter() else { return .failure(KafkaError.shutdown("embedded cluster")) }
            defer { calls.exit() }
            return Result { () throws(KafkaError) in try body(handle.cluster) }
        }
        try result.get()
    }
}

private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
    guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
    throw KafkaError.librdkafka(code: err.rawValue, message: "\(what): \(String(cString: rd_kafka_err2str(err)))")
}

/// Owns the host handle and the mock cluster; `destroy()` frees both (blocking: joins the broker threads).
private final class MockHandle: @unchecked Sendable {
    // @unchecked: the pointers are immutable; the mock API is thread-safe; destroy() runs once (guarded by
    // EmbeddedCluster's `stopped`), after every mock call left (its InFlightGuard).
    let rk: OpaquePointer
    let cluster: OpaquePointer
    let bootstrapServers: String

    init(brokers: Int) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.invalidConfiguration(key: nil, value: nil, reason: "rd_kafka_conf_new failed")
        }
        // The host handle only carries the cluster; keep it quiet (it has no bootstrap servers of its own).
        rd_kafka_conf_set(conf, "log_level", "0", nil, 0)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = String(
                decoding: errstr.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self
            )
            throw KafkaError.invalidConfiguration(key: nil, value: nil, reason: reason)
        }
        guard let cluster = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(
                code: .shutdown,
                message: "librdkafka could not start a mock cluster of \(brokers) brokers"
            )
        }
        self.rk = rk
        self.cluster = cluster
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    func destroy() {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(rk)
    }
}

private let spawnExclusion = Mutex(())

/// Runs `body` (which starts a child process) while no embedded broker is being taken down.
///
/// Taking a broker of librdkafka's mock down re-binds its port at once and aborts the process if that fails, which
/// it does when a child process started meanwhile still holds a copy of the listening socket (between its fork and
/// its exec). Tests that run both start their processes through this.
package func withSpawnsExcluded<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    try spawnExclusion.withLock { _ throws(E) in try body() }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
