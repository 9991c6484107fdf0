import Kafka
import KafkaTesting
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Produces `perPartition` messages to each of `partitions` partitions of a new topic; the message at offset n of
/// partition p has the value "p:n".
/// `batchMessageCount` caps the producer's batches (`batch.num.messages`), and so what one fetch returns.
private func numberedTopic(
    _ cluster: any KafkaTestCluster,
    prefix: String = "control",
    partitions: Int,
    perPartition: Int,
    batchMessageCount: Int? = nil
) async throws -> String {
    let topic = uniqueName(prefix)
    try await cluster.createTopic(topic, partitions: partitions, replicationFactor: 1)
    try await produceNumbered(
        cluster,
        topic: topic,
        partitions: partitions,
        range: 0..<perPartition,
        batchMessageCount: batchMessageCount
    )
    return topic
}

private func produceNumbered(
    _ cluster: any KafkaTestCluster,
    topic: String,
    partitions: Int,
    range: Range<Int>,
    batchMessageCount: Int? = nil
) async throws {
    var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
    config.deliveryReports = .failuresOnly
    if let batchMessageCount { config.batchMessageCount = batchMessageCount }
    let producer = try KafkaProducer(configuration: config, logger: testLogger)
    let failures = Task {
        var count = 0
        for await _ in producer.deliveryReports { count += 1 }
        return count
    }
    for n in range {
        for p in 0..<partitions {
            _ = try await producer.enqueue(
                KafkaProducerMessage(topic: topic, partition: KafkaPartition(p), value: "\(p):\(n)")
            )
        }
    }
    try await producer.flush(timeout: .seconds(60))
    await producer.close()
    #expect(await failures.value == 0)
}

private func fixedConfig(_ cluster: any KafkaTestCluster, topic: String, from offset: KafkaOffset = .beginning)
    -> KafkaConsumerConfiguration
{
    KafkaConsumerConfiguration(
        bootstrapServers: [cluster.bootstrapServers],
        consumptionStrategy: .topics([topic], startingAt: offset)
    )
}

/// A consumer of every partition of a new numbered topic that hits its prefetch limit on every fetch round, so that
/// librdkafka 2.0.2 leaves fetching idle after each round unless the consumer restarts it. The topic is produced in
/// batches of 100 messages, and fetched one batch per partition per round (a broker returns the first batch even
/// when it is larger than the limit), so this holds on a real broker too; the consumer stops at the partitions' ends.
private func prefetchBoundConsumer(
    _ cluster: any KafkaTestCluster,
    prefix: String,
    partitions: Int,
    perPartition: Int,
    prefetchMessages: Int
) async throws -> (topic: String, consumer: KafkaConsumer) {
    let topic = try await numberedTopic(
        cluster,
        prefix: prefix,
        partitions: partitions,
        perPartition: perPartition,
        batchMessageCount: 100
    )
    var config = fixedConfig(cluster, topic: topic)
    config.stopAtEndOfPartitions = true
    config.fetch.maxBytesPerPartition = 1_024
    config.fetch.prefetchMessages = prefetchMessages
    return (topic, try KafkaConsumer(configuration: config, logger: testLogger))
}

/// Checks that `messages` hold, per partition, exactly offsets 0..<perPartition in order with matching values.
private func expectComplete(_ messages: [KafkaConsumerMessage], partitions: Int, perPartition: Int) {
    var byPartition: [Int32: [Int64]] = [:]
    for message in messages {
        #expect(message.valueString == "\(message.partition.rawValue):\(message.offset.rawValue)")
        byPartition[message.partition.rawValue, default: []].append(message.offset.rawValue)
    }
    #expect(byPartition.count == partitions)
    for (partition, offsets) in byPartition {
        #expect(offsets == Array(0..<Int64(perPartition)), "partition \(partition)")
    }
}

