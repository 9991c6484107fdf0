import Foundation
import Kafka
import KafkaTesting
import Synchronization
import Testing

/// What the API documents, checked through a broker: every compression codec and level, headers with repeated
/// names, the delivery timestamp, the round-robin assignor, the lost-partitions hook and background commits.
@Suite("Documented behaviour through a broker", .timeLimit(.minutes(3)))
struct PromiseTests {
    /// Reads `count` messages of `topic`'s partition 0 from the beginning.
    func readBack(_ cluster: any KafkaTestCluster, topic: String, count: Int) async throws -> [KafkaConsumerMessage] {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        )
        config.stopAtEndOfPartitions = true
        let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
        var messages: [KafkaConsumerMessage] = []
        for try await message in consumer.messages { messages.append(message) }
        #expect(messages.count == count)
        return messages
    }

    @Test(
        "every codec and level round-trips keys, values and headers through a broker, in order",
        arguments: [
            KafkaConfiguration.Compression.none, .gzip, .gzip(level: 9), .snappy, .lz4, .lz4(level: 12), .zstd,
            .zstd(level: 12),
        ]
    )
    func compression(_ codec: KafkaConfiguration.Compression) async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("codec-\(codec.codec)")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.compression = codec
            config.linger = .milliseconds(20)  // batches of many messages, so the codec has something to do
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let values = (0..<300).map { "message \($0): " + String(repeating: "compressible text ", count: $0 % 7) }
            for (i, value) in values.enumerated() {
                _ = try await producer.enqueue(
                    KafkaProducerMessage(
                        topic: topic,
                        partition: 0,
                        key: "k\(i)",
                        value: value,
                        headers: [KafkaHeader(key: "i", value: "\(i)")]
                    )
                )
            }
            try await producer.flush(timeout: .seconds(30))
            await producer.close()
            let messages = try await readBack(cluster, topic: topic, count: values.count)
            #expect(messages.map(\.valueString) == values)
            #expect(messages.map(\.keyString) == (0..<300).map { "k\($0)" })
            #expect(messages.map { $0.headers.first?.value.map { String(buffer: $0) } } == (0..<300).map { "\($0)" })
            #expect(messages.map(\.offset.rawValue) == (0..<300).map(Int64.init))
        }
    }

    @Test("headers with repeated names (and a null value) come back as sent, in order")
    func repeatedHeaderNames() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("headers")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            let headers = [
                KafkaHeader(key: "trace", value: "a"), KafkaHeader(key: "trace", value: "b"),
                KafkaHeader(key: "empty", value: nil), KafkaHeader(key: "trace", value: ""),
                KafkaHeader(key: "bin", bytes: [0, 255, 7]),
            ]
            _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "v", headers: headers))
            await producer.close()
            let message = try #require(try await readBack(cluster, topic: topic, count: 1).first)
            #expect(message.headers == headers)
        }
    }

    @Test("a message's timestamp is the one given, or the producer's clock at the send; the delivery reports it")
    func deliveryTimestamp() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("timestamps")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            let given = KafkaTimestamp(millisecondsSinceEpoch: 1_700_000_000_123)
            let explicit = try await producer.send(
                KafkaProducerMessage(topic: topic, partition: 0, value: "given", timestamp: given)
            )
            let before = Int64(Date().timeIntervalSince1970 * 1_000)
            let stamped = try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "now"))
            let after = Int64(Date().timeIntervalSince1970 * 1_000)
            await producer.close()
            // The messages are stored with those timestamps, as CreateTime.
            let messages = try await readBack(cluster, topic: topic, count: 2)
            #expect(messages.first?.timestamp == given)
            let stampedMilliseconds = try #require(messages.last?.timestamp?.millisecondsSinceEpoch)
            #expect((before - 1...after + 1).contains(stampedMilliseconds))
            if cluster.isEmbedded {
                // librdkafka's mock answers every Produce with LogAppendTime 1234 (rdkafka_mock_handlers.c), which
                // librdkafka reports as the delivery's timestamp: only a real broker can show the CreateTime here.
                #expect(explicit.timestampType == .logAppendTime && stamped.timestampType == .logAppendTime)
            } else {
                #expect(explicit.timestamp == given && explicit.timestampType == .createTime)
                #expect(stamped.timestamp?.millisecondsSinceEpoch == stampedMilliseconds)
            }
            #expect(messages.allSatisfy { $0.timestampType == .createTime })
        }
    }

    @Test("the round-robin assignor deals two members two of four partitions each; together they read everything")
    func roundRobin() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("roundrobin")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            let producer = try ConsumerGroupTests.NumberedProducer(cluster)
            try await producer.produce(topic: topic, partitions: 4, range: 0..<25)
            await producer.close()
            var config = await groupConfig(cluster, group: uniqueName("roundrobin-group"), topics: [topic])
            config.assignmentStrategies = [.roundRobin]
            let members = try (0..<2).map { _ in try KafkaConsumer(configuration: config, logger: testLogger) }
            final class Seen: Sendable {
                let read = Mutex<[Int: [String]]>([:])
                let assigned = Mutex<[Int: Set<Int32>]>([:])
            }
            let seen = Seen()
            var tasks: [Task<Void, any Error>] = []
            for (index, member) in members.enumerated() {
                tasks.append(
                    Task {
                        for await event in member.events {
                            if case .assigned(let partitions) = event {
                                seen.assigned.withLock { $0[index] = Set(partitions.map(\.partition.rawValue)) }
                            }
                            if case .revoked = event { seen.assigned.withLock { $0[index] = [] } }
                        }
                    }
                )
                tasks.append(
                    Task {
                        for try await message in member.messages {
                            seen.read.withLock { $0[index, default: []].append(message.valueString ?? "") }
                        }
                    }
                )
            }
            try await waitUntil("both members hold two partitions and everything was read", timeout: .seconds(60)) {
                let sets = seen.assigned.withLock { $0 }
                let all = seen.read.withLock { $0.values.flatMap { $0 } }
                return sets.count == 2 && sets.values.allSatisfy { $0.count == 2 } && Set(all).count == 100
            }
            let sets = seen.assigned.withLock { $0 }
            #expect(sets[0].map { s in sets[1].map { s.isDisjoint(with: $0) } } == true)
            for member in members { await member.close() }
            for task in tasks { try await task.value }
        }
    }

    @Test(
        "a member cut off from its coordinator past the session timeout loses its partitions: onLost runs, .lost is reported",
        .tags(.mockOnly)
    )
    func lostPartitions() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        defer { Task { await cluster.shutdown() } }
        let topic = uniqueName("lost")
        try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
        let lostInHook = Mutex<[KafkaTopicPartition]>([])
        let revokedInHook = Mutex<[KafkaTopicPartition]>([])
        let handler = KafkaRebalanceHandler(
            onRevoked: { context in revokedInHook.withLock { $0 += context.partitions } },
            onLost: { context in lostInHook.withLock { $0 += context.partitions } }
        )
        let config = await groupConfig(cluster, group: uniqueName("lost-group"), topics: [topic])
        let consumer = try KafkaConsumer(configuration: config, rebalanceHandler: handler, logger: quietLogger)
        let events = Task {
            var lost: [KafkaTopicPartition] = []
            for await event in consumer.events {
                if case .lost(let partitions) = event { lost += partitions }
            }
            return lost
        }
        let reading = Task { for try await _ in consumer.messages {} }
        try await waitUntil("assigned", timeout: .seconds(30)) {
            ((try? await consumer.assignment()) ?? []).count == 2
        }
        try await cluster.setBrokerDown(1)
        let all = (0..<2).map { KafkaTopicPartition(topic: topic, partition: KafkaPartition($0)) }
        // The session timeout is 6 s (groupConfig): librdkafka gives the assignment up as lost after it.
        try await waitUntil("the partitions were lost", timeout: .seconds(60)) {
            Set(lostInHook.withLock { $0 }) == Set(all)
        }
        try await cluster.setBrokerUp(1)
        await consumer.close()
        reading.cancel()
        _ = await reading.result
        #expect(Set(await events.value) == Set(all))
        #expect(revokedInHook.withLock { Set($0).isDisjoint(with: all) }, "lost, not revoked in order")
    }

    @Test("commitAsync commits in the background: the group's committed offset follows the message")
    func commitAsync() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await filledTopic(cluster, prefix: "commit-async", count: 10)
            var config = await groupConfig(cluster, group: uniqueName("commit-async-group"), topics: [topic])
            config.enableAutoCommit = false
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let partition = KafkaTopicPartition(topic: topic, partition: 0)
            let read = Mutex<[KafkaConsumerMessage]>([])
            let reading = Task {
                for try await message in consumer.messages { read.withLock { $0.append(message) } }
            }
            try await waitUntil("seven messages read", timeout: .seconds(30)) { read.withLock { $0.count } >= 7 }
            let seventh = read.withLock { $0[6] }
            consumer.commitAsync(seventh)  // returns at once
            try await waitUntil("the message's commit landed", timeout: .seconds(30)) {
                let committed = (try? await consumer.committed([partition]))?[partition]
                return committed.map { $0.rawValue >= 7 } ?? false
            }
            // Once the loop asks for more after the tenth, everything it finished with is stored: commitAsync()
            // commits it.
            try await waitUntil("all ten read", timeout: .seconds(30)) { read.withLock { $0.count } == 10 }
            try await waitUntil("the stored offsets' commit landed", timeout: .seconds(30)) {
                consumer.commitAsync()
                return (try? await consumer.committed([partition]))?[partition] == KafkaOffset(rawValue: 10)
            }
            #expect(read.withLock { $0.map(\.valueString) } == (0..<10).map { "\($0)" })
            await consumer.close()
            try await reading.value
        }
    }
}
