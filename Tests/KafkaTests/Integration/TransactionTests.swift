import Kafka
import KafkaTesting
import Testing

/// What a transaction test needs of the cluster, as `.enabled(if:)` traits with the reason.
enum TransactionTraits {
    static var needsMarkers: ConditionTrait {
        let reason = KafkaTestEnvironment.transactionMarkersUnavailableReason
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? ""))
    }

    static var needsFencing: ConditionTrait {
        let reason = KafkaTestEnvironment.fencingUnavailableReason
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? ""))
    }

    static var needsTransactionalOffsets: ConditionTrait {
        let reason = KafkaTestEnvironment.transactionalOffsetsUnavailableReason
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? ""))
    }

    static var needsReadCommitted: ConditionTrait {
        let reason = KafkaTestEnvironment.readCommittedUnavailableReason
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? ""))
    }
}

struct BodyFailed: Error {}

/// A transactional producer with a new transactional id (or `id`).
func transactionalProducer(_ cluster: any KafkaTestCluster, id: String? = nil) throws -> KafkaProducer {
    var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
    config.transactionalID = id ?? uniqueName("txn")
    config.transactionTimeout = .seconds(20)
    return try KafkaProducer(configuration: config, logger: testLogger)
}

/// Every message of partition 0 of `topic`, as (offset, value), read from the beginning to the end.
func readPartition(
    _ cluster: any KafkaTestCluster,
    _ topic: String,
    isolation: KafkaConsumerConfiguration.IsolationLevel
) async throws -> [(offset: Int64, value: String)] {
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [cluster.bootstrapServers],
        consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
    )
    config.isolationLevel = isolation
    config.stopAtEndOfPartitions = true
    let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
    var read: [(offset: Int64, value: String)] = []
    for try await message in consumer.messages { read.append((message.offset.rawValue, message.valueString ?? "")) }
    return read
}

