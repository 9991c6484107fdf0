import Kafka
import KafkaTesting
import Logging
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The ways a client's life ends: a `ServiceGroup`'s graceful shutdown, task cancellation, a consumer stopped
/// without committing, and a static member (`group.instance.id`) restarting. Each test checks what was delivered or
/// committed afterwards: nothing lost, and duplicates only where at-least-once allows them.
@Suite("Shutdown and restart", .timeLimit(.minutes(3)))
struct ShutdownTests {
    /// A one-partition topic holding `count` messages whose values are their offsets ("0", "1", ...).
    func numberedTopic(_ cluster: any KafkaTestCluster, count: Int, partitions: Int = 1) async throws -> String {
        let topic = uniqueName("shutdown")
        try await cluster.createTopic(topic, partitions: partitions, replicationFactor: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
            logger: testLogger
        )
        for partition in 0..<partitions {
            for i in 0..<count {
                _ = try await producer.enqueue(
                    KafkaProducerMessage(
                        topic: topic,
                        partition: KafkaPartition(rawValue: Int32(partition)),
                        value: "\(i)"
                    )
                )
            }
        }
        try await producer.flush(timeout: .seconds(30))
        await producer.close()
        return topic
    }

    /// Reads the group's partition 0 from its committed offset to the end; returns the offsets read.
    func readRest(_ cluster: any KafkaTestCluster, group: String, topic: String) async throws -> [Int64] {
        var config = await groupConfig(cluster, group: group, topics: [topic])
        config.stopAtEndOfPartitions = true
        let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
        var offsets: [Int64] = []
        for try await message in consumer.messages {
            #expect(message.valueString == "\(message.offset.rawValue)")
            offsets.append(message.offset.rawValue)
        }
        await consumer.close()
        return offsets
    }

