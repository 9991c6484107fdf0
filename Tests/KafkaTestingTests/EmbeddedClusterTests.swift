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
        #expect(throws: KafkaError.self) { try cluster.setBrokerDown(7) }
        await cluster.shutdown()
    }

    @Test("partition leadership is what the cluster reports: messages land on the partition asked for")
    func producesToExplicitPartition() async throws {
        let cluster = try EmbeddedCluster(brokers: 2)
        try await cluster.createTopic("p", partitions: 3, replicationFactor: 2)
        try cluster.setPartitionLeader(topic: "p", partition: 2, broker: 2)
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
        try cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut])
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
        try cluster.setBrokerDown(1)
        async let second = producer.send(KafkaProducerMessage(topic: "d", value: "second"))
        try await Task.sleep(for: .milliseconds(300))
        try cluster.setBrokerUp(1)
        let delivery = try await second
        #expect(delivery.offset == 1)
        await producer.close()
        await cluster.shutdown()
    }
}
