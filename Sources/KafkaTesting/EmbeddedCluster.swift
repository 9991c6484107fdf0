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
/// - Important: The cluster lives in this process: it stops when the process ends or ``shutdown()`` is called
///   (also when the last reference goes away). Its storage is in memory, with librdkafka 2.0.2's limits (about
///   5 MiB kept per partition; no TLS/SASL; ListOffsets by timestamp answers -1).
public final class EmbeddedCluster: KafkaTestCluster, Sendable {
    /// The `host:port` list of the brokers, comma separated, for `bootstrap.servers`.
    public let bootstrapServers: String
    /// How many brokers the cluster has; their ids are `1...brokerCount`.
    public let brokerCount: Int

    private let handle: Mutex<MockHandle?>
    /// Sockets holding the ports of brokers that are down: see ``setBrokerDown(_:)``.
    private let heldPorts = Mutex<[Int: Int32]>([:])

    /// Starts a cluster of `brokers` brokers on loopback ports chosen by the system.
    /// - Throws: ``KafkaError`` when librdkafka cannot start the cluster.
    public init(brokers: Int = 3) throws(KafkaError) {
        guard brokers >= 1 else {
            throw KafkaError.invalidConfiguration(key: "brokers", value: String(brokers), reason: "need at least one broker")
        }
        let handle = try MockHandle(brokers: brokers)
        self.bootstrapServers = handle.bootstrapServers
        self.brokerCount = brokers
        self.handle = Mutex(handle)
    }

    deinit {
        for socket in heldPorts.withLock({ $0.values }) { close(socket) }
        if let handle = handle.withLock({ $0.take() }) {
            try? KafkaThread.detach(name: "kafka-mock-stop") { handle.destroy() }
        }
    }

