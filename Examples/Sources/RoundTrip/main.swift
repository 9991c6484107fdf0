// Sends three messages and reads them back through a consumer group (Greetings.swift), then produces the three
// ways the producer offers (ProducerStyles.swift) and reads them back committing explicitly (ConsumerStyles.swift),
// then runs a producer and a consumer in a ServiceGroup (Services.swift); all are shown in the README.
// Uses the cluster at $KAFKA_BOOTSTRAP_SERVERS, or starts an embedded one.
import Kafka
import KafkaTesting
import Logging

let logger = Logger(label: "round-trip")
let cluster = try makeKafkaTestCluster(brokers: 1)
let topic = "greetings-\(Int.random(in: 0..<1_000_000))"
try await cluster.createTopic(topic, partitions: 3, replicationFactor: 1)
try await sendAndReadGreetings(bootstrap: cluster.bootstrapServers, topic: topic, logger: logger)
try await produceThreeWays(bootstrap: cluster.bootstrapServers, topic: topic, logger: logger)
// 3 greetings + 1 + 1,000 + 1,000 produced above.
try await consumeWithCommits(bootstrap: cluster.bootstrapServers, topic: topic, expected: 2_004, logger: logger)
try await runAsServices(bootstrap: cluster.bootstrapServers, topic: topic, logger: logger)
await cluster.shutdown()
