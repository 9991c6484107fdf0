import Kafka
import KafkaTesting
import Testing

/// Using a consumer's sequences in ways they do not support is an error to the caller, never a crash, and leaves
/// the one loop that does iterate undisturbed.
@Suite("Consumer misuse", .timeLimit(.minutes(2)))
struct MisuseTests {
    @Test("a second iteration of messages, or batches() besides messages, throws invalidUsage; the first loop reads on")
    func secondIteration() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await filledTopic(cluster, prefix: "misuse", count: 10)

            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
            )
            config.stopAtEndOfPartitions = true
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var first = consumer.messages.makeAsyncIterator()
            let firstValue = try await first.next()?.valueString
            #expect(firstValue == "0")

            for attempt in ["messages again", "batches()"] {
                do {
                    if attempt == "batches()" {
                        for try await _ in consumer.batches() { Issue.record("batches() handed out a batch") }
                    } else {
                        for try await _ in consumer.messages { Issue.record("a second loop got a message") }
                    }
                    Issue.record("\(attempt): no error")
                } catch let error as KafkaError {
                    #expect(error.code == .invalidUsage, "\(attempt): \(error)")
                }
            }
            // The first loop was not disturbed.
            var rest: [String] = []
            while let message = try await first.next() { rest.append(message.valueString ?? "") }
            #expect(rest == (1..<10).map { "\($0)" })
            await consumer.close()
        }
    }
}
