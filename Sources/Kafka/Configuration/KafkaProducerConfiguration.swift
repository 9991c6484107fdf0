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
    /// `compression.codec` and `compression.level`. Default none.
    public var compression: KafkaConfiguration.Compression = .none
    /// `linger.ms`: how long to wait to fill a batch. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// `message.timeout.ms`: how long a message may take to be delivered, retries included, before it fails with
    /// ``KafkaError/Code/messageTimedOut``. Default 300 s.
    public var messageTimeout: Duration = .seconds(300)
    /// `security.protocol` and its TLS / SASL settings. Default plaintext.
    public var security: KafkaConfiguration.Security = .plaintext
    /// Which reports of fire-and-forget sends (``KafkaProducer/enqueue(_:)``) reach
    /// ``KafkaProducer/deliveryReports``. Default ``DeliveryReports/none``.
    ///
    /// With ``DeliveryReports/all`` or ``DeliveryReports/failuresOnly``, read the sequence: while its reader is
    /// behind, `enqueue` waits.
    public var deliveryReports: DeliveryReports = .none
    /// How long ``KafkaProducer/close()`` waits for outstanding messages before failing them. Default 30 s.
    public var closeTimeout: Duration = .seconds(30)
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
        if properties.value(for: "enable.idempotence") == "true",
            let acks = properties.value(for: "acks") ?? properties.value(for: "request.required.acks"),
            acks != "all", acks != "-1"
        {
            throw KafkaError.invalidConfiguration(
                key: "acks",
                value: acks,
                reason: "idempotence (enable.idempotence=true) requires acks=all; set idempotence = false or acks = .all"
            )
        }
    }

    /// Every librdkafka property this configuration sets, in the order they are applied.
    var properties: LibrdkafkaProperties {
        var p = LibrdkafkaProperties()
        p.set("bootstrap.servers", bootstrapServers.joined(separator: ","))
        p.set("client.id", clientID)
        p.set("acks", acks.rawValue)
        p.set("enable.idempotence", idempotence)
        p.set("compression.codec", compression.codec)
        if let level = compression.level { p.set("compression.level", String(level)) }
        p.set("linger.ms", milliseconds: linger)
        p.set("message.timeout.ms", milliseconds: messageTimeout)
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
