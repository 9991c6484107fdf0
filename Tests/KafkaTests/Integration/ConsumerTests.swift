import Kafka
import KafkaTesting
import Testing

@Suite("Consumer", .timeLimit(.minutes(3)))
struct ConsumerTests {
    /// Sends `count` messages with values "0", "1", ... in this order to partition 0 of a new one-partition topic,
    /// so that the message at offset n has value "n".
    func prepareTopic(_ cluster: any KafkaTestCluster, count: Int) async throws -> String {
        let topic = uniqueName("consumer")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        config.deliveryReports = .failuresOnly
        let producer = try KafkaProducer(configuration: config, logger: testLogger)
        let failures = Task {
            var count = 0
            for await _ in producer.deliveryReports { count += 1 }
            return count
        }
        for i in 0..<count {
            _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "\(i)"))
        }
        try await producer.flush(timeout: .seconds(30))
        await producer.close()
        #expect(await failures.value == 0)
        return topic
    }

    func groupConfig(_ cluster: any KafkaTestCluster, group: String, topic: String) -> KafkaConsumerConfiguration {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            consumptionStrategy: .group(id: group, topics: [topic])
        )
        config.autoOffsetReset = .earliest
        // librdkafka 2.0.2's mock coordinator makes the next join after the last member left wait for the session
        // timeout less one second (a real broker does not): keep it short so tests stay quick on both.
        config.sessionTimeout = .seconds(6)
        return config
    }

    @Test("at-least-once: a member that stops after 10 messages commits up to the one it was handling")
    func resumesAfterProcessedMessages() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await prepareTopic(cluster, count: 100)
            let group = uniqueName("group")

            let first = try KafkaConsumer(
                configuration: groupConfig(cluster, group: group, topic: topic),
                logger: testLogger
            )
            var firstOffsets: [Int64] = []
            for try await message in first.messages {
                firstOffsets.append(message.offset.rawValue)
                if firstOffsets.count == 10 { break }  // while handling message 9: it is not known to be processed
            }
            await first.close()
            #expect(firstOffsets == Array(0..<10))

            var config = groupConfig(cluster, group: group, topic: topic)
            config.stopAtEndOfPartitions = true
            let second = try KafkaConsumer(configuration: config, logger: testLogger)
            var secondOffsets: [Int64] = []
            var values: [String] = []
            for try await message in second.messages {
                secondOffsets.append(message.offset.rawValue)
                values.append(message.valueString ?? "")
            }
            // Message 9 comes again (it may not have been processed); nothing before it, nothing lost after it.
            #expect(secondOffsets == Array(9..<100))
            #expect(Set(values).count == 91)
            await second.close()
        }
    }

    @Test("the messages loop keeps working when the consumer itself is no longer referenced")
    func messagesOutliveTheConsumerReference() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await prepareTopic(cluster, count: 50)
            func makeMessages() throws -> KafkaConsumerMessages {
                var config = KafkaConsumerConfiguration(
                    bootstrapServers: [cluster.bootstrapServers],
                    consumptionStrategy: .topics([topic], startingAt: .beginning)
                )
                config.stopAtEndOfPartitions = true
                return try KafkaConsumer(configuration: config, logger: testLogger).messages
            }
            let messages = try makeMessages()
            var count = 0
            for try await message in messages {
                #expect(message.offset.rawValue == Int64(count))
                count += 1
            }
            #expect(count == 50)
        }
    }

    @Test("fixed partitions from an offset, without a group")
    func fixedPartitionsFromOffset() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await prepareTopic(cluster, count: 20)
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset(15)])
            )
            config.stopAtEndOfPartitions = true
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var values: [String] = []
            for try await message in consumer.messages { values.append(message.valueString ?? "") }
            #expect(values == (15..<20).map(String.init))
            await consumer.close()
        }
    }

    @Test("a loop on the main actor stays there for every message and batch: all in order, nothing lost")
    func mainActorLoop() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let count = 5_000
            let topic = try await prepareTopic(cluster, count: count)
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
            )
            config.stopAtEndOfPartitions = true
            config.buffer = .init(batchSize: 100, lowWatermark: 2, highWatermark: 4)  // many hand-overs
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let values = try await Task { @MainActor in
                var values: [String] = []
                for try await message in consumer.messages {
                    MainActor.assertIsolated("the loop left the main actor")
                    values.append(message.valueString ?? "")
                }
                return values
            }.value
            #expect(values == (0..<count).map(String.init))
            await consumer.close()
        }
    }

    @Test("a slow reader holds the consumer's buffer to its watermark: nothing lost, nothing repeated")
    func slowReader() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await prepareTopic(cluster, count: 2_000)
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .topics([topic], startingAt: .beginning)
            )
            config.stopAtEndOfPartitions = true
            config.buffer = .init(batchSize: 50, lowWatermark: 1, highWatermark: 2)
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var next: Int64 = 0
            for try await message in consumer.messages {
                #expect(message.offset.rawValue == next)
                next += 1
                if next % 500 == 0 { try await Task.sleep(for: .milliseconds(50)) }  // fetching pauses meanwhile
            }
            #expect(next == 2_000)
        }
    }
}