    @Test("a ServiceGroup's graceful shutdown flushes the producer: every enqueued message is in the topic")
    func producerGracefulShutdown() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("shutdown-producer")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.linger = .milliseconds(200)  // messages still queued when the shutdown comes
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let enqueued = Mutex(0)
            let sender = ClosureService {
                for i in 0..<2_000 {
                    _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "\(i)"))
                    enqueued.withLock { $0 += 1 }
                }
                try await gracefulShutdown()
            }
            let group = ServiceGroup(
                configuration: .init(
                    // Services stop in reverse order: the sender first, then the producer.
                    services: [.init(service: producer), .init(service: sender)],
                    logger: testLogger
                )
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                while enqueued.withLock({ $0 }) < 2_000 { try await Task.sleep(for: .milliseconds(10)) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await #expect(throws: KafkaError.self, "closed by the shutdown") {
                _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, value: "late"))
            }

            var readConfig = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .topics([topic], startingAt: .beginning)
            )
            readConfig.stopAtEndOfPartitions = true
            let reader = try KafkaConsumer(configuration: readConfig, logger: testLogger)
            var values: [String] = []
            for try await message in reader.messages { values.append(message.valueString ?? "") }
            await reader.close()
            #expect(values == (0..<2_000).map(String.init), "all 2,000, in order, once")
        }
    }

    @Test("a ServiceGroup's graceful shutdown closes the consumer: the loop ends, and what it read is committed")
    func consumerGracefulShutdown() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, count: 200)
            let groupID = uniqueName("group")
            let consumer = try KafkaConsumer(
                configuration: await groupConfig(cluster, group: groupID, topics: [topic]),
                logger: testLogger
            )
            let read = Mutex<[Int64]>([])
            let loopError = Mutex<String?>(nil)
            let loop = ClosureService {
                do {
                    for try await message in consumer.messages {
                        read.withLock { $0.append(message.offset.rawValue) }
                        try await Task.sleep(for: .milliseconds(5))  // the shutdown comes mid-stream
                    }
                } catch {
                    loopError.withLock { $0 = "\(type(of: error)): \(error)" }
                }
                // The sequence ended with the consumer's close; a service that returns before its own turn in the
                // group's (reverse-order) shutdown counts as finished unexpectedly, so wait for that turn.
                try? await gracefulShutdown()
            }
            let group = ServiceGroup(
                // Services stop in reverse order: the consumer first (its close ends the loop's sequence).
                configuration: .init(services: [.init(service: loop), .init(service: consumer)], logger: testLogger)
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                while read.withLock({ $0.count }) < 50 { try await Task.sleep(for: .milliseconds(5)) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()  // the loop ended by itself: the messages sequence finished
            }
            let first = read.withLock { $0 }
            #expect(loopError.withLock { $0 } == nil)
            #expect(first == Array(0..<Int64(first.count)), "in order from the start")
            #expect(first.count < 200, "the shutdown came mid-stream")
            // The close commits every message the loop finished with: all it got but the one in its hands when the
            // shutdown came (it sleeps there), which the next member reads again (at-least-once). Nothing else
            // repeats, nothing is skipped.
            let rest = try await readRest(cluster, group: groupID, topic: topic)
            let resumeAt = try #require(rest.first)
            #expect(resumeAt == Int64(first.count) || resumeAt == Int64(first.count - 1), "resumed at \(resumeAt)")
            #expect(rest == Array(resumeAt..<200))
        }
    }

    @Test("cancelling the task that iterates the messages closes the consumer and commits what it processed")
    func consumerCancellation() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, count: 200)
            let groupID = uniqueName("group")
            let consumer = try KafkaConsumer(
                configuration: await groupConfig(cluster, group: groupID, topics: [topic]),
                logger: testLogger
            )
            let read = Mutex<[Int64]>([])
            let loop = Task {
                for try await message in consumer.messages {
                    read.withLock { $0.append(message.offset.rawValue) }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            while read.withLock({ $0.count }) < 50 { try await Task.sleep(for: .milliseconds(5)) }
            loop.cancel()
            _ = await loop.result  // a CancellationError from the sleep, or the loop's end
            await consumer.close()  // waits for the close the cancelled loop started
            let first = read.withLock { $0 }
            #expect(first == Array(0..<Int64(first.count)))
            // The message the loop was handling when cancelled may come again (at-least-once); nothing before it.
            let rest = try await readRest(cluster, group: groupID, topic: topic)
            let resumeAt = try #require(rest.first)
            #expect(resumeAt == Int64(first.count) || resumeAt == Int64(first.count - 1))
            #expect(rest == Array(resumeAt..<200))
        }
    }

    @Test("a consumer stopped without committing (manual commits) is re-read from its last commit by the next member")
    func stoppedWithoutCommit() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, count: 100)
            let groupID = uniqueName("group")
            var config = await groupConfig(cluster, group: groupID, topics: [topic])
            config.enableAutoCommit = false
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var read = 0
            for try await message in consumer.messages {
                read += 1
                if message.offset == 49 { try await consumer.commit(message) }  // the last commit: up to 49
                if read == 80 { break }
            }
            await consumer.close()  // no commit: offsets 50..<80 were read, never committed
            #expect(read == 80)
            let rest = try await readRest(cluster, group: groupID, topic: topic)
            #expect(rest == Array(50..<100), "30 messages read again, none skipped")
        }
    }

    @Test(
        "a static member (group.instance.id) that restarts gets its partition back; the other member keeps its own",
        .enabled(
            if: getenv("KAFKA_BOOTSTRAP_SERVERS") != nil,
            "needs a real broker: the classic coordinator of librdkafka's mock has no static membership"
        )
    )
    func staticMembershipRestart() async throws {
        try await staticMembershipRestart(protocol: .classic)
    }

    @Test(
        "KIP-848: a static member (group.instance.id) that restarts gets its partition back; the other member keeps its own",
        .needsConsumerGroupProtocol
    )
    func staticMembershipRestartConsumerProtocol() async throws {
        try await staticMembershipRestart(protocol: .consumer)
    }

    func staticMembershipRestart(protocol groupProtocol: KafkaConsumerConfiguration.GroupProtocol) async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, count: 20, partitions: 2)
            let groupID = uniqueName("group")
            func member(_ id: String) async throws -> KafkaConsumer {
                var config = await groupConfig(cluster, group: groupID, topics: [topic], protocol: groupProtocol)
                config.groupInstanceID = "\(groupID)-\(id)"
                return try KafkaConsumer(configuration: config, logger: testLogger)
            }
            let a = try await member("a")
            let b = try await member("b")
            let bEvents = Mutex<[String]>([])
            let watchB = Task {
                for await event in b.events {
                    switch event {
                    case .assigned(let partitions): bEvents.withLock { $0.append("assigned \(partitions.count)") }
                    case .revoked(let partitions): bEvents.withLock { $0.append("revoked \(partitions.count)") }
                    case .lost(let partitions): bEvents.withLock { $0.append("lost \(partitions.count)") }
                    default: break
                    }
                }
            }
            let readingA = Task { for try await _ in a.messages {} }
            let readingB = Task { for try await _ in b.messages {} }
            var aPartitions: [KafkaTopicPartition] = []
            let deadline = ContinuousClock.now.advanced(by: .seconds(45))
            while ContinuousClock.now < deadline {
                aPartitions = try await a.assignment()
                if aPartitions.count == 1, try await b.assignment().count == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(aPartitions.count == 1, "one partition each")
            let bBefore = bEvents.withLock { $0 }

            // A restarts under the same instance id: a static member does not leave the group on close, and its
            // successor takes its place without a rebalance.
            await a.close()
            _ = await readingA.result
            let restarted = try await member("a")
            let readingRestarted = Task { for try await _ in restarted.messages {} }
            var restartedPartitions: [KafkaTopicPartition] = []
            while ContinuousClock.now < deadline {
                restartedPartitions = try await restarted.assignment()
                if !restartedPartitions.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(restartedPartitions == aPartitions, "the same partition as before the restart")
            try await Task.sleep(for: .seconds(1))
            #expect(bEvents.withLock { $0 } == bBefore, "B saw no rebalance: \(bEvents.withLock { $0 })")
            #expect(try await b.assignment().count == 1)

            await restarted.close()
            await b.close()
            _ = await readingRestarted.result
            _ = await readingB.result
            watchB.cancel()
        }
    }
}

/// A `Service` running a closure (the test's worker).
private struct ClosureService: Service {
    let body: @Sendable () async throws -> Void

    init(_ body: @escaping @Sendable () async throws -> Void) {
        self.body = body
    }

    func run() async throws {
        try await body()
    }
}
