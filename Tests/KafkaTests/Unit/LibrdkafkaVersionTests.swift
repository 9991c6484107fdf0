import Foundation
import Logging
import Testing

@testable import Kafka

@Suite("The running librdkafka: version and capabilities")
struct LibrdkafkaVersionTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("versions order as releases do, and print as major.minor.patch")
    func ordering() {
        let v202 = Librdkafka.Version(2, 0, 2)
        let v230 = Librdkafka.Version(2, 3, 0)
        let v2160 = Librdkafka.Version(2, 16, 0)
        #expect(v202 < v230 && v230 < v2160)
        #expect(v2160.rawValue == 0x0210_00ff)
        #expect(v2160.description == "2.16.0")
        #expect(!v2160.isPreRelease)
        let pre = Librdkafka.Version(rawValue: 0x0210_0001)
        #expect(pre.isPreRelease)
        #expect(pre.description == "2.16.0-pre1")
        #expect(pre < v2160)
    }

    @Test("the version read at run time is the loaded library's own, not the headers'")
    func runningVersion() throws {
        let version = Librdkafka.version
        #expect(version >= Librdkafka.Version(2, 0, 0))
        #expect(version >= Librdkafka.headerVersion, "a library older than the headers the package was built with")
        // scripts/test.sh names the version each leg must run on: this checks that LD_LIBRARY_PATH took effect in
        // the test process itself.
        if let expected = ProcessInfo.processInfo.environment["SWIFT_KAFKA_EXPECTED_LIBRDKAFKA"], !expected.isEmpty {
            #expect(version.description == expected)
        }
    }

    @Test("capabilities follow what the running librdkafka accepts and exports")
    func capabilities() {
        // group.protocol arrived in 2.4, rd_kafka_IncrementalAlterConfigs in 2.2: probed, but they must agree
        // with the version (a probe that always failed would make every capability vanish silently).
        #expect(Librdkafka.supports(.consumerGroupProtocol) == (Librdkafka.version >= Librdkafka.Version(2, 4, 0)))
        #expect(Librdkafka.supports(.incrementalAlterConfigs) == (Librdkafka.version >= Librdkafka.Version(2, 2, 0)))
        // Both librdkafka builds the tests run on (Debian's, and the one in confluent-kafka's wheel) have OpenSSL.
        #expect(Librdkafka.supports(.tls))
        for capability in [
            Librdkafka.Capability.consumerGroupProtocol, .incrementalAlterConfigs, .tls, .oauthBearerOIDC,
        ] {
            #expect(Librdkafka.capabilities.contains(capability) == Librdkafka.supports(capability))
            if let reason = capability.unavailableReason {
                #expect(!Librdkafka.supports(capability))
                #expect(reason.contains(Librdkafka.version.description), "\(reason)")
                #expect(reason.contains(capability.requirement), "\(reason)")
            }
        }
    }
}

