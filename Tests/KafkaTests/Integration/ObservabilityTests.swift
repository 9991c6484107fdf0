import Foundation
import Kafka
import KafkaTesting
import Metrics
import MetricsTestKit
import Synchronization
import Testing

/// Statistics and swift-metrics through a broker: what a client reports matches what it did.
@Suite("Statistics and metrics through a broker", .timeLimit(.minutes(3)))
struct ObservabilityTests {
    /// The first snapshot of `statistics` that satisfies `condition`, or nil when none came within `timeout`.
    func firstSnapshot(
        of statistics: KafkaStatisticsSequence,
        within timeout: Duration = .seconds(30),
        where condition: @escaping @Sendable (KafkaStatistics) -> Bool
    ) async -> KafkaStatistics? {
        await withTaskGroup(of: KafkaStatistics?.self) { group in
            group.addTask {
                for await snapshot in statistics {
                    if condition(snapshot) { return snapshot }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test("a producer's statistics count what it sent, per client, broker and partition")
    func producerStatistics() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("stats-produce")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.clientID = "stats-producer"
            config.statisticsInterval = .milliseconds(100)
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            for i in 0..<50 {
                _ = try await producer.send(
                    KafkaProducerMessage(
                        topic: topic,
                        partition: KafkaPartition(rawValue: Int32(i % 2)),
                        value: "m\(i)"
                    )
                )
            }
            // A partition counts a message when the broker acknowledges it, the client's queue when its report was
            // served: a snapshot taken in between shows all 50 sent and one still queued, so wait for both.
            let snapshot = await firstSnapshot(of: producer.statistics) { s in
                (s.partition(0, of: topic)?.messagesSent ?? 0) + (s.partition(1, of: topic)?.messagesSent ?? 0) >= 50
                    && s.queuedMessages == 0
            }
            let s = try #require(snapshot, "no snapshot counted the 50 messages with none queued within 30 s")
            #expect(s.type == "producer")
            #expect(s.clientID == "stats-producer")
            #expect(s.messagesSent >= 50)
            #expect(s.partition(0, of: topic)?.messagesSent == 25)
            #expect(s.partition(1, of: topic)?.messagesSent == 25)
            #expect(s.queuedMessages == 0)
            #expect(s.brokers.contains { $0.nodeID >= 0 && $0.state == "UP" && $0.roundTrip.count >= 0 })
            await producer.close()
            // The sequence ends with the client.
            var after = 0
            for await _ in producer.statistics { after += 1 }
            #expect(after <= KafkaStatisticsSequence.bufferedSnapshots)
        }
    }

    @Test("a group consumer's statistics show its group, its assignment and a lag that reaches zero once committed")
    func consumerStatistics() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await filledTopic(cluster, prefix: "stats-consume", count: 100)
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .group(id: uniqueName("stats-group"), topics: [topic])
            )
            config.autoOffsetReset = .earliest
            config.statisticsInterval = .milliseconds(100)
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var values: [String] = []
            var snapshot: KafkaStatistics?
            for try await message in consumer.messages {
                values.append(message.valueString ?? "")
                guard values.count == 100 else { continue }
                // librdkafka's lag counts from the committed offset: commit through the last message.
                try await consumer.commit(message)
                // Inside the loop: leaving it closes the consumer, which ends its statistics.
                snapshot = await firstSnapshot(of: consumer.statistics) { s in
                    s.partition(0, of: topic)?.consumerLag == 0 && s.consumerGroup?.assignmentSize == 1
                }
                break
            }
            #expect(values == (0..<100).map(String.init))
            let s = try #require(snapshot, "no snapshot showed the partition read to its end within 30 s")
            #expect(s.type == "consumer")
            #expect(s.messagesReceived >= 100)
            #expect(s.consumerGroup?.state == "up")
            #expect(s.consumerGroup.map { $0.rebalanceCount >= 1 } == true)
            let partition = try #require(s.partition(0, of: topic))
            #expect(partition.isDesired)
            #expect(partition.highWatermark == KafkaOffset(100))
            #expect(partition.applicationOffset == KafkaOffset(100))
            await consumer.close()
        }
    }

    @Test("producer metrics: deliveries counted exactly, statistics as counters and gauges")
    func producerMetrics() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("metrics-produce")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let metrics = TestMetrics()
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.clientID = "metrics-producer"
            config.metrics = KafkaConfiguration.Metrics(dimensions: [("service", "tests")], factory: metrics)
            config.statisticsInterval = .milliseconds(100)
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            for i in 0..<30 { _ = try await producer.send(KafkaProducerMessage(topic: topic, value: "m\(i)")) }
            for i in 0..<20 { _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, value: "e\(i)")) }
            try await producer.flush(timeout: .seconds(30))
            let dimensions = [("client_id", "metrics-producer"), ("client_type", "producer"), ("service", "tests")]
            try await waitUntil("the deliveries and the statistics are counted") {
                metrics.counterTotal(label: "kafka_producer_messages_delivered_total", dimensions: dimensions) == 50
                    && metrics.counterTotal(label: "kafka_messages_sent_total", dimensions: dimensions) >= 50
            }
            #expect(metrics.counterTotal(label: "kafka_producer_messages_failed_total") == 0)
            let queue = try metrics.expectGauge("kafka_queue_messages", dimensions)
            #expect(queue.lastValue != nil)
            let connected = metrics.recorders(label: "kafka_broker_connected")
            #expect(connected.contains { $0.lastValue == 1 })
            await producer.close()
            // After the close, the totals stay as they were: nothing was counted twice.
            #expect(
                metrics.counterTotal(label: "kafka_producer_messages_delivered_total", dimensions: dimensions) == 50
            )
        }
    }

    @Test("producer metrics count failed deliveries")
    func failedDeliveries() async throws {
        let metrics = TestMetrics()
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])  // nothing listens there
        config.metrics = KafkaConfiguration.Metrics(factory: metrics)
        config.messageTimeout = .milliseconds(300)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        for i in 0..<5 { _ = try await producer.enqueue(KafkaProducerMessage(topic: "nowhere", value: "x\(i)")) }
        try await waitUntil("5 failures counted") {
            metrics.counterTotal(label: "kafka_producer_messages_failed_total") == 5
        }
        #expect(metrics.counterTotal(label: "kafka_producer_messages_delivered_total") == 0)
        await producer.close()
    }

    @Test("consumer metrics: commits with their duration, rebalances, lag per partition")
    func consumerMetrics() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await filledTopic(cluster, prefix: "metrics-consume", count: 40)
            let metrics = TestMetrics()
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .group(id: uniqueName("metrics-group"), topics: [topic])
            )
            config.clientID = "metrics-consumer"
            config.autoOffsetReset = .earliest
            config.enableAutoCommit = false
            config.metrics = KafkaConfiguration.Metrics(factory: metrics)
            config.statisticsInterval = .milliseconds(100)
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let base = [("client_id", "metrics-consumer"), ("client_type", "consumer")]
            let lagDimensions = base + [("topic", topic), ("partition", "0")]
            var count = 0
            for try await message in consumer.messages {
                count += 1
                guard count == 40 else { continue }
                try await consumer.commit(message)
                // Inside the loop: leaving it closes the consumer.
                try await waitUntil("the lag gauge reads 0 and 40 messages are counted") {
                    let lag = try? metrics.expectGauge("kafka_consumer_lag", lagDimensions)
                    return lag?.lastValue == 0
                        && metrics.counterTotal(label: "kafka_messages_received_total", dimensions: base) >= 40
                }
                break
            }
            #expect(count == 40)
            #expect(
                metrics.counterTotal(label: "kafka_consumer_commits_total", dimensions: base + [("result", "success")])
                    == 1
            )
            let timer = try metrics.expectTimer("kafka_consumer_commit_duration_seconds", base)
            #expect(timer.values.count == 1)
            #expect(
                metrics.counterTotal(
                    label: "kafka_consumer_rebalances_total",
                    dimensions: base + [("kind", "assigned")]
                ) >= 1
            )
            await consumer.close()
        }
    }
}
