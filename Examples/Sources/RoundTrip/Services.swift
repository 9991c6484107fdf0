import Kafka
import Logging
import ServiceLifecycle

/// A producer and a consumer run by a `ServiceGroup` next to the service that uses them. On SIGTERM or SIGINT (or,
/// here, when the worker is done) the group shuts down gracefully: the consumer commits what was processed and
/// leaves its group, the producer delivers what is queued, and both free their handles.
func runAsServices(bootstrap: String, topic: String, logger: Logger) async throws {
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(bootstrapServers: [bootstrap]),
        logger: logger
    )
    var consumerConfig = KafkaConsumerConfiguration(
        bootstrapServers: [bootstrap],
        consumptionStrategy: .group(id: "audit-\(Int.random(in: 0..<1_000_000))", topics: [topic])
    )
    consumerConfig.autoOffsetReset = .earliest
    let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)

    let worker = AuditWorker(producer: producer, consumer: consumer, topic: topic, logger: logger)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                .init(service: producer),
                .init(service: consumer),
                // When the worker returns, the whole group shuts down gracefully.
                .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
}

/// Sends 100 audit records, then reads the topic until it has seen them all.
struct AuditWorker: Service {
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    let topic: String
    let logger: Logger

    func run() async throws {
        for n in 0..<100 {
            _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, key: "audit", value: "record \(n)"))
        }
        var seen = 0
        for try await message in consumer.messages where message.keyString == "audit" {
            seen += 1
            if seen == 100 { break }
        }
        logger.info("read back all \(seen) audit records")
        print("services: 100 audit records sent and read back; the group shut down cleanly")
    }
}
