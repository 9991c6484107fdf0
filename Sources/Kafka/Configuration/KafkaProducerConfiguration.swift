/// Configuration of a ``KafkaProducer``: typed fields for what is set most, and
/// ``librdkafkaOverrides`` for any other librdkafka property.
///
/// Every field names the librdkafka property it sets. ``validate()`` checks every value against librdkafka, and
/// ``KafkaProducer/init(configuration:logger:)`` calls it, so a wrong key or value fails at creation with an error
/// that names the key, the value and librdkafka's reason.
///
/// ```swift
/// var config = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
/// config.compression = .lz4
/// config.linger = .milliseconds(10)
/// config.librdkafkaOverrides["batch.num.messages"] = "20000"
/// ```
public struct KafkaProducerConfiguration: Sendable {
    /// Which delivery reports of ``KafkaProducer/enqueue(_:)`` go to ``KafkaProducer/deliveryReports``.
    public struct DeliveryReports: Hashable, Sendable {
        enum Kind: Hashable, Sendable { case none, failures, all }
        let kind: Kind

        /// None: the sequence ends at once; failures are only logged (at `warning`).
        public static let none = DeliveryReports(kind: .none)
        /// Only the messages that could not be delivered.
        public static let failuresOnly = DeliveryReports(kind: .failures)
        /// Every message: where it landed, or why it failed.
        public static let all = DeliveryReports(kind: .all)
    }

    /// `bootstrap.servers`: `host:port` of one or more brokers to discover the cluster from.
    public var bootstrapServers: [String]
    /// `client.id`: the name brokers log and quota this client by. Default `swift-kafka`.
    public var clientID: String = "swift-kafka"
    /// `acks`: acknowledgements to wait for. Default ``KafkaConfiguration/Acks/all``.
    public var acks: KafkaConfiguration.Acks = .all
    /// `enable.idempotence`: exactly-once per partition, in order, despite retries. Default `true`; requires
    /// ``acks`` = ``KafkaConfiguration/Acks/all``.
    public var idempotence: Bool = true
    /// `transactional.id`: makes the producer transactional (see ``KafkaProducer/withTransaction(timeout:_:)``).
    /// Unique per producing instance of the application, and stable across its restarts: a new producer with the
    /// same id fences the previous one and finishes its open transaction. A transactional producer is
    /// idempotent, so ``idempotence`` must stay `true`. Default `nil`: not transactional.
    public var transactionalID: String?
    /// `transaction.timeout.ms`: how long a transaction may stay open before the broker aborts it; also the
    /// default deadline of each blocking transaction step. Default librdkafka's (60 s); the broker caps it at its
    /// `transaction.max.timeout.ms` (15 minutes by default).
    public var transactionTimeout: Duration?
    /// `compression.codec` and `compression.level`. Default none.
    public var compression: KafkaConfiguration.Compression = .none
    /// `linger.ms`: how long to wait to fill a batch. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// `message.timeout.ms`: how long a message may take to be delivered, retries included, before it fails with
    /// ``KafkaError/Code/messageTimedOut``. Default 300 s; a transactional producer uses ``transactionTimeout``
    /// when that is shorter.
    public var messageTimeout: Duration = .seconds(300)
    /// `batch.size`: most bytes in one batch of messages to a partition. Default librdkafka's (1,000,000).
    public var batchSize: Int?
    /// `batch.num.messages`: most messages in one batch. Default librdkafka's (10,000).
    public var batchMessageCount: Int?
    /// `message.max.bytes`: the largest request (and so message) the producer sends; a larger message fails at
    /// once with ``KafkaError/Code/messageTooLarge``. Default librdkafka's (1,000,000).
    public var maxMessageBytes: Int?
    /// `message.send.max.retries`: how often a failed produce request is retried (within
    /// ``messageTimeout``). Default librdkafka's (2,147,483,647).
    public var retries: Int?
    /// `retry.backoff.ms`: the wait before retrying a produce request. Default librdkafka's (100 ms).
    public var retryBackoff: Duration?
    /// `partitioner`: how a key picks its partition when none is given. Default librdkafka's
    /// ``Partitioner/consistentRandom``; ``Partitioner/murmur2Random`` matches the Java client.
    public var partitioner: Partitioner?
    /// `queue.buffering.max.messages`: most messages waiting in librdkafka's queue; past it sends wait.
    /// Default librdkafka's (100,000).
    public var queueMaxMessages: Int?
    /// `queue.buffering.max.kbytes`: most kilobytes waiting in librdkafka's queue; past it sends wait.
    /// Default librdkafka's (1,048,576).
    public var queueMaxKilobytes: Int?

    /// How a message key picks its partition (`partitioner`).
    public struct Partitioner: Hashable, Sendable {
        /// The value librdkafka takes.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// CRC32 of the key; messages without key go to a random partition (librdkafka's default).
        public static let consistentRandom = Partitioner("consistent_random")
        /// CRC32 of the key; messages without key all go to the same partition.
        public static let consistent = Partitioner("consistent")
        /// murmur2 of the key, as the Java client; messages without key go to a random partition.
        public static let murmur2Random = Partitioner("murmur2_random")
        /// murmur2 of the key; messages without key all go to the same partition.
        public static let murmur2 = Partitioner("murmur2")
        /// FNV-1a of the key, as the Sarama Go client; messages without key go to a random partition.
        public static let fnv1aRandom = Partitioner("fnv1a_random")
        /// FNV-1a of the key; messages without key all go to the same partition.
        public static let fnv1a = Partitioner("fnv1a")
        /// A random partition for every message.
        public static let random = Partitioner("random")
    }

