import Logging
import Testing

@testable import Kafka

@Suite("Configuration is validated against librdkafka")
struct ConfigurationTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func producerConfig(_ overrides: [String: String] = [:]) -> KafkaProducerConfiguration {
        var config = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        config.librdkafkaOverrides = overrides
        return config
    }

    @Test("an unknown key names the key")
    func unknownKey() throws {
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducer(configuration: producerConfig(["no.such.property": "1"]), logger: logger)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.configurationKey == "no.such.property")
        #expect(error.description.contains("no.such.property"))
        #expect(error.description.contains("unknown"))
    }

    @Test("an invalid value names the key, the value and librdkafka's reason")
    func invalidValue() throws {
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducer(configuration: producerConfig(["acks": "banana"]), logger: logger)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.configurationKey == "acks")
        #expect(error.configurationValue == "banana")
        #expect(error.description.contains("acks"))
        #expect(error.description.contains("banana"))
        #expect(error.description.contains("Invalid value"), "librdkafka's reason: \(error.description)")
    }

    @Test("an empty bootstrap list is refused", arguments: [[], [""], ["localhost:9092", ""], [" "]])
    func emptyBootstrap(servers: [String]) throws {
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducerConfiguration(bootstrapServers: servers).validate()
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("bootstrap.servers"))
        #expect(error.description.contains("empty"))
    }

    @Test("a consumer with an empty bootstrap list fails at creation")
    func consumerEmptyBootstrap() throws {
        let config = KafkaConsumerConfiguration(
            bootstrapServers: [],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        let error = try #require(throws: KafkaError.self) { try KafkaConsumer(configuration: config, logger: logger) }
        #expect(error.description.contains("bootstrap.servers"))
    }

    @Test("idempotence with acks other than all is refused with both names")
    func idempotenceNeedsAcksAll() throws {
        var config = producerConfig()
        config.acks = .leader
        let error = try #require(throws: KafkaError.self) { try config.validate() }
        #expect(error.configurationKey == "acks")
        #expect(error.description.contains("enable.idempotence"))
        config.idempotence = false
        try config.validate()
    }

    @Test("a combination librdkafka refuses at creation is reported with its reason")
    func rejectedAtCreation() throws {
        // Each value is valid alone; librdkafka refuses the pair when the handle is created.
        let config = producerConfig(["max.in.flight.requests.per.connection": "50"])
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: config, logger: logger) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("max.in.flight"), "\(error)")
    }

    @Test("typed fields reach librdkafka under their documented keys")
    func typedFields() throws {
        var config = producerConfig(["linger.ms": "7"])
        config.compression = .zstd(level: 3)
        config.acks = .all
        config.clientID = "billing"
        config.security = .sasl(.init(mechanism: .scramSHA512, username: "u", password: "secret"))
        let properties = config.effectiveProperties
        #expect(properties["compression.codec"] == "zstd")
        #expect(properties["compression.level"] == "3")
        #expect(properties["acks"] == "all")
        #expect(properties["client.id"] == "billing")
        #expect(properties["enable.idempotence"] == "true")
        #expect(properties["linger.ms"] == "7", "overrides win over typed fields")
        #expect(properties["security.protocol"] == "sasl_ssl")
        #expect(properties["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(properties["sasl.password"] == "<redacted>")
    }

    @Test("producer tuning fields reach librdkafka, and bad values are refused by name")
    func producerTuning() throws {
        var config = producerConfig()
        config.batchSize = 65_536
        config.batchMessageCount = 5_000
        config.maxMessageBytes = 2_000_000
        config.retries = 5
        config.retryBackoff = .milliseconds(250)
        config.partitioner = .murmur2Random
        config.queueMaxMessages = 200_000
        config.queueMaxKilobytes = 65_536
        try config.validate()
        let p = config.effectiveProperties
        #expect(p["batch.size"] == "65536")
        #expect(p["batch.num.messages"] == "5000")
        #expect(p["message.max.bytes"] == "2000000")
        #expect(p["message.send.max.retries"] == "5")
        #expect(p["retry.backoff.ms"] == "250")
        #expect(p["partitioner"] == "murmur2_random")
        #expect(p["queue.buffering.max.messages"] == "200000")
        #expect(p["queue.buffering.max.kbytes"] == "65536")
        config.batchMessageCount = -1
        let error = try #require(throws: KafkaError.self) { try config.validate() }
        #expect(error.configurationKey == "batch.num.messages")
    }

    @Test("consumer strategies are checked")
    func consumerStrategies() throws {
        let empty = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "", topics: ["t"])
        )
        #expect(throws: KafkaError.self) { try empty.validate() }
        let noTopics = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "g", topics: [])
        )
        #expect(throws: KafkaError.self) { try noTopics.validate() }
        let badPartition = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .partitions([KafkaTopicPartition(topic: "t", partition: -3): .beginning])
        )
        #expect(throws: KafkaError.self) { try badPartition.validate() }
        var badBuffer = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        badBuffer.buffer = .init(batchSize: 10, lowWatermark: 5, highWatermark: 5)
        #expect(throws: KafkaError.self) { try badBuffer.validate() }
        var good = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        good.autoOffsetReset = .earliest
        try good.validate()
        #expect(good.effectiveProperties["group.id"] == "g")
        #expect(good.effectiveProperties["auto.offset.reset"] == "earliest")
    }

    @Test("consumer fetch fields reach librdkafka (bytes as whole KiB), and bad values are refused by name")
    func consumerFetch() throws {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        #expect(config.effectiveProperties["queued.min.messages"] == nil)  // nil keeps librdkafka's default
        config.fetch.prefetchMessages = 500_000
        config.fetch.prefetchBytes = 100 * 1024 * 1024 + 1
        config.fetch.maxWait = .milliseconds(100)
        config.fetch.minBytes = 1_024
        config.fetch.maxBytes = 10_000_000
        config.fetch.maxBytesPerPartition = 2_000_000
        try config.validate()
        let p = config.effectiveProperties
        #expect(p["queued.min.messages"] == "500000")
        #expect(p["queued.max.messages.kbytes"] == "102401")  // rounded up
        #expect(p["fetch.wait.max.ms"] == "100")
        #expect(p["fetch.min.bytes"] == "1024")
        #expect(p["fetch.max.bytes"] == "10000000")
        #expect(p["max.partition.fetch.bytes"] == "2000000")
        config.fetch.prefetchMessages = 0
        config.librdkafkaOverrides = [:]
        let error = try #require(throws: KafkaError.self) { try config.validate() }
        #expect(error.configurationKey == "queued.min.messages")
    }

    @Test(
        "fetch.max.bytes defaults to 8 MiB, within what librdkafka accepts next to the other properties",
        arguments: [
            ([:], nil, "8388608"),
            ([:], 4 * 1024 * 1024, "4194304"),  // at most the prefetch bytes, as librdkafka's own default
            ([:], 512 * 1024, "1000000"),  // at least message.max.bytes
            (["message.max.bytes": "10000000"], nil, "10000000"),
            (["receive.message.max.bytes": "5000000"], nil, "4999488"),  // a response fits, with 512 of framing
            (["fetch.max.bytes": "52428800"], nil, "52428800"),  // an override wins
        ] as [([String: String], Int?, String)]
    )
    func defaultFetchMaxBytes(overrides: [String: String], prefetchBytes: Int?, expected: String) throws {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: ["127.0.0.1:1"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        config.librdkafkaOverrides = overrides
        config.fetch.prefetchBytes = prefetchBytes
        #expect(config.effectiveProperties["fetch.max.bytes"] == expected)
        // librdkafka accepts the combination when it creates the handle.
        let client = try RDKafkaClient.make(kind: .consumer, properties: config.properties, logger: logger)
        client.destroy()
    }

    @Test(
        "a typed fetch.maxBytes wins over the default; an override out of range leaves it to librdkafka, which names it"
    )
    func fetchMaxBytesGivenOrUnparsable() throws {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        config.fetch.maxBytes = 20_000_000
        #expect(config.effectiveProperties["fetch.max.bytes"] == "20000000")
        config.fetch.maxBytes = nil
        config.librdkafkaOverrides = ["message.max.bytes": "lots"]
        #expect(config.effectiveProperties["fetch.max.bytes"] == nil)
        let error = try #require(throws: KafkaError.self) { try config.validate() }
        #expect(error.configurationKey == "message.max.bytes")
        // Out of librdkafka's range (and of what KiB times 1,024 fits in): refused by name, no overflow.
        config.librdkafkaOverrides = ["queued.max.messages.kbytes": "\(Int.max)"]
        #expect(config.effectiveProperties["fetch.max.bytes"] == nil)
        let tooLarge = try #require(throws: KafkaError.self) { try config.validate() }
        #expect(tooLarge.configurationKey == "queued.max.messages.kbytes")
    }

    @Test("typed SASL mechanisms set the properties librdkafka needs, and librdkafka accepts them")
    func saslMechanisms() throws {
        typealias SASL = KafkaConfiguration.Security.SASL
        let cases: [(SASL, [String: String])] = [
            (.plain(username: "u", password: "p"), ["sasl.mechanism": "PLAIN", "sasl.username": "u"]),
            (.scramSHA256(username: "u", password: "p"), ["sasl.mechanism": "SCRAM-SHA-256"]),
            (.scramSHA512(username: "u", password: "p"), ["sasl.mechanism": "SCRAM-SHA-512"]),
            (
                .gssapi(principal: "kafka-client@EXAMPLE.COM", keytab: "/etc/client.keytab", serviceName: "kafka"),
                [
                    "sasl.mechanism": "GSSAPI", "sasl.kerberos.principal": "kafka-client@EXAMPLE.COM",
                    "sasl.kerberos.keytab": "/etc/client.keytab", "sasl.kerberos.service.name": "kafka",
                ]
            ),
            (
                .oauthBearer(
                    .oidc(
                        clientID: "svc",
                        clientSecret: "s",
                        tokenEndpoint: "https://idp.example/token",
                        scope: "kafka",
                        extensions: ["pool": "p1", "cluster": "c1"]
                    )
                ),
                [
                    "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
                    "sasl.oauthbearer.client.id": "svc", "sasl.oauthbearer.scope": "kafka",
                    "sasl.oauthbearer.extensions": "cluster=c1,pool=p1",
                ]
            ),
            (.oauthBearer(.tokenProvider { throw CancellationError() }), ["sasl.mechanism": "OAUTHBEARER"]),
        ]
        for (sasl, expected) in cases {
            var config = producerConfig()
            config.security = .sasl(sasl, tls: .init(caPEM: "-----BEGIN CERTIFICATE-----\n"))
            if sasl.oauthBearer.map({ "\($0)".contains("oidc") }) == true, !Librdkafka.supports(.oauthBearerOIDC) {
                // A librdkafka without libcurl (Debian's 2.0.2) refuses the method, naming it.
                let error = try #require(throws: KafkaError.self) { try config.validate() }
                #expect(error.configurationKey == "sasl.oauthbearer.method")
            } else {
                try config.validate()
            }
            let properties = config.effectiveProperties
            #expect(properties["security.protocol"] == "sasl_ssl")
            for (key, value) in expected {
                #expect(properties[key] == value, "\(sasl.mechanism.rawValue): \(key)")
            }
        }
        var plain = producerConfig()
        plain.security = .sasl(.plain(username: "u", password: "p"), tls: nil)
        #expect(plain.effectiveProperties["security.protocol"] == "sasl_plaintext")
        #expect(plain.security.tokenProvider == nil)
        plain.security = .sasl(.oauthBearer(.tokenProvider(timeout: .seconds(3)) { throw CancellationError() }))
        #expect(plain.security.tokenProvider?.timeout == .seconds(3))
    }

    @Test("the admin client takes the same security settings; a token provider is refused, naming the mechanism")
    func adminSecurity() throws {
        let tls = KafkaAdminClient(
            bootstrapServers: ["localhost:9093"],
            security: .sasl(
                .scramSHA512(username: "u", password: "p"),
                tls: .init(caPEM: "-----BEGIN CERTIFICATE-----\n")
            ),
            logger: logger
        )
        try tls.validate()
        let oauth = KafkaAdminClient(
            bootstrapServers: ["localhost:9093"],
            security: .sasl(.oauthBearer(.tokenProvider { throw CancellationError() })),
            logger: logger
        )
        let error = try #require(throws: KafkaError.self) { try oauth.validate() }
        #expect(error.code == .invalidConfiguration)
        #expect(error.configurationKey == "sasl.mechanism")
        #expect(error.description.contains("oidc"))
    }
}
