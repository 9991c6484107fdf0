import Kafka
import KafkaTesting
import Testing

@Suite("Round trip through a cluster", .timeLimit(.minutes(3)))
struct RoundTripTests {
    @Test("1,000 keyed messages with headers come back complete, in order, where send said")
    func roundTripThousandMessages() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("round-trip")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            let count = 1_000
            // Awaitable sends, all in flight at once.
            let deliveries = try await withThrowingTaskGroup(of: (Int, KafkaDelivery).self) { group in
                for i in 0..<count {
                    group.addTask {
                        let message = KafkaProducerMessage(
                            topic: topic,
                            key: "key-\(i)",
                            value: "value-\(i)",
                            headers: [KafkaHeader(key: "index", value: "\(i)"), KafkaHeader(key: "kind", value: nil)]
                        )
                        return (i, try await producer.send(message))
                    }
                }
                var result: [Int: KafkaDelivery] = [:]
                for try await (i, delivery) in group { result[i] = delivery }
                return result
            }
            await producer.close()
            #expect(deliveries.count == count)
            #expect(Set(deliveries.values.map(\.partition)).count == 4, "keys spread over all 4 partitions")
            #expect(deliveries.values.allSatisfy { $0.topic == topic && $0.offset.rawValue >= 0 })

            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .group(id: uniqueName("group"), topics: [topic])
            )
            config.autoOffsetReset = .earliest
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var seen: [Int: KafkaConsumerMessage] = [:]
            var lastOffset: [KafkaPartition: Int64] = [:]
            for try await message in consumer.messages {
                let key = try #require(message.keyString)
                let index = try #require(Int(key.dropFirst("key-".count)))
                #expect(seen[index] == nil, "message \(index) read twice")
                seen[index] = message
                if let last = lastOffset[message.partition] {
                    #expect(message.offset.rawValue > last, "offsets increase within partition \(message.partition)")
                }
                lastOffset[message.partition] = message.offset.rawValue
                if seen.count == count { break }
            }
            await consumer.close()

            #expect(seen.count == count)
            for i in 0..<count {
                let message = try #require(seen[i], "message \(i) missing")
                let delivery = try #require(deliveries[i])
                #expect(message.topic == topic)
                #expect(message.valueString == "value-\(i)")
                #expect(message.headers.map(\.key) == ["index", "kind"])
                #expect(message.headers.first?.valueString == "\(i)")
                #expect(message.headers.last?.value == nil, "a header without value stays without value")
                #expect(message.partition == delivery.partition)
                #expect(message.offset == delivery.offset)
            }
            // The messages read keys and values in place: the closed consumer's handle lives as long as they do.
            #expect(!consumer.isHandleFreed)
            seen = [:]
            try await waitUntil("the handle is freed once no message is held", timeout: .seconds(10)) {
                consumer.isHandleFreed
            }
        }
    }

    @Test("consumed keys and values are sent on as they are: binary, empty and missing ones alike")
    func mirrorConsumedMessages() async throws {
        try await withKafkaTestCluster { cluster in
            let source = uniqueName("mirror-source")
            let target = uniqueName("mirror-target")
            try await cluster.createTopic(source, partitions: 1, replicationFactor: 1)
            try await cluster.createTopic(target, partitions: 1, replicationFactor: 1)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            // Every byte value, an empty value, a missing value and a missing key each turn up.
            let originals: [(key: [UInt8]?, value: [UInt8]?)] = (0..<300).map { i in
                let key: [UInt8]? = i % 7 == 3 ? nil : Array("k\(i)".utf8)
                let value: [UInt8]? =
                    i % 50 == 10
                    ? nil : (i % 50 == 20 ? [] : (0..<(i % 40 + 1)).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) })
                return (key, value)
            }
            for original in originals {
                _ = try await producer.send(
                    KafkaProducerMessage(topic: source, key: original.key, value: original.value)
                )
            }

            func readAll(_ topic: String) async throws -> [KafkaConsumerMessage] {
                var config = KafkaConsumerConfiguration(
                    bootstrapServers: [cluster.bootstrapServers],
                    consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
                )
                config.stopAtEndOfPartitions = true
                let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
                var messages: [KafkaConsumerMessage] = []
                for try await message in consumer.messages { messages.append(message) }
                await consumer.close()
                return messages
            }
            let read = try await readAll(source)
            try #require(read.count == originals.count)
            for message in read {
                _ = try await producer.send(
                    KafkaProducerMessage(
                        topic: target,
                        key: message.key,
                        value: message.value,
                        headers: message.headers
                    )
                )
            }
            await producer.close()
            let mirrored = try await readAll(target)
            #expect(mirrored.count == originals.count)
            for (i, (message, original)) in zip(mirrored, originals).enumerated() {
                #expect(message.keyBytes == original.key, "key of message \(i)")
                #expect(message.valueBytes == original.value, "value of message \(i)")
                #expect(message.offset.rawValue == Int64(i))
            }
        }
    }
}
