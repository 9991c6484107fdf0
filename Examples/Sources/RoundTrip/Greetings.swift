import Kafka
import Logging

func sendAndReadGreetings(bootstrap: String, topic: String, logger: Logger) async throws {
    // Produce: each send returns where the message landed.
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(bootstrapServers: [bootstrap]),
        logger: logger
    )
    for (key, value) in [("alice", "hello"), ("bob", "bonjour"), ("carol", "hallo")] {
        let delivery = try await producer.send(
            KafkaProducerMessage(
                topic: topic,
                key: key,
                value: value,
                headers: [KafkaHeader(key: "lang", value: "demo")]
            )
        )
        print("sent \(key)=\(value) to partition \(delivery.partition) at offset \(delivery.offset)")
    }
    await producer.close()

    // Consume: join a group, read from the beginning, stop after three messages (which leaves the group).
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [bootstrap],
        consumptionStrategy: .group(id: "greeting-readers", topics: [topic])
    )
    config.autoOffsetReset = .earliest
    let consumer = try KafkaConsumer(configuration: config, logger: logger)
    var received = 0
    for try await message in consumer.messages {
        print(
            "read \(message.keyString ?? "-")=\(message.valueString ?? "<null>") at \(message.partition)/\(message.offset)"
        )
        received += 1
        if received == 3 { break }
    }
    await consumer.close()
}