@Suite("Consumer control", .timeLimit(.minutes(3)))
struct ConsumerControlTests {
    @Test("seek moves a partition: buffered messages after the old position are dropped, the next is the target")
    func seek() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 1, perPartition: 100)
            let consumer = try KafkaConsumer(configuration: fixedConfig(cluster, topic: topic), logger: testLogger)
            let partition = KafkaTopicPartition(topic: topic, partition: 0)
            var offsets: [Int64] = []
            for try await message in consumer.messages {
                offsets.append(message.offset.rawValue)
                if offsets.count == 10 {
                    // Messages 10... are most likely buffered by now: none of them may come out.
                    try await consumer.seek(partition, to: KafkaOffset(50))
                }
                if offsets.count == 60 { break }
            }
            #expect(offsets == Array(0..<10) + Array(50..<100))
            await consumer.close()
        }
    }

    @Test(
        "seek to a timestamp starts at the first message at or after it",
        .enabled(
            if: getenv("KAFKA_BOOTSTRAP_SERVERS") != nil,
            "needs a real broker: librdkafka's mock (2.0.2 and 2.16 alike) answers ListOffsets by timestamp with -1"
        )
    )
    func seekToTimestamp() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("control-time")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let base: Int64 = 1_700_000_000_000
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            for i in 0..<10 {
                let stamp = KafkaTimestamp(millisecondsSinceEpoch: base + Int64(i) * 1_000)
                _ = try await producer.send(
                    KafkaProducerMessage(topic: topic, partition: 0, value: "\(i)", timestamp: stamp)
                )
            }
            await producer.close()
            let consumer = try KafkaConsumer(configuration: fixedConfig(cluster, topic: topic), logger: testLogger)
            let partition = KafkaTopicPartition(topic: topic, partition: 0)
            var offsets: [Int64] = []
            for try await message in consumer.messages {
                offsets.append(message.offset.rawValue)
                if offsets.count == 1 {
                    try await consumer.seek(partition, to: KafkaTimestamp(millisecondsSinceEpoch: base + 4_500))
                }
                if message.offset.rawValue == 9 { break }
            }
            #expect(offsets == [0] + Array(5..<10))
            await consumer.close()
        }
    }

    @Test("a paused partition stops delivering until resumed; nothing is lost or repeated")
    func pauseResume() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 2, perPartition: 300)
            var config = fixedConfig(cluster, topic: topic)
            config.buffer = .init(batchSize: 10, lowWatermark: 1, highWatermark: 2)
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let p1 = KafkaTopicPartition(topic: topic, partition: 1)
            try await consumer.pause([p1])
            var received: [KafkaConsumerMessage] = []
            var p1WhenP0Done: Int?
            var iterator = consumer.messages.makeAsyncIterator()
            while let message = try await iterator.next() {
                received.append(message)
                let p0Count = received.count { $0.partition == 0 }
                if p0Count == 300 && p1WhenP0Done == nil {
                    p1WhenP0Done = received.count { $0.partition == 1 }
                    // While paused, partition 1 may only deliver what was fetched before the pause (at most the
                    // buffer); then resume it and read the rest.
                    try await consumer.resume([p1])
                }
                if received.count == 600 { break }
            }
            let beforeResume = try #require(p1WhenP0Done)
            #expect(beforeResume < 300, "partition 1 was read to its end while paused")
            expectComplete(received, partitions: 2, perPartition: 300)
            await consumer.close()
        }
    }

    @Test("commit(message), committed, position, watermarks and lag agree with what was read")
    func offsetsAndLag() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 1, perPartition: 100)
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .group(id: uniqueName("control-group"), topics: [topic])
            )
            config.autoOffsetReset = .earliest
            config.enableAutoCommit = false
            config.sessionTimeout = .seconds(6)
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let partition = KafkaTopicPartition(topic: topic, partition: 0)
            var count = 0
            for try await message in consumer.messages {
                count += 1
                guard count == 40 else { continue }
                try await consumer.commit(message)
                let committed = try await consumer.committed([partition])
                #expect(committed[partition] == KafkaOffset(40))
                let marks = try await consumer.watermarks(of: partition)
                #expect(marks == KafkaWatermarks(low: 0, high: 100))
                let position = try #require(try await consumer.position([partition])[partition])
                #expect(position.rawValue >= 40 && position.rawValue <= 100)
                let lag = try await consumer.lag()
                #expect(lag.keys.sorted { $0.partition < $1.partition } == [partition])
                if let behind = lag[partition] { #expect(behind >= 0 && behind <= 60) }
                #expect(try await consumer.assignment() == [partition])
                break
            }
            await consumer.close()
        }
    }

    @Test("batches(maxCount:maxWait:) hands out every message in order, in batches of at most maxCount")
    func batches() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 4, perPartition: 250)
            var config = fixedConfig(cluster, topic: topic)
            config.stopAtEndOfPartitions = true
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var received: [KafkaConsumerMessage] = []
            var sizes: [Int] = []
            for try await batch in consumer.batches(maxCount: 64, maxWait: .milliseconds(20)) {
                sizes.append(batch.count)
                received += batch
            }
            #expect(sizes.allSatisfy { (1...64).contains($0) })
            #expect(sizes.contains(64), "batches are filled up to maxCount when messages are ready")
            expectComplete(received, partitions: 4, perPartition: 250)
        }
    }

    @Test("events report the assignment and each partition's end")
    func partitionEndEvents() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 2, perPartition: 20)
            var config = fixedConfig(cluster, topic: topic)
            config.reportPartitionEnds = true
            config.stopAtEndOfPartitions = true
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var count = 0
            for try await _ in consumer.messages { count += 1 }
            #expect(count == 40)
            var assigned: [KafkaTopicPartition] = []
            var ends: [KafkaTopicPartition: KafkaOffset] = [:]
            for await event in consumer.events {  // finishes once the consumer is closed
                switch event {
                case .assigned(let partitions): assigned += partitions
                case .partitionEnd(let partition, let offset): ends[partition] = offset
                default: break
                }
            }
            let all = (0..<2).map { KafkaTopicPartition(topic: topic, partition: KafkaPartition($0)) }
            #expect(Set(assigned) == Set(all))
            #expect(ends == Dictionary(uniqueKeysWithValues: all.map { ($0, KafkaOffset(20)) }))
        }
    }

    @Test("a loop that holds a message longer than max.poll.interval is reported on events")
    func pollIntervalExceeded() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 1, perPartition: 5)
            var config = fixedConfig(cluster, topic: topic)
            config.sessionTimeout = .seconds(1)  // librdkafka wants max.poll.interval >= session.timeout
            config.maxPollInterval = .seconds(1)
            let consumer = try KafkaConsumer(configuration: config, logger: quietLogger)
            let reported = Task { () -> Duration? in
                for await event in consumer.events {
                    if case .pollIntervalExceeded(let held) = event { return held }
                }
                return nil
            }
            var iterator = consumer.messages.makeAsyncIterator()
            _ = try await iterator.next()
            try await Task.sleep(for: .milliseconds(2_500))  // holds the first message
            _ = try await iterator.next()
            await consumer.close()
            let held = try #require(await reported.value)
            #expect(held > .seconds(1))
        }
    }

    @Test("manual assignment of 16 partitions reads all of them")
    func sixteenPartitions() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = try await numberedTopic(cluster, partitions: 16, perPartition: 50)
            var partitions: [KafkaTopicPartition: KafkaOffset] = [:]
            for p in 0..<16 { partitions[KafkaTopicPartition(topic: topic, partition: KafkaPartition(p))] = .beginning }
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .partitions(partitions)
            )
            config.stopAtEndOfPartitions = true
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var received: [KafkaConsumerMessage] = []
            for try await message in consumer.messages { received.append(message) }
            expectComplete(received, partitions: 16, perPartition: 50)
        }
    }

    @Test("a regex subscription picks up a matching topic created later")
    func regexSubscription() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let prefix = uniqueName("regex")
            let first = "\(prefix)-a"
            try await cluster.createTopic(first, partitions: 1, replicationFactor: 1)
            try await produceNumbered(cluster, topic: first, partitions: 1, range: 0..<10)
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .group(id: uniqueName("regex-group"), topics: ["^\(prefix)-.*"])
            )
            config.autoOffsetReset = .earliest
            config.sessionTimeout = .seconds(6)
            config.librdkafkaOverrides["topic.metadata.refresh.interval.ms"] = "500"
            config.librdkafkaOverrides["heartbeat.interval.ms"] = "500"
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var byTopic: [String: [String]] = [:]
            var createdSecond = false
            for try await message in consumer.messages {
                byTopic[message.topic, default: []].append(message.valueString ?? "")
                if !createdSecond && byTopic[first]?.count == 10 {
                    createdSecond = true
                    let second = "\(prefix)-b"
                    try await cluster.createTopic(second, partitions: 1, replicationFactor: 1)
                    try await produceNumbered(cluster, topic: second, partitions: 1, range: 0..<10)
                }
                if byTopic.values.map(\.count).reduce(0, +) >= 20 { break }
            }
            let expected = (0..<10).map { "0:\($0)" }
            #expect(byTopic == ["\(prefix)-a": expected, "\(prefix)-b": expected])
            await consumer.close()
        }
    }

    @Test("a prefetch limit reached over and over: fetching restarts each time, every message comes once, in order")
    func prefetchLimitRestartsFetch() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let partitions = 4
            let perPartition = 5_000
            // 50 rounds of 4 x 100 messages, each overshooting the limit.
            let (_, consumer) = try await prefetchBoundConsumer(
                cluster,
                prefix: "prefetch",
                partitions: partitions,
                perPartition: perPartition,
                prefetchMessages: 300
            )
            var messages: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                messages.append(message)
            }
            expectComplete(messages, partitions: partitions, perPartition: perPartition)
            expectFetchRestarts(consumer)
        }
    }

    @Test("seeks while fetching keeps restarting: each seek holds, the restart never moves a partition back")
    func seekDuringFetchRestarts() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let partitions = 2
            let perPartition = 3_000
            // Every round (2 x 100 messages) overshoots the limit: restarts all along.
            let (topic, consumer) = try await prefetchBoundConsumer(
                cluster,
                prefix: "prefetch-seek",
                partitions: partitions,
                perPartition: perPartition,
                prefetchMessages: 150
            )
            let p0 = KafkaTopicPartition(topic: topic, partition: 0)
            var offsets: [Int32: [Int64]] = [:]
            var seeks = 0
            for try await message in consumer.messages {
                #expect(message.valueString == "\(message.partition.rawValue):\(message.offset.rawValue)")
                offsets[message.partition.rawValue, default: []].append(message.offset.rawValue)
                // Partition 0 jumps forward at 1,000 (to 2,000) and back at 2,500 (to 500), once each.
                if message.partition == 0 && message.offset.rawValue == 1_000 && seeks == 0 {
                    seeks = 1
                    try await consumer.seek(p0, to: KafkaOffset(2_000))
                } else if message.partition == 0 && message.offset.rawValue == 2_500 && seeks == 1 {
                    seeks = 2
                    try await consumer.seek(p0, to: KafkaOffset(500))
                }
            }
            let expected0 = Array(0...1_000) + Array(2_000...2_500) + Array(500..<Int64(perPartition))
            #expect(offsets[0] == expected0)
            #expect(offsets[1] == Array(0..<Int64(perPartition)))
            expectFetchRestarts(consumer)
        }
    }

    @Test("a slow loop over 200,000 messages keeps the consumer's buffered messages under its bound")
    func slowLoopIsBounded() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let partitions = 8
            let perPartition = 25_000
            let topic = try await numberedTopic(
                cluster,
                prefix: "lagging",
                partitions: partitions,
                perPartition: perPartition
            )
            var config = fixedConfig(cluster, topic: topic)
            config.stopAtEndOfPartitions = true
            // A low watermark above 1: the poll thread refills the buffer before it runs empty.
            config.buffer = .init(batchSize: 500, lowWatermark: 2, highWatermark: 4)
            // librdkafka's own prefetch: 10,000 messages per partition, and fetch responses of at most 64 KiB per
            // partition (beyond the first record batch, which a broker returns whatever its size).
            config.fetch.prefetchMessages = 10_000
            config.fetch.maxBytesPerPartition = 64 * 1024
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var maxHandedOver = 0
            var maxInLibrdkafka = 0
            var maxLive = 0
            var next = [Int64](repeating: 0, count: partitions)
            var count = 0
            for try await message in consumer.messages {
                let p = Int(message.partition.rawValue)
                #expect(message.offset.rawValue == next[p])
                next[p] = message.offset.rawValue + 1
                count += 1
                if count % 2_000 == 0 {
                    try await Task.sleep(for: .milliseconds(25))  // the slow part of the loop
                    // Sampled after the pause, when the poll thread had time to fill the buffer even on a loaded
                    // machine.
                    let buffered = consumer.bufferedMessageCounts
                    maxHandedOver = max(maxHandedOver, buffered.handedOver)
                    maxInLibrdkafka = max(maxInLibrdkafka, buffered.inLibrdkafka)
                    maxLive = max(maxLive, consumer.liveMessageCount)
                }
            }
            #expect(count == partitions * perPartition)
            // The loop's buffer: at most highWatermark batches, plus the one being handed over.
            #expect(maxHandedOver <= (4 + 1) * 500)
            // librdkafka's queue, derived from the configuration: per partition, its prefetch limit, plus one fetch
            // response (librdkafka fetches for a partition while its queue is below the limit). A response holds at
            // most max.partition.fetch.bytes of records, each at least 7 bytes (length, attributes, timestamp and
            // offset deltas, key and value lengths, header count, a 1-byte value), or else one whole record batch,
            // at most batch.num.messages (10,000, the producer's default). This holds on a real broker, which fills
            // responses up to the byte limit, as on the embedded one, which answers with one batch.
            let minimumRecordBytes = 7
            let producerBatchMessages = 10_000
            let perResponse = max(64 * 1024 / minimumRecordBytes, producerBatchMessages)
            #expect(maxInLibrdkafka <= partitions * (10_000 + perResponse))
            #expect(maxHandedOver > 0)
            // librdkafka messages not destroyed yet (each pins the fetch response it came in): those buffered, the
            // batch being handed over and the loop's own; none of the batches the loop finished with.
            #expect(maxLive <= (4 + 2) * 500)
        }
    }

    /// A consumer stopping at the end of a new topic of 2 x 1,000 numbered messages, whose buffer holds the whole
    /// topic in any batch sizes: the poll thread reaches both ends while the loop is far behind.
    private func behindTheEndConsumer(
        _ cluster: any KafkaTestCluster,
        prefix: String,
        reportPartitionEnds: Bool = false
    ) async throws -> (topic: String, consumer: KafkaConsumer) {
        let topic = try await numberedTopic(cluster, prefix: prefix, partitions: 2, perPartition: 1_000)
        var config = fixedConfig(cluster, topic: topic)
        config.stopAtEndOfPartitions = true
        config.reportPartitionEnds = reportPartitionEnds
        // The watermarks count batches, and batches can be as small as one message (a loaded machine fetches in
        // small pieces): only a high watermark above the message count holds the whole topic whatever the batch
        // sizes. With 40, a test loop waiting for the end while 40 partial batches filled the buffer made the poll
        // thread stop before the end, and the wait timed out (a fresh-clone CI run under AddressSanitizer).
        config.buffer = .init(batchSize: 100, lowWatermark: 2, highWatermark: 2_001)
        return (topic, try KafkaConsumer(configuration: config, logger: testLogger))
    }

    /// Waits (up to 30 s) until the poll thread has handed the end over `count` times.
    private func waitForEnd(_ consumer: KafkaConsumer, count: Int = 1) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while consumer.endsHandedOver < count {
            try #require(ContinuousClock.now < deadline, "the poll thread never reached the end of every partition")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test(
        "a seek back made after the poll thread reached every end: the partition is read again to its end, then the sequence ends"
    )
    func seekBackAfterTheEnd() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let (topic, consumer) = try await behindTheEndConsumer(
                cluster,
                prefix: "end-seek",
                reportPartitionEnds: true
            )
            let p0 = KafkaTopicPartition(topic: topic, partition: 0)
            var offsets: [Int32: [Int64]] = [:]
            var seeked = false
            for try await message in consumer.messages {
                #expect(message.valueString == "\(message.partition.rawValue):\(message.offset.rawValue)")
                offsets[message.partition.rawValue, default: []].append(message.offset.rawValue)
                if message.partition == 0 && message.offset.rawValue == 100 && !seeked {
                    seeked = true
                    try await waitForEnd(consumer)
                    try await consumer.seek(p0, to: KafkaOffset(10))  // back, after librdkafka reported its end
                }
            }
            #expect(offsets[0] == Array(0...100) + Array(10..<1_000))
            #expect(offsets[1] == Array(0..<1_000))
            #expect(consumer.endsHandedOver == 2)
            // librdkafka reported p0's end once; the second one is the consumer's own.
            var ends: [KafkaTopicPartition: Int] = [:]
            for await event in consumer.events {
                if case .partitionEnd(let partition, _) = event { ends[partition, default: 0] += 1 }
            }
            #expect(ends[p0] == 2)
        }
    }

    @Test(
        "seeks to or past the end after every end was reached: the sequence still ends, without what the seeks skipped"
    )
    func seekToEndAfterTheEnd() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let (topic, consumer) = try await behindTheEndConsumer(cluster, prefix: "end-skip")
            let p0 = KafkaTopicPartition(topic: topic, partition: 0)
            let p1 = KafkaTopicPartition(topic: topic, partition: 1)
            var offsets: [Int32: [Int64]] = [:]
            var seeked = false
            for try await batch in consumer.batches(maxCount: 50, maxWait: .milliseconds(10)) {
                for message in batch {
                    offsets[message.partition.rawValue, default: []].append(message.offset.rawValue)
                }
                if !seeked {
                    seeked = true
                    try await waitForEnd(consumer)
                    // A generous timeout: librdkafka applies a seek when the partition's broker thread gets to it,
                    // which took over 10 s once under AddressSanitizer with the whole suite running.
                    try await consumer.seek(p0, to: .end, timeout: .seconds(60))
                    try await consumer.seek(p1, to: KafkaOffset(5_000), timeout: .seconds(60))
                }
            }
            // Nothing after the first batch: both partitions were moved to (or past) their ends.
            let first = offsets.mapValues(\.count).values.reduce(0, +)
            #expect(first <= 50)
            for (partition, read) in offsets { #expect(read == Array(0..<Int64(read.count)), "partition \(partition)") }
            // Once at first, then after each seek the poll thread saw on its own (one or two).
            #expect((2...3).contains(consumer.endsHandedOver))
        }
    }
}

/// Where librdkafka has no `fetch.queue.backoff.ms` (before 2.2), reaching the prefetch limit left fetching idle for
/// up to a second and the consumer restarted it; from 2.2 on the consumer sets a short backoff instead, and never
/// restarts fetching itself.
private func expectFetchRestarts(_ consumer: KafkaConsumer, sourceLocation: SourceLocation = #_sourceLocation) {
    if Librdkafka.hasFetchQueueBackoff {
        #expect(consumer.fetchRestartCount == 0, sourceLocation: sourceLocation)
    } else {
        #expect(consumer.fetchRestartCount > 0, sourceLocation: sourceLocation)
    }
}