@Suite("Group protocols: classic and KIP-848's consumer protocol")
struct GroupProtocolConfigurationTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func config(_ groupProtocol: KafkaConsumerConfiguration.GroupProtocol) -> KafkaConsumerConfiguration {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        config.groupProtocol = groupProtocol
        return config
    }

    @Test("classic sets only what is given: no session timeout unless asked for")
    func classicProperties() throws {
        var classic = config(.classic)
        #expect(classic.properties.value(for: "session.timeout.ms") == nil)
        #expect(classic.properties.value(for: "group.protocol") == nil)
        classic.sessionTimeout = .seconds(6)
        classic.heartbeatInterval = .milliseconds(500)
        #expect(classic.properties.value(for: "session.timeout.ms") == "6000")
        #expect(classic.properties.value(for: "heartbeat.interval.ms") == "500")
        try classic.validate()
    }

    @Test("a remote assignor with the classic protocol is refused by name")
    func remoteAssignorNeedsConsumerProtocol() throws {
        var classic = config(.classic)
        classic.remoteAssignor = .uniform
        let error = try #require(throws: KafkaError.self) { try classic.validate() }
        #expect(error.code == .invalidConfiguration)
        #expect(error.configurationKey == "group.remote.assignor")
    }

    @Test(
        "the consumer protocol leaves the classic properties out and creates a consumer",
        .enabled(
            if: Librdkafka.supports(.consumerGroupProtocol),
            Comment(rawValue: Librdkafka.Capability.consumerGroupProtocol.unavailableReason ?? "")
        )
    )
    func consumerProtocolCreates() throws {
        var consumer = config(.consumer)
        consumer.remoteAssignor = .range
        let properties = consumer.properties
        #expect(properties.value(for: "group.protocol") == "consumer")
        #expect(properties.value(for: "group.remote.assignor") == "range")
        for key in KafkaConsumerConfiguration.classicOnlyProperties {
            #expect(properties.value(for: key) == nil, "\(key) set")
        }
        // rd_kafka_new refuses classic properties with this protocol: creating the client proves none is set.
        let client = try KafkaConsumer(configuration: consumer, logger: logger)
        _ = client
    }

    @Test(
        "the consumer protocol refuses each classic property by name, typed or as an override",
        .enabled(
            if: Librdkafka.supports(.consumerGroupProtocol),
            Comment(rawValue: Librdkafka.Capability.consumerGroupProtocol.unavailableReason ?? "")
        )
    )
    func consumerProtocolRefusesClassicProperties() throws {
        var typed: [(String, KafkaConsumerConfiguration)] = []
        var withSession = config(.consumer)
        withSession.sessionTimeout = .seconds(6)
        typed.append(("session.timeout.ms", withSession))
        var withHeartbeat = config(.consumer)
        withHeartbeat.heartbeatInterval = .seconds(1)
        typed.append(("heartbeat.interval.ms", withHeartbeat))
        var withStrategy = config(.consumer)
        withStrategy.assignmentStrategies = [.cooperativeSticky]
        typed.append(("partition.assignment.strategy", withStrategy))
        for key in KafkaConsumerConfiguration.classicOnlyProperties {
            // The protocol chosen by override, as `kafka-tail -X group.protocol=consumer` does.
            var overridden = config(.classic)
            overridden.librdkafkaOverrides = ["group.protocol": "consumer", key: "1000"]
            typed.append((key, overridden))
        }
        for (key, configuration) in typed {
            let error = try #require(throws: KafkaError.self, "\(key)") { try configuration.validate() }
            #expect(error.code == .invalidConfiguration, "\(key): \(error)")
            #expect(error.configurationKey == key, "\(error)")
            #expect(error.description.contains("group.protocol=consumer"), "\(error)")
        }
    }

    @Test(
        "without the consumer protocol in librdkafka, asking for it says what is needed and what runs",
        .disabled(if: Librdkafka.supports(.consumerGroupProtocol), "the running librdkafka has the consumer protocol")
    )
    func consumerProtocolUnsupported() throws {
        let error = try #require(throws: KafkaError.self) {
            try KafkaConsumer(configuration: config(.consumer), logger: logger)
        }
        #expect(error.code == .unsupported)
        #expect(error.configurationKey == "group.protocol")
        #expect(error.description.contains("2.12"), "\(error)")
        #expect(error.description.contains(Librdkafka.version.description), "\(error)")

        // Given as a bare librdkafka property (kafka-tail -X group.protocol=consumer), to any client.
        var producer = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        producer.librdkafkaOverrides = ["group.protocol": "consumer"]
        let overridden = try #require(throws: KafkaError.self) { try producer.validate() }
        #expect(overridden.code == .unsupported, "\(overridden)")
        #expect(overridden.description.contains("needs librdkafka 2.4"), "\(overridden)")
        #expect(overridden.description.contains(Librdkafka.version.description), "\(overridden)")
    }
}

@Suite("fetch.queue.backoff.ms follows the running librdkafka")
struct FetchQueueBackoffTests {
    func config() -> KafkaConsumerConfiguration {
        KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
    }

    @Test("a short backoff by default where librdkafka has the property, none where it does not; an override wins")
    func defaultBackoff() throws {
        #expect(Librdkafka.hasFetchQueueBackoff == (Librdkafka.version >= Librdkafka.Version(2, 2, 0)))
        let properties = config().properties
        #expect(properties.value(for: "fetch.queue.backoff.ms") == (Librdkafka.hasFetchQueueBackoff ? "10" : nil))
        var overridden = config()
        overridden.librdkafkaOverrides["fetch.queue.backoff.ms"] = "250"
        if Librdkafka.hasFetchQueueBackoff {
            #expect(overridden.properties.value(for: "fetch.queue.backoff.ms") == "250")
            var typed = config()
            typed.fetch.queueBackoff = .milliseconds(40)
            #expect(typed.properties.value(for: "fetch.queue.backoff.ms") == "40")
            try typed.validate()
        }
    }

    @Test(
        "asking for a backoff where librdkafka has none names the property and the running version",
        .disabled(if: Librdkafka.hasFetchQueueBackoff, "the running librdkafka has fetch.queue.backoff.ms")
    )
    func backoffUnsupported() throws {
        var typed = config()
        typed.fetch.queueBackoff = .milliseconds(40)
        let error = try #require(throws: KafkaError.self) { try typed.validate() }
        #expect(error.configurationKey == "fetch.queue.backoff.ms")
        #expect(error.description.contains(Librdkafka.version.description), "\(error)")
    }
}