    /// `security.protocol` and its TLS / SASL settings. Default plaintext.
    public var security: KafkaConfiguration.Security = .plaintext
    /// Which reports of fire-and-forget sends (``KafkaProducer/enqueue(_:)``) reach
    /// ``KafkaProducer/deliveryReports``. Default ``DeliveryReports/none``.
    ///
    /// With ``DeliveryReports/all`` or ``DeliveryReports/failuresOnly``, read the sequence: while its reader is
    /// behind, `enqueue` waits.
    public var deliveryReports: DeliveryReports = .none
    /// How long ``KafkaProducer/send(_:)`` and ``KafkaProducer/enqueue(_:)`` wait for room while librdkafka's
    /// local queue is full (see ``queueMaxMessages``) before failing with ``KafkaError/Code/queueFull``.
    /// Default `nil`: wait as long as it takes (a full queue is never an error then).
    public var enqueueTimeout: Duration?
    /// How long ``KafkaProducer/close(timeout:)`` waits for outstanding messages before failing them. Default 30 s.
    public var closeTimeout: Duration = .seconds(30)
    /// `statistics.interval.ms`: how often librdkafka reports its statistics to ``KafkaProducer/statistics`` (and to the
    /// metrics). `nil` (the default) reports none, unless ``metrics`` is set, which reads them every 5 s.
    public var statisticsInterval: Duration? = nil
    /// Report through swift-metrics (see ``KafkaConfiguration/Metrics``). Default `nil`: no metric.
    public var metrics: KafkaConfiguration.Metrics? = nil
    /// Distributed tracing (see ``KafkaConfiguration/Tracing``). Default `nil`: none.
    public var tracing: KafkaConfiguration.Tracing? = nil
    /// Any librdkafka property, applied after the typed fields (so it wins). See librdkafka's CONFIGURATION.md.
    public var librdkafkaOverrides: [String: String] = [:]

    /// A configuration with librdkafka's defaults for everything but the bootstrap servers.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// Checks every value against librdkafka.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidConfiguration`` naming the key, the value and
    ///   the reason.
    public func validate() throws(KafkaError) {
        try ConfigurationChecks.checkBootstrapServers(bootstrapServers)
        let properties = self.properties
        try properties.validate()
        if let transactionalID = properties.value(for: "transactional.id"),
            properties.value(for: "enable.idempotence") == "false"
        {
            throw KafkaError.invalidConfiguration(
                key: "enable.idempotence",
                value: "false",
                reason: "a transactional producer (transactional.id = '\(transactionalID)') is idempotent; "
                    + "set idempotence = true, or transactionalID = nil"
            )
        }
        if properties.value(for: "enable.idempotence") == "true",
            let acks = properties.value(for: "acks") ?? properties.value(for: "request.required.acks"),
            acks != "all", acks != "-1"
        {
            throw KafkaError.invalidConfiguration(
                key: "acks",
                value: acks,
                reason:
                    "idempotence (enable.idempotence=true) requires acks=all; set idempotence = false or acks = .all"
            )
        }
    }

    /// Every librdkafka property this configuration sets, in the order they are applied.
    var properties: LibrdkafkaProperties {
        var p = LibrdkafkaProperties()
        p.set("bootstrap.servers", bootstrapServers.joined(separator: ","))
        p.set("client.id", clientID)
        if let interval = effectiveStatisticsInterval {
            p.set("statistics.interval.ms", String(max(interval.kafkaMilliseconds, 1)))
        }
        p.set("acks", acks.rawValue)
        p.set("enable.idempotence", idempotence)
        if let transactionalID { p.set("transactional.id", transactionalID) }
        if let transactionTimeout { p.set("transaction.timeout.ms", milliseconds: transactionTimeout) }
        p.set("compression.codec", compression.codec)
        if let level = compression.level { p.set("compression.level", String(level)) }
        p.set("linger.ms", milliseconds: linger)
        if transactionalID != nil {
            // librdkafka refuses a message timeout above the transaction timeout: a message delivered later than
            // that belongs to a transaction the broker aborted already.
            p.set("message.timeout.ms", milliseconds: min(messageTimeout, transactionTimeout ?? .seconds(60)))
        } else {
            p.set("message.timeout.ms", milliseconds: messageTimeout)
        }
        if let batchSize { p.set("batch.size", String(batchSize)) }
        if let batchMessageCount { p.set("batch.num.messages", String(batchMessageCount)) }
        if let maxMessageBytes { p.set("message.max.bytes", String(maxMessageBytes)) }
        if let retries { p.set("message.send.max.retries", String(retries)) }
        if let retryBackoff { p.set("retry.backoff.ms", milliseconds: retryBackoff) }
        if let partitioner { p.set("partitioner", partitioner.rawValue) }
        if let queueMaxMessages { p.set("queue.buffering.max.messages", String(queueMaxMessages)) }
        if let queueMaxKilobytes { p.set("queue.buffering.max.kbytes", String(queueMaxKilobytes)) }
        p.set(contentsOf: security.properties)
        p.set(contentsOf: librdkafkaOverrides.sorted(by: { $0.key < $1.key }))
        return p
    }

    /// The names of all properties set, each with its value (secrets redacted), for logging and diagnostics.
    public var effectiveProperties: [String: String] {
        properties.redactedDictionary
    }
}

extension LibrdkafkaProperties {
    var redactedDictionary: [String: String] {
        var d: [String: String] = [:]
        for (k, v) in entries { d[k] = Self.isSecret(k) ? "<redacted>" : v }
        return d
    }
}

extension KafkaProducerConfiguration {
    /// The statistics interval in force: the one set, else 5 s when metrics are on.
    var effectiveStatisticsInterval: Duration? {
        statisticsInterval ?? (metrics != nil ? .seconds(5) : nil)
    }
}