@Suite("Transactions", .timeLimit(.minutes(3)))
struct TransactionTests {
    /// Three transactions on one partition: committed (3 messages), aborted by a throwing body (2), committed (3).
    /// Returns the topic.
    private func committedAbortedCommitted(_ cluster: any KafkaTestCluster) async throws -> String {
        let topic = uniqueName("txn")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        let producer = try transactionalProducer(cluster)
        let first = try await producer.withTransaction { transaction in
            var offsets: [Int64] = []
            for i in 0..<3 {
                let delivery = try await transaction.send(
                    KafkaProducerMessage(topic: topic, partition: 0, value: "c1-\(i)")
                )
                offsets.append(delivery.offset.rawValue)
            }
            return offsets
        }
        #expect(first == [0, 1, 2], "the body's result is returned once committed")
        await #expect(throws: BodyFailed.self) {
            try await producer.withTransaction { transaction in
                for i in 0..<2 {
                    try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "a-\(i)"))
                }
                throw BodyFailed()
            }
        }
        try await producer.withTransaction { transaction in
            let messages = (0..<3).map { KafkaProducerMessage(topic: topic, partition: 0, value: "c2-\($0)") }
            try await transaction.enqueue(contentsOf: messages)
        }
        await producer.close()
        return topic
    }

    @Test("a throwing body aborts, the next transaction commits: read_uncommitted sees all, in order")
    func commitAbortCommit() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = try await committedAbortedCommitted(cluster)
            let read = try await readPartition(cluster, topic, isolation: .readUncommitted)
            #expect(read.map(\.value) == ["c1-0", "c1-1", "c1-2", "a-0", "a-1", "c2-0", "c2-1", "c2-2"])
        }
    }

    @Test("each commit and abort writes its marker: one offset after each transaction", TransactionTraits.needsMarkers)
    func markersTakeOffsets() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = try await committedAbortedCommitted(cluster)
            let read = try await readPartition(cluster, topic, isolation: .readUncommitted)
            // COMMIT at 3, ABORT at 6, COMMIT at 10.
            #expect(read.map(\.offset) == [0, 1, 2, 4, 5, 7, 8, 9])
            let watermarks = try await partitionEnd(cluster, topic)
            #expect(watermarks == 11, "the last transaction's COMMIT marker takes offset 10")
        }
    }

    @Test("read_committed sees committed transactions only", TransactionTraits.needsReadCommitted)
    func readCommittedHidesAborted() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = try await committedAbortedCommitted(cluster)
            let read = try await readPartition(cluster, topic, isolation: .readCommitted)
            #expect(read.map(\.value) == ["c1-0", "c1-1", "c1-2", "c2-0", "c2-1", "c2-2"])
        }
    }

    @Test("a cancelled task aborts its transaction: nothing of it is committed, the producer goes on")
    func cancellationAborts() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("txn-cancel")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try transactionalProducer(cluster)
            try await producer.initializeTransactions()
            let sent = AsyncStream<Void>.makeStream()
            let task = Task {
                try await producer.withTransaction { transaction in
                    try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "cancelled"))
                    sent.continuation.yield()
                    // Cancellation ends the sleep with CancellationError: the body throws, the scope aborts.
                    try await Task.sleep(for: .seconds(60))
                }
            }
            for await _ in sent.stream { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // The producer is usable again: the aborted transaction is over.
            try await producer.withTransaction { transaction in
                try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "after"))
            }
            await producer.close()
            try await expectAbortedThenCommitted(cluster, topic, aborted: "cancelled", committed: "after")
        }
    }

    @Test("a body that returns in a cancelled task aborts and throws CancellationError")
    func cancelledBeforeCommit() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("txn-cancel2")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try transactionalProducer(cluster)
            let committed = try await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await producer.withTransaction { transaction in
                    try await transaction.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "x"))
                    return true
                }
            }.result
            #expect(throws: CancellationError.self) { try committed.get() }
            // The next transaction begins: nothing was left open.
            try await producer.withTransaction { transaction in
                try await transaction.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "y"))
            }
            await producer.close()
            let read = try await readPartition(cluster, topic, isolation: .readUncommitted)
            #expect(read.map(\.value).last == "y")
        }
    }

    @Test(
        "offsets sent in a committed transaction become the group's; an abort leaves them unchanged",
        TransactionTraits.needsTransactionalOffsets
    )
    func offsetsInTransactions() async throws {
        try await withKafkaTestCluster { cluster in
            let input = try await filledTopic(cluster, prefix: "txn-in", count: 10)
            let output = uniqueName("txn-out")
            try await cluster.createTopic(output, partitions: 1, replicationFactor: 1)
            let group = uniqueName("txn-group")
            var config = await groupConfig(cluster, group: group, topics: [input])
            config.enableAutoCommit = false
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let producer = try transactionalProducer(cluster)
            let partition = KafkaTopicPartition(topic: input, partition: 0)

            var batch: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                batch.append(message)
                if batch.count == 4 { break }
            }
            // Leaving the loop closed the consumer: the group's offsets are read by another member below.
            try await producer.withTransaction { transaction in
                for message in batch {
                    try await transaction.send(
                        KafkaProducerMessage(topic: output, partition: 0, value: "out-\(message.valueString ?? "")")
                    )
                }
                try await transaction.sendOffsets(
                    after: batch,
                    groupMetadata: KafkaConsumerGroupMetadata(groupID: group)
                )
            }
            #expect(try await committedOffset(cluster, group: group, partition) == KafkaOffset(rawValue: 4))

            await #expect(throws: BodyFailed.self) {
                try await producer.withTransaction { transaction in
                    try await transaction.sendOffsets(
                        [partition: KafkaOffset(rawValue: 8)],
                        groupMetadata: KafkaConsumerGroupMetadata(groupID: group)
                    )
                    throw BodyFailed()
                }
            }
            #expect(
                try await committedOffset(cluster, group: group, partition) == KafkaOffset(rawValue: 4),
                "the aborted transaction's offsets are not committed"
            )
            await producer.close()
        }
    }

    @Test(
        "a consumer's group metadata commits its offsets through the transaction",
        TransactionTraits.needsTransactionalOffsets
    )
    func consumerGroupMetadata() async throws {
        try await withKafkaTestCluster { cluster in
            let input = try await filledTopic(cluster, prefix: "txn-meta", count: 5)
            let group = uniqueName("txn-meta-group")
            var config = await groupConfig(cluster, group: group, topics: [input])
            config.enableAutoCommit = false
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let producer = try transactionalProducer(cluster)
            var seen = 0
            for try await message in consumer.messages {
                seen += 1
                guard seen == 5 else { continue }
                let metadata = try await consumer.groupMetadata()
                #expect(metadata.groupID == group)
                try await producer.withTransaction { transaction in
                    try await transaction.sendOffsets(after: [message], groupMetadata: metadata)
                }
                break
            }
            await producer.close()
            let partition = KafkaTopicPartition(topic: input, partition: 0)
            #expect(try await committedOffset(cluster, group: group, partition) == KafkaOffset(rawValue: 5))
        }
    }

    @Test(
        "a second producer with the same transactional id fences the first: fatal, and it refuses sends",
        TransactionTraits.needsFencing
    )
    func fencing() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("txn-fence")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let id = uniqueName("fenced-id")
            let first = try transactionalProducer(cluster, id: id)
            try await first.withTransaction { transaction in
                try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "first"))
            }
            let second = try transactionalProducer(cluster, id: id)
            try await second.initializeTransactions()

            var fatal: KafkaError?
            do {
                try await first.withTransaction { transaction in
                    try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "zombie"))
                }
            } catch let error as KafkaError {
                fatal = error
            }
            let error = try #require(fatal, "the fenced producer's transaction must fail")
            #expect(error.isFatal)
            #expect(error.transactionRemedy == .recreateProducer)
            // Refused from here on, with the fatal error.
            await #expect {
                try await first.send(KafkaProducerMessage(topic: topic, partition: 0, value: "refused"))
            } throws: { error in
                (error as? KafkaError)?.isFatal == true
            }
            await #expect {
                try await first.beginTransaction()
            } throws: { error in
                (error as? KafkaError)?.isFatal == true
            }
            try await second.withTransaction { transaction in
                try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "second"))
            }
            await first.close()
            await second.close()
            let values = try await readPartition(cluster, topic, isolation: .readUncommitted).map(\.value)
            #expect(values.first == "first")
            #expect(values.last == "second")
            #expect(!values.contains("refused"))
        }
    }

    @Test("offsets go through committed and aborted transactions; outside one they are refused")
    func offsetsAreTransactionSteps() async throws {
        try await withKafkaTestCluster { cluster in
            let input = try await filledTopic(cluster, prefix: "txn-steps-in", count: 6)
            let group = uniqueName("txn-steps-group")
            var config = await groupConfig(cluster, group: group, topics: [input])
            config.enableAutoCommit = false
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            let producer = try transactionalProducer(cluster)
            var batch: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                batch.append(message)
                guard batch.count == 3 else { continue }
                let metadata = try await consumer.groupMetadata()
                #expect(metadata.groupID == group)
                #expect(KafkaTransaction.offsets(after: batch) == [KafkaTopicPartition(topic: input, partition: 0): 3])
                try await producer.withTransaction { transaction in
                    try await transaction.sendOffsets(after: batch, groupMetadata: metadata)
                }
                await #expect(throws: BodyFailed.self) {
                    try await producer.withTransaction { transaction in
                        try await transaction.sendOffsets(after: batch, groupMetadata: metadata)
                        throw BodyFailed()
                    }
                }
                await #expect {
                    try await producer.sendOffsetsToTransaction(
                        [KafkaTopicPartition(topic: input, partition: 0): 3],
                        groupMetadata: metadata
                    )
                } throws: { error in
                    (error as? KafkaError)?.code == .invalidUsage
                }
                break
            }
            await producer.close()
        }
    }

    @Test(
        "an injected fencing error at commit is fatal: the producer refuses every send and step after it",
        .tags(.mockOnly)
    )
    func injectedFencingIsFatal() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        let topic = uniqueName("txn-injected-fence")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        let producer = try transactionalProducer(cluster)
        try await producer.initializeTransactions()
        try await cluster.pushRequestErrors(.endTxn, [.producerFenced])
        var thrown: KafkaError?
        do {
            try await producer.withTransaction { transaction in
                try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "m"))
            }
        } catch let error as KafkaError {
            thrown = error
        }
        let error = try #require(thrown, "a fenced commit must throw")
        #expect(error.isFatal)
        #expect(error.transactionRemedy == .recreateProducer)
        await #expect {
            try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "refused"))
        } throws: { error in
            (error as? KafkaError)?.isFatal == true
        }
        await #expect {
            try await producer.withTransaction { _ in }
        } throws: { error in
            (error as? KafkaError)?.transactionRemedy == .recreateProducer
        }
        await producer.close(timeout: .seconds(5))
        await cluster.shutdown()
    }

    @Test("closing with a transaction open aborts it")
    func closeAbortsOpenTransaction() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("txn-close")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let id = uniqueName("close-id")
            let producer = try transactionalProducer(cluster, id: id)
            try await producer.beginTransaction()
            _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "left open"))
            await producer.close(timeout: .seconds(10))
            // A new instance starts at once: nothing was left for it to wait out.
            let next = try transactionalProducer(cluster, id: id)
            try await next.withTransaction { transaction in
                try await transaction.send(KafkaProducerMessage(topic: topic, partition: 0, value: "next"))
            }
            await next.close()
            try await expectAbortedThenCommitted(cluster, topic, aborted: "left open", committed: "next")
        }
    }

    @Test("misuse is an error that names it; the producer stays usable")
    func misuse() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("txn-misuse")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try transactionalProducer(cluster)
            await #expect {
                try await producer.commitTransaction()
            } throws: { error in
                (error as? KafkaError)?.code == .invalidUsage
                    && (error as? KafkaError)?.message.contains("no transaction is open") == true
            }
            await #expect {
                try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "outside"))
            } throws: { error in
                (error as? KafkaError)?.code == .invalidState
                    && (error as? KafkaError)?.message.contains("inside an open transaction") == true
            }
            try await producer.beginTransaction()
            await #expect {
                try await producer.beginTransaction()
            } throws: { error in
                (error as? KafkaError)?.message.contains("open already") == true
            }
            _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "inside"))
            try await producer.commitTransaction()
            await producer.close()

            let plain = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            await #expect {
                try await plain.withTransaction { _ in }
            } throws: { error in
                (error as? KafkaError)?.code == .invalidUsage
                    && (error as? KafkaError)?.message.contains("not transactional") == true
            }
            await plain.close()
            #expect(try await readPartition(cluster, topic, isolation: .readUncommitted).map(\.value) == ["inside"])
        }
    }

    @Test(
        "retriable EndTxn and AddPartitionsToTxn errors: the scope commits, exactly once",
        .tags(.mockOnly)
    )
    func retriableCommitFaults() async throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("txn-faults")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        let producer = try transactionalProducer(cluster)
        try await producer.initializeTransactions()
        try await cluster.pushRequestErrors(.addPartitionsToTxn, [.coordinatorNotAvailable, .concurrentTransactions])
        try await cluster.pushRequestErrors(.endTxn, [.coordinatorNotAvailable, .notCoordinator])
        try await producer.withTransaction { transaction in
            for i in 0..<5 {
                try await transaction.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "m\(i)"))
            }
        }
        await producer.close()
        let read = try await readPartition(cluster, topic, isolation: .readUncommitted)
        #expect(read.map(\.value) == (0..<5).map { "m\($0)" })
        await cluster.shutdown()
    }

    @Test(
        "a coordinator that is not the coordinator any more during the commit: the scope commits or reports the abort, never both",
        .tags(.mockOnly)
    )
    func coordinatorMovesDuringCommit() async throws {
        // NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE answers make the producer look its coordinator up again, as
        // after a move. (Moving it for real with rd_kafka_mock_coordinator_set while transactions run deadlocked
        // librdkafka 2.0.2's embedded cluster inside that call: the test injects the answers instead.)
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("txn-coord")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        let producer = try transactionalProducer(cluster)
        try await producer.initializeTransactions()
        var committed: [Int] = []
        var aborted: [Int] = []
        for round in 0..<4 {
            do {
                try await producer.withTransaction(timeout: .seconds(15)) { transaction in
                    try await transaction.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "r\(round)"))
                    try await cluster.pushRequestErrors(
                        .endTxn,
                        round % 2 == 0 ? [.notCoordinator] : [.coordinatorNotAvailable, .notCoordinator]
                    )
                    try await cluster.pushRequestErrors(.addPartitionsToTxn, [.notCoordinator])
                }
                committed.append(round)
            } catch let error as KafkaError where error.transactionRemedy == .abortAndRetryTransaction {
                aborted.append(round)
            }
        }
        await producer.close()
        #expect(committed.count + aborted.count == 4)
        #expect(Set(committed).isDisjoint(with: aborted))
        let values = try await readPartition(cluster, topic, isolation: .readUncommitted).map(\.value)
        for round in committed { #expect(values.contains("r\(round)"), "committed round \(round) is stored") }
        await cluster.shutdown()
    }
}

