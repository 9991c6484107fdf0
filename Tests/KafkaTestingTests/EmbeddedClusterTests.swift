import Kafka
import KafkaTesting
import Logging
import Testing

@Suite("EmbeddedCluster", .timeLimit(.minutes(2)))
struct EmbeddedClusterTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("starts N brokers on loopback and shuts down")
    func startAndStop() async throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        let brokers = cluster.bootstrapServers.split(separator: ",")
        #expect(brokers.count == 3)
        #expect(brokers.allSatisfy { $0.hasPrefix("127.0.0.1:") || $0.hasPrefix("localhost:") })
        try await cluster.createTopic("t", partitions: 8, replicationFactor: 3)
        await cluster.shutdown()
        await cluster.shutdown()  // idempotent
        await #expect(throws: KafkaError.self) {
            try await cluster.createTopic("u", partitions: 1, replicationFactor: 1)
        }
    }

    @Test("refuses a replication factor above the broker count and a bad broker count")
    func refusesBadInput() async throws {
        #expect(throws: KafkaError.self) { try EmbeddedCluster(brokers: 0) }
        let cluster = try EmbeddedCluster(brokers: 1)
        await #expect(throws: KafkaError.self) {
            try await cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        }
        await #expect(throws: KafkaError.self) { try await cluster.setBrokerDown(7) }
        await cluster.shutdown()
    }

    @Test("partition leadership is what the cluster reports: messages land on the partition asked for")
    func producesToExplicitPartition() async throws {
        let cluster = try EmbeddedCluster(brokers: 2)
        try await cluster.createTopic("p", partitions: 3, replicationFactor: 2)
        try await cluster.setPartitionLeader(topic: "p", partition: 2, broker: 2)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
            logger: logger
        )
        let delivery = try await producer.send(KafkaProducerMessage(topic: "p", partition: 2, value: "x"))
        #expect(delivery.partition == 2)
        #expect(delivery.offset == 0)
        await producer.close()
        await cluster.shutdown()
    }

    @Test("injected produce errors: retriable ones are retried, the message still lands once")
    func injectedRetriableErrors() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        try await cluster.createTopic("e", partitions: 1, replicationFactor: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
            logger: logger
        )
        _ = try await producer.send(KafkaProducerMessage(topic: "e", value: "warm-up"))
        try await cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut])
        let delivery = try await producer.send(KafkaProducerMessage(topic: "e", value: "retried"))
        #expect(delivery.offset == 1)
        await producer.close()
        await cluster.shutdown()
    }

    @Test("a broker taken down and brought back")
    func brokerDownAndUp() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        try await cluster.createTopic("d", partitions: 1, replicationFactor: 1)
        var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        config.messageTimeout = .seconds(30)
        let producer = try KafkaProducer(configuration: config, logger: logger)
        _ = try await producer.send(KafkaProducerMessage(topic: "d", value: "first"))
        try await cluster.setBrokerDown(1)
        async let second = producer.send(KafkaProducerMessage(topic: "d", value: "second"))
        try await Task.sleep(for: .milliseconds(300))
        try await cluster.setBrokerUp(1)
        let delivery = try await second
        #expect(delivery.offset == 1)
        await producer.close()
        await cluster.shutdown()
    }
}

@Suite("EmbeddedCluster capabilities of the running librdkafka", .timeLimit(.minutes(2)))
struct EmbeddedClusterCapabilityTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test(
        "a broker advertises the host:port it is given: clients connect there and messages still flow",
        .enabled(
            if: EmbeddedCluster.supports(.advertisedAddresses),
            Comment(rawValue: EmbeddedCluster.Capability.advertisedAddresses.unavailableReason ?? "")
        )
    )
    func advertisedAddress() async throws {
        let cluster = try EmbeddedCluster(brokers: 2)
        try await cluster.createTopic("adv", partitions: 2, replicationFactor: 1)
        let admin = KafkaAdminClient(bootstrapServers: [cluster.bootstrapServers], logger: logger)
        let before = try await admin.metadata(topics: ["adv"])
        let two = try #require(before.brokers.first { $0.id == 2 })
        // Broker 2 advertises the name "localhost" for its own port: reachable, yet visibly another address.
        try await cluster.setAdvertisedAddress(broker: 2, host: "localhost", port: Int(two.port))
        // And broker 1 an address where nothing listens: metadata shows it as given.
        try await cluster.setAdvertisedAddress(broker: 1, host: "broker-one.invalid", port: 19_092)
        let after = try await KafkaAdminClient(bootstrapServers: [cluster.bootstrapServers], logger: logger)
            .metadata(topics: ["adv"])
        let byID = Dictionary(uniqueKeysWithValues: after.brokers.map { ($0.id, "\($0.host):\($0.port)") })
        #expect(byID[2] == "localhost:\(two.port)")
        #expect(byID[1] == "broker-one.invalid:19092")

        // A partition led by broker 2 is written through the advertised name.
        try await cluster.setPartitionLeader(topic: "adv", partition: 1, broker: 2)
        var config = KafkaProducerConfiguration(bootstrapServers: ["localhost:\(two.port)"])
        config.messageTimeout = .seconds(20)
        let producer = try KafkaProducer(configuration: config, logger: logger)
        let delivery = try await producer.send(KafkaProducerMessage(topic: "adv", partition: 1, value: "via localhost"))
        #expect(delivery.partition == 1)
        #expect(delivery.offset == 0)
        await producer.close()
        await cluster.shutdown()
    }

    @Test(
        "without the capability, setting an advertised address fails naming what is needed and what runs",
        .disabled(if: EmbeddedCluster.supports(.advertisedAddresses), "the running librdkafka has the capability")
    )
    func advertisedAddressUnsupported() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        let error = try await #require(throws: KafkaError.self) {
            try await cluster.setAdvertisedAddress(broker: 1, host: "localhost", port: 9093)
        }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("2.10"), "\(error)")
        #expect(error.message.contains(Librdkafka.version.description), "\(error)")
        await cluster.shutdown()
    }

    @Test("capabilities agree with the running version (a probe that never finds a function would hide them all)")
    func capabilitiesMatchVersion() {
        let version = Librdkafka.version
        #expect(EmbeddedCluster.supports(.advertisedAddresses) == (version >= Librdkafka.Version(2, 10, 0)))
        #expect(EmbeddedCluster.supports(.transactionMarkers) == (version >= Librdkafka.Version(2, 15, 0)))
        #expect(EmbeddedCluster.supports(.consumerGroupProtocol) == (version >= Librdkafka.Version(2, 8, 0)))
        for capability in EmbeddedCluster.capabilities {
            #expect(capability.unavailableReason == nil)
        }
    }
}
