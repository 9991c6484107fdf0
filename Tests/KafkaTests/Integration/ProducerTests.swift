import Kafka
import KafkaTesting
import Testing

@Suite("Fire-and-forget sends and delivery reports", .timeLimit(.minutes(2)))
struct ProducerTests {
    @Test("every enqueued message is reported once, with the id enqueue returned")
    func everyMessageReported() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("ff")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.deliveryReports = .all
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let reader = Task {
                var reports: [KafkaDeliveryReport] = []
                for await report in producer.deliveryReports { reports.append(report) }
                return reports
            }
            var ids: [KafkaProducerMessageID] = []
            for i in 0..<10_000 {
                ids.append(
                    try await producer.enqueue(KafkaProducerMessage(topic: topic, key: "k\(i % 97)", value: "v\(i)"))
                )
            }
            try await producer.flush(timeout: .seconds(30))
            await producer.close()
            let reports = await reader.value
            #expect(reports.count == ids.count)
            #expect(Set(reports.map(\.id)) == Set(ids))
            var positions = Set<KafkaDelivery>()
            for report in reports {
                let delivery = try report.result.get()
                #expect(delivery.topic == topic)
                #expect(positions.insert(delivery).inserted, "two messages at \(delivery)")
            }
        }
    }

    @Test("a batch keeps its order in the partition")
    func batchOrder() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("batch")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.deliveryReports = .all
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let reader = Task {
                var offsets: [KafkaProducerMessageID: KafkaOffset] = [:]
                for await report in producer.deliveryReports { offsets[report.id] = try? report.result.get().offset }
                return offsets
            }
            let messages = (0..<1_000).map { KafkaProducerMessage(topic: topic, value: "m\($0)") }
            let ids = try await producer.enqueue(contentsOf: messages)
            await producer.close()
            let offsets = await reader.value
            #expect(ids.count == 1_000)
            #expect(ids.compactMap { offsets[$0]?.rawValue } == Array(0..<1_000).map(Int64.init))
        }
    }

    @Test("flush and close send what lingers at once: with linger.ms at 20 s, both end long before it")
    func flushAndCloseDoNotLinger() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("linger")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.linger = .seconds(20)
            config.deliveryReports = .all
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let reader = Task {
                var delivered: [KafkaProducerMessageID] = []
                for await report in producer.deliveryReports where (try? report.result.get()) != nil {
                    delivered.append(report.id)
                }
                return delivered
            }
            let clock = ContinuousClock()
            var ids: [KafkaProducerMessageID] = []
            let flushTook = try await clock.measure {
                for i in 0..<10 {
                    ids.append(try await producer.enqueue(KafkaProducerMessage(topic: topic, value: "f\(i)")))
                }
                try await producer.flush(timeout: .seconds(15))
            }
            let closeTook = try await clock.measure {
                for i in 0..<10 {
                    ids.append(try await producer.enqueue(KafkaProducerMessage(topic: topic, value: "c\(i)")))
                }
                await producer.close(timeout: .seconds(15))
            }
            #expect(flushTook < .seconds(10), "flush waited for linger.ms: \(flushTook)")
            #expect(closeTook < .seconds(10), "close waited for linger.ms: \(closeTook)")
            #expect(await reader.value == ids, "every message delivered, in order")
        }
    }

    @Test("messages interleaved over three topics each land in their own topic, in order (one topic handle each)")
    func interleavedTopics() async throws {
        try await withKafkaTestCluster { cluster in
            let topics = (0..<3).map { uniqueName("interleaved-\($0)") }
            for topic in topics { try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1) }
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.deliveryReports = .all
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let reader = Task {
                var reports: [KafkaProducerMessageID: KafkaDelivery] = [:]
                for await report in producer.deliveryReports { reports[report.id] = try? report.result.get() }
                return reports
            }
            var sent: [(KafkaProducerMessageID, topic: String, value: String)] = []
            for i in 0..<300 {
                // A new String each time: the handle is found by name, not by the string's storage.
                let topic = String(topics[i % 3].utf8.map { Character(UnicodeScalar($0)) })
                let id = try await producer.enqueue(KafkaProducerMessage(topic: topic, value: "v\(i)"))
                sent.append((id, topic, "v\(i)"))
            }
            await producer.close()
            let reports = await reader.value
            for (index, topic) in topics.enumerated() {
                let mine = sent.filter { $0.topic == topic }
                #expect(mine.count == 100)
                #expect(mine.allSatisfy { reports[$0.0]?.topic == topic }, "every report names its topic")
                #expect(mine.compactMap { reports[$0.0]?.offset.rawValue } == (0..<100).map(Int64.init))
                #expect(mine.map(\.value) == (0..<100).map { "v\($0 * 3 + index)" })
            }
        }
    }

    @Test("with failuresOnly, only failures are reported, each with its reason")
    func failuresOnly() async throws {
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        config.deliveryReports = .failuresOnly
        config.messageTimeout = .milliseconds(300)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        let reader = Task {
            var failures: [KafkaError] = []
            for await report in producer.deliveryReports {
                if case .failure(let error) = report.result { failures.append(error) }
            }
            return failures
        }
        for i in 0..<5 { _ = try await producer.enqueue(KafkaProducerMessage(topic: "nowhere", value: "\(i)")) }
        await producer.close()
        let failures = await reader.value
        #expect(failures.count == 5)
        #expect(failures.allSatisfy { $0.code == .messageTimedOut && $0.topic == "nowhere" })
    }

    @Test("without delivery reports the sequence ends at once")
    func noReports() async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"]),
            logger: quietLogger
        )
        var count = 0
        for await _ in producer.deliveryReports { count += 1 }
        #expect(count == 0)
        await producer.close()
    }

    @Test("a reader that falls behind holds enqueue back instead of buffering without bound")
    func readerBackpressure() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("bp")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.deliveryReports = .all
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let total = 50_000
            let writer = Task {
                for i in 0..<total { _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, value: "\(i)")) }
            }
            var read = 0
            for await report in producer.deliveryReports {
                #expect((try? report.result.get()) != nil)
                read += 1
                if read % 5_000 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                if read == total { break }
            }
            try await writer.value
            await producer.close()
            #expect(read == total)
        }
    }
}