    /// Creates `name` with `partitions` partitions, each with `replicationFactor` replicas (at most the broker
    /// count).
    /// - Throws: ``KafkaError`` when the cluster is shut down or the mock refuses (e.g. too many replicas).
    public func createTopic(_ name: String, partitions: Int = 1, replicationFactor: Int = 1) async throws {
        guard !name.isEmpty, partitions >= 1, (1...brokerCount).contains(replicationFactor) else {
            throw KafkaError.invalidConfiguration(
                key: "topic",
                value: "\(name):\(partitions):\(replicationFactor)",
                reason: "need a name, at least 1 partition, and 1...\(brokerCount) replicas"
            )
        }
        try withCluster { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)),
                "create topic \(name)"
            )
        }
    }

    /// Stops the brokers and frees the cluster. Idempotent. The blocking teardown runs on a library thread.
    public func shutdown() async {
        for socket in heldPorts.withLock({ $0.values }) { close(socket) }
        heldPorts.withLock { $0.removeAll() }
        guard let handle = handle.withLock({ $0.take() }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                try KafkaThread.detach(name: "kafka-mock-stop") {
                    handle.destroy()
                    continuation.resume()
                }
            } catch {
                handle.destroy()
                continuation.resume()
            }
        }
    }

    // MARK: Fault injection

    /// Takes broker `id` down: its connections close and it refuses new ones until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int) throws(KafkaError) {
        try withCluster { cluster throws(KafkaError) in
            try check(rd_kafka_mock_broker_set_down(cluster, Int32(id)), "take broker \(id) down")
        }
        // librdkafka 2.0.2's mock closes a down broker's listener and binds the same port again when it comes
        // back, aborting the whole process if that fails: an outgoing connection of any client in the process
        // (ports come from the same ephemeral range) can take the port meanwhile. Hold it until then, bound but
        // not listening: connections to it are refused, as by a broker that is down.
        if let port = port(ofBroker: id), let socket = Self.holdPort(port) {
            if let previous = heldPorts.withLock({ $0.updateValue(socket, forKey: id) }) { close(previous) }
        }
    }

    /// Brings broker `id` back up.
    public func setBrokerUp(_ id: Int) throws(KafkaError) {
        // The held port is released only after the mock listens on it again: both sockets allow address reuse and
        // the held one does not listen, so the mock's bind succeeds while it is held, and no other socket can take
        // the port in between (releasing it first left a window in which one did, and aborted a CI run).
        let held = heldPorts.withLock { $0.removeValue(forKey: id) }
        defer { if let held { close(held) } }
        try withCluster { cluster throws(KafkaError) in
            try check(rd_kafka_mock_broker_set_up(cluster, Int32(id)), "bring broker \(id) up")
        }
    }

    /// The port of broker `id` (the bootstrap list is in broker id order).
    private func port(ofBroker id: Int) -> UInt16? {
        let entries = bootstrapServers.split(separator: ",")
        guard (1...entries.count).contains(id), let colon = entries[id - 1].lastIndex(of: ":") else { return nil }
        return UInt16(entries[id - 1][entries[id - 1].index(after: colon)...])
    }

    /// A socket bound to 127.0.0.1:`port` (address reuse on, not listening), or `nil` if the port is taken.
    private static func holdPort(_ port: UInt16) -> Int32? {
        #if canImport(Darwin)
            let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #else
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard socket >= 0 else { return nil }
        var on: Int32 = 1
        _ = setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(socket)
            return nil
        }
        return socket
    }

    /// Delays every answer of broker `id` by `rtt`.
    public func setRoundTripTime(broker id: Int, _ rtt: Duration) throws(KafkaError) {
        try withCluster { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_broker_set_rtt(cluster, Int32(id), Int32(clamping: rtt.components.seconds * 1_000 + rtt.components.attoseconds / 1_000_000_000_000_000)),
                "set round-trip time of broker \(id)"
            )
        }
    }

    /// Makes broker `id` the leader of `partition` of `topic` (`nil`: no leader).
    public func setPartitionLeader(topic: String, partition: Int, broker id: Int?) throws(KafkaError) {
        try withCluster { cluster throws(KafkaError) in
            try check(
                rd_kafka_mock_partition_set_leader(cluster, topic, Int32(partition), Int32(id ?? -1)),
                "move the leader of \(topic)[\(partition)]"
            )
        }
    }

    /// Makes broker `id` the coordinator of consumer group `groupID`.
    public func setGroupCoordinator(groupID: String, broker id: Int) throws(KafkaError) {
        try withCluster { cluster throws(KafkaError) in
            try check(rd_kafka_mock_coordinator_set(cluster, "group", groupID, Int32(id)), "move the coordinator of \(groupID)")
        }
    }

    /// Makes the next requests of `api` (on any broker) fail with `errors`, one error per request, in order.
    ///
    /// ```swift
    /// try cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut])
    /// ```
    public func pushRequestErrors(_ api: APIKey, _ errors: [KafkaError.Code]) throws(KafkaError) {
        var codes: [rd_kafka_resp_err_t] = []
        for code in errors {
            guard let raw = code.rdKafkaCode else {
                throw KafkaError.invalidConfiguration(key: "errors", value: code.name, reason: "not a Kafka protocol error code")
            }
            codes.append(rd_kafka_resp_err_t(rawValue: raw))
        }
        try withCluster { cluster throws(KafkaError) in
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, codes.count, &codes)
        }
    }

    /// Forgets errors pushed with ``pushRequestErrors(_:_:)`` for `api` that were not used yet.
    public func clearRequestErrors(_ api: APIKey) throws(KafkaError) {
        try withCluster { cluster throws(KafkaError) in
            rd_kafka_mock_clear_request_errors(cluster, api.rawValue)
        }
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
    }

    private func withCluster<R>(_ body: (OpaquePointer) throws(KafkaError) -> R) throws(KafkaError) -> R {
        // The lock is held during the (non-blocking) mock call, so shutdown cannot free the cluster under it.
        let result: Result<R, KafkaError> = handle.withLock { handle in
            guard let handle else {
                return .failure(KafkaError.shutdown("embedded cluster"))
            }
            do throws(KafkaError) {
                return .success(try body(handle.cluster))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
    guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
    throw KafkaError.librdkafka(code: err.rawValue, message: "\(what): \(String(cString: rd_kafka_err2str(err)))")
}

/// Owns the host handle and the mock cluster; `destroy()` frees both (blocking: joins the broker threads).
private final class MockHandle: @unchecked Sendable {
    // @unchecked: the pointers are immutable; the mock API is thread-safe; destroy() runs once, after the
    // EmbeddedCluster gave up its reference under its lock.
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
            let reason = String(decoding: errstr.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError.invalidConfiguration(key: nil, value: nil, reason: reason)
        }
        guard let cluster = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: .shutdown, message: "librdkafka could not start a mock cluster of \(brokers) brokers")
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
