import Kafka
import KafkaTesting
import Testing

@Suite("Producer failures", .timeLimit(.minutes(2)))
struct ProducerFailureTests {
    @Test("a send to an unreachable broker throws a timeout, it does not hang")
    func unreachableBroker() async throws {
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        config.messageTimeout = .milliseconds(500)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: "nowhere", value: "lost?"))
        }
        let elapsed = clock.now - start
        #expect(error?.code == .messageTimedOut)
        #expect(error?.isRetriable == true)
        #expect(error?.topic == "nowhere")
        // The bound is generous (40x the message timeout): this asserts "no hang", not a speed.
        #expect(elapsed < .seconds(20))
        await producer.close()
    }

    @Test("a full local queue makes sends wait; with enqueueTimeout they fail with queueFull after it")
    func queueFullTimeout() async throws {
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        config.queueMaxMessages = 10
        config.enqueueTimeout = .milliseconds(300)
        config.messageTimeout = .seconds(60)
        config.closeTimeout = .milliseconds(100)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        for i in 0..<10 {
            _ = try await producer.enqueue(KafkaProducerMessage(topic: "nowhere", value: "\(i)"))
        }
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.enqueue(KafkaProducerMessage(topic: "nowhere", value: "one too many"))
        }
        let waited = clock.now - start
        #expect(error?.code == .queueFull)
        #expect(error?.topic == "nowhere")
        #expect(waited >= .milliseconds(300), "it waited for room first")
        #expect(waited < .seconds(20), "and did not hang")
        await producer.close()
    }

    @Test("sends after close fail with shutdown; close is idempotent")
    func sendAfterClose() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("closed")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            let delivery = try await producer.send(KafkaProducerMessage(topic: topic, value: "before"))
            #expect(delivery.offset == 0)
            try await producer.flush(timeout: .seconds(10))
            await producer.close()
            await producer.close()
            let error = await #expect(throws: KafkaError.self) {
                _ = try await producer.send(KafkaProducerMessage(topic: topic, value: "after"))
            }
            #expect(error?.code == .shutdown)
        }
    }

    @Test("close delivers what was sent without waiting for each send")
    func closeFlushes() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("close-flush")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.linger = .milliseconds(200)
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let results = await withTaskGroup(of: Result<KafkaDelivery, any Error>.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        do {
                            return .success(try await producer.send(KafkaProducerMessage(topic: topic, value: "m\(i)")))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                // Close while sends are in flight: every one of them must still get its report.
                try? await Task.sleep(for: .milliseconds(50))
                await producer.close()
                var all: [Result<KafkaDelivery, any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            #expect(results.count == 200)
            let delivered = results.filter { if case .success = $0 { return true } else { return false } }
            let shutdown = results.filter {
                if case .failure(let error as KafkaError) = $0 { return error.code == .shutdown } else { return false }
            }
            // Sends that reached librdkafka before close were delivered; any that came after were refused.
            #expect(delivered.count + shutdown.count == 200)
            #expect(delivered.count > 0)
        }
    }
}
