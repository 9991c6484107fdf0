internal import CLibrdkafka

/// An ordered list of librdkafka properties, and the one place they are turned into a `rd_kafka_conf_t`.
struct LibrdkafkaProperties: Sendable {
    private(set) var entries: [(key: String, value: String)] = []

    init() {}

    mutating func set(_ key: String, _ value: String) {
        entries.append((key, value))
    }

    mutating func set(_ key: String, milliseconds: Duration) {
        entries.append((key, String(milliseconds.kafkaMilliseconds)))
    }

    mutating func set(_ key: String, _ value: Bool) {
        entries.append((key, value ? "true" : "false"))
    }

    mutating func set(contentsOf other: [(String, String)]) {
        for (k, v) in other { entries.append((k, v)) }
    }

    /// The value that wins for `key` (the last one set).
    func value(for key: String) -> String? {
        entries.last(where: { $0.key == key })?.value
    }

    /// Creates a `rd_kafka_conf_t` holding every entry, or throws naming the first key librdkafka rejects.
    ///
    /// The returned conf is the caller's until `rd_kafka_new` succeeds with it; on a throw nothing leaks.
    func makeConf() throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.invalidConfiguration(key: nil, value: nil, reason: "rd_kafka_conf_new failed")
        }
        do {
            for (key, value) in entries {
                try Self.set(key, value, on: conf)
            }
        } catch {
            rd_kafka_conf_destroy(conf)
            throw error
        }
        return conf
    }

    /// Checks every entry against librdkafka without creating a client.
    func validate() throws(KafkaError) {
        let conf = try makeConf()
        rd_kafka_conf_destroy(conf)
    }

    private static func set(_ key: String, _ value: String, on conf: OpaquePointer) throws(KafkaError) {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
        guard result != RD_KAFKA_CONF_OK else { return }
        var reason = String(nulTerminated: errstr)
        let shownValue = Self.isSecret(key) ? Redaction.placeholder : value
        // librdkafka's reason may quote the value.
        if Self.isSecret(key), !value.isEmpty { reason = reason.replacing(value, with: Redaction.placeholder) }
        switch result {
        case RD_KAFKA_CONF_UNKNOWN:
            if let since = newerProperties[key] {
                throw KafkaError(
                    code: .unsupported,
                    message: "'\(key)' needs librdkafka \(since) or later; this process runs librdkafka "
                        + "\(Librdkafka.version)",
                    configurationKey: key,
                    configurationValue: shownValue
                )
            }
            throw KafkaError.invalidConfiguration(key: key, value: shownValue, reason: "unknown property (\(reason))")
        default:
            throw KafkaError.invalidConfiguration(key: key, value: shownValue, reason: reason)
        }
    }

    /// Properties librdkafka added after 2.0 that this package sets or documents, with the version that added
    /// them: on an older librdkafka they are refused as unsupported, naming both versions, not as unknown.
    private static let newerProperties: [String: String] = [
        "group.protocol": "2.4",
        "group.remote.assignor": "2.4",
        "fetch.queue.backoff.ms": "2.2",
    ]

    /// Whether a property holds a secret that must never appear in errors or logs.
    static func isSecret(_ key: String) -> Bool {
        key.contains("password") || key.contains("secret") || key.hasSuffix(".pem") || key.contains("jaas")
            || key == "sasl.oauthbearer.config" || key == "ssl_key"
    }
}

enum ConfigurationChecks {
    /// Rejects an empty bootstrap list and malformed `host:port` entries.
    static func checkBootstrapServers(_ servers: [String]) throws(KafkaError) {
        let list = servers.joined(separator: ",")
        let entries = servers.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingSpaces() }
        guard !entries.isEmpty, !entries.contains(where: \.isEmpty) else {
            throw KafkaError.invalidConfiguration(
                key: "bootstrap.servers",
                value: list,
                reason: "the bootstrap server list is empty; give at least one host:port"
            )
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

extension String {
    /// Decodes a NUL-terminated C buffer such as librdkafka's `errstr`.
    init(nulTerminated buffer: [CChar]) {
        self = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