/// Checks that partition 0 of `topic` holds the message of an aborted transaction, then that of a committed one,
/// and, where the cluster writes markers, that the ABORT marker took the offset between them.
func expectAbortedThenCommitted(
    _ cluster: any KafkaTestCluster,
    _ topic: String,
    aborted: String,
    committed: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let read = try await readPartition(cluster, topic, isolation: .readUncommitted)
    #expect(read.map(\.value) == [aborted, committed], sourceLocation: sourceLocation)
    if KafkaTestEnvironment.transactionMarkersUnavailableReason == nil {
        #expect(read.map(\.offset) == [0, 2], "the ABORT marker takes offset 1", sourceLocation: sourceLocation)
    }
}

/// The group's committed offset of `partition`, read by a consumer of group `group` that does not join it.
func committedOffset(
    _ cluster: any KafkaTestCluster,
    group: String,
    _ partition: KafkaTopicPartition
) async throws -> KafkaOffset? {
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [cluster.bootstrapServers],
        consumptionStrategy: .group(id: group, topics: [partition.topic])
    )
    config.enableAutoCommit = false
    let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
    let committed = try await consumer.committed([partition], timeout: .seconds(10))
    await consumer.close()
    return committed[partition]
}

/// The high watermark of partition 0 of `topic`.
func partitionEnd(_ cluster: any KafkaTestCluster, _ topic: String) async throws -> Int64 {
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [cluster.bootstrapServers],
        consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
    )
    config.isolationLevel = .readUncommitted
    let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
    let watermarks = try await consumer.watermarks(of: KafkaTopicPartition(topic: topic, partition: 0))
    await consumer.close()
    return watermarks.high.rawValue
}
