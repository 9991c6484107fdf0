// Produce three messages and read them back through a consumer group.
// Uses the cluster at $KAFKA_BOOTSTRAP_SERVERS, or starts an embedded one.
import Foundation
import Kafka
import KafkaTesting
import Logging

let logger = Logger(label: "round-trip")

let cluster: (any KafkaTestCluster)? =
    ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"] == nil ? try EmbeddedCluster(brokers: 1) : nil
let bootstrap = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"] ?? cluster?.bootstrapServers ?? ""
let topic = "round-trip-\(Int.random(in: 0..<1_000_000))"
if let cluster {
    try await cluster.createTopic(topic, partitions: 3, replicationFactor: 1)
} else {
    try await ExternalCluster(bootstrapServers: bootstrap).createTopic(topic, partitions: 3, replicationFactor: 1)
}

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

// Consume: join a group, read from the beginning, stop after three messages (leaving the group).
var config = KafkaConsumerConfiguration(
    bootstrapServers: [bootstrap],
    consumptionStrategy: .group(id: "round-trip-readers", topics: [topic])
)
config.autoOffsetReset = .earliest
let consumer = try KafkaConsumer(configuration: config, logger: logger)
var received = 0
for try await message in consumer.messages {
    print("read \(message.keyString ?? "-")=\(message.valueString ?? "<null>") from partition \(message.partition) at offset \(message.offset)")
    received += 1
    if received == 3 { break }
}
await consumer.close()
await cluster?.shutdown()
