import Kafka
import KafkaTesting
import Logging
import Synchronization
import Testing

/// Consumer groups: partitions shared between members, handed over when a member joins or leaves, offsets committed
/// inside the rebalance, and a group that keeps consuming while its coordinator or a partition leader moves.
///
/// Every test produces numbered messages (the message at offset n of partition p has the value "p:n"), runs the
/// consumer loops in tasks that record what each member read, and waits for the records with a deadline. It then
/// checks that every message was read, that each member read each partition in order, and where duplicates may
/// appear (at-least-once: only around a hand-over).
///
/// The tests run against the embedded cluster, or unchanged against a real broker (`KAFKA_BOOTSTRAP_SERVERS`), except
/// the fault-injection tests (`.mockOnly`), which always build their own ``EmbeddedCluster``. Where librdkafka
/// 2.0.2's mock coordinator behaves unlike a broker, the test says so and checks less against the mock.
/// librdkafka's REBALANCE_IN_PROGRESS (27), which the 2.0.2 mock answers to an OffsetCommit while a group joins.
private let rebalanceInProgress: Int32 = 27

@Suite("Consumer groups", .timeLimit(.minutes(3)))
struct ConsumerGroupTests {
    @Test(
        "two members share four partitions, and the one left takes them all over: nothing lost, order kept",
        arguments: [KafkaConsumerConfiguration.AssignmentStrategy.range, .cooperativeSticky]
    )
    func twoMembersShareAndHandOver(strategy: KafkaConsumerConfiguration.AssignmentStrategy) async throws {
        try await shareAndHandOver(protocol: .classic) { $0.assignmentStrategies = [strategy] }
    }

    @Test(
        "KIP-848: two members share four partitions, and the one left takes them all over: nothing lost, order kept",
        .needsConsumerGroupProtocol
    )
    func twoMembersShareAndHandOverConsumerProtocol() async throws {
        try await shareAndHandOver(protocol: .consumer) { _ in }
    }

    func shareAndHandOver(
        protocol groupProtocol: KafkaConsumerConfiguration.GroupProtocol,
        configure: (inout KafkaConsumerConfiguration) -> Void
    ) async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("group-share")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            let group = uniqueName("group")
            let producer = try NumberedProducer(cluster)
            var config = await groupConfig(cluster, group: group, topics: [topic], protocol: groupProtocol)
            configure(&config)
            let log = ReadLog()

            // Phase 1: A alone reads 250 messages of each partition.
            try await producer.produce(topic: topic, partitions: 4, range: 0..<250)
            let a = try KafkaConsumer(configuration: config, logger: testLogger)
            let readingA = log.startReading(a, as: "A")
            try await waitUntil("A read phase 1") { log.distinct(offsets: 0..<250) == 1_000 }
            #expect(log.count(by: "A") == 1_000)

            // B joins: two partitions each.
            let b = try KafkaConsumer(configuration: config, logger: testLogger)
            let readingB = log.startReading(b, as: "B")
            var owned: (a: Set<KafkaTopicPartition>, b: Set<KafkaTopicPartition>) = ([], [])
            try await waitUntil("A and B own two partitions each", timeout: .seconds(45)) {
                owned = (Set(try await a.assignment()), Set(try await b.assignment()))
                return owned.a.count == 2 && owned.b.count == 2 && owned.a.union(owned.b).count == 4
            }

            // Phase 2: each member reads the new messages of its own partitions, and only those.
            try await producer.produce(topic: topic, partitions: 4, range: 250..<500)
            try await waitUntil("phase 2 read") { log.distinct(offsets: 250..<500) == 1_000 }
            let phase2 = log.entries.filter { (250..<500).contains($0.offset) }
            #expect(phase2.count == 1_000, "each message of phase 2 read once")
            for entry in phase2 {
                let partition = KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: entry.partition))
                let owner = owned.a.contains(partition) ? "A" : "B"
                #expect(
                    entry.consumer == owner,
                    "partition \(entry.partition) offset \(entry.offset) read by its owner"
                )
            }

            // A leaves: B gets every partition and reads phase 3 to the end.
            await a.close()
            try await readingA.value
            try await waitUntil("B owns every partition", timeout: .seconds(45)) {
                try await b.assignment().count == 4
            }
            try await producer.produce(topic: topic, partitions: 4, range: 500..<750)
            try await waitUntil("phase 3 read") { log.distinct(offsets: 0..<750) == 3_000 }
            await b.close()
            try await readingB.value
            await producer.close()

            let entries = log.entries
            expectEveryMessageRead(entries, partitions: 4, perPartition: 750)
            // At-least-once: only a message of a partition A owned when it left may have been read twice (by A, then
            // by B, if A had not finished with it); a partition that moved from A to B when B joined was committed
            // in the rebalance, so nothing of it may repeat, and no member reads a partition twice.
            let aPartitions = Set(owned.a.map(\.partition.rawValue))
            let handOver = {
                expectInOrderPerMember(entries)
                let duplicated = duplicates(entries)
                #expect(
                    duplicated.allSatisfy { aPartitions.contains($0.partition) },
                    "duplicates outside A's last partitions \(aPartitions.sorted()): \(duplicated.prefix(10))"
                )
                #expect(log.count(by: "B", partitions: aPartitions, offsets: 0..<500) == duplicated.count)
            }
            if cluster.isEmbedded, groupProtocol == .classic {
                // Both classic strategies commit the revoked partitions' offsets while the group is joining: the
                // eager one when the member hears of the rebalance, the cooperative one in the rejoin that follows
                // the incremental revocation. A real broker accepts a commit of the current generation then (it
                // refuses only while the group is syncing); the classic coordinator of librdkafka's mock (2.0.2 and
                // 2.16 alike) refuses every OffsetCommit while joining (REBALANCE_IN_PROGRESS, logged as "offset
                // commit failed"), so a hand-over there may start again from the last auto-commit: members re-read
                // what they had processed. Against a real broker (KAFKA_BOOTSTRAP_SERVERS) both strategies are held
                // to the full check, and so is the consumer protocol on the embedded cluster, which has no join.
                withKnownIssue(
                    "librdkafka's mock (classic protocol): OffsetCommit refused while the group is joining",
                    isIntermittent: true,
                    handOver
                )
            } else {
                handOver()
            }
        }
    }

    @Test("a revoke hook commits: the next member starts exactly where the hook committed")
    func revokeHookCommits() async throws {
        try await revokeHookCommits(protocol: .classic)
    }

    @Test(
        "KIP-848: a revoke hook commits: the next member starts exactly where the hook committed",
        .needsConsumerGroupProtocol
    )
    func revokeHookCommitsConsumerProtocol() async throws {
        try await revokeHookCommits(protocol: .consumer)
    }

    func revokeHookCommits(protocol groupProtocol: KafkaConsumerConfiguration.GroupProtocol) async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("group-revoke-commit")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try NumberedProducer(cluster)
            try await producer.produce(topic: topic, partitions: 1, range: 0..<100)
            await producer.close()
            let group = uniqueName("group")
            let partition = KafkaTopicPartition(topic: topic, partition: 0)

            var config = await groupConfig(cluster, group: group, topics: [topic], protocol: groupProtocol)
            config.enableAutoCommit = false  // only the hook commits
            let seenByHook = Mutex<[HookCall]>([])
            let hooks = KafkaRebalanceHandler(onRevoked: { context in
                let commit = await Self.outcome { try await context.commit() }
                let committed = await Self.outcome { try await context.committed() }
                seenByHook.withLock {
                    $0.append(HookCall(partitions: context.partitions, commit: commit, committed: committed))
                }
            })
            let first = try KafkaConsumer(configuration: config, rebalanceHandler: hooks, logger: testLogger)
            var firstOffsets: [Int64] = []
            for try await message in first.messages {
                firstOffsets.append(message.offset.rawValue)
                if firstOffsets.count == 30 { break }  // while handling message 29: it is not known to be processed
            }
            await first.close()
            #expect(firstOffsets == Array(0..<30))
            let hookCalls = seenByHook.withLock { $0 }
            #expect(hookCalls.count == 1, "the hook ran once, in the close")
            let hook = try #require(hookCalls.first)
            #expect(hook.partitions == [partition])
            #expect(throws: Never.self, "the hook's commit") { try hook.commit.get() }
            // The close runs the revocation (and this hook) before rd_kafka_consumer_close: inside it, librdkafka
            // 2.0.2 answers a closing consumer's committed-offsets requests with "waiting for coordinator" until
            // the call times out.
            let committed = try hook.committed.get()
            #expect(committed == [partition: KafkaOffset(29)])

            var next = await groupConfig(cluster, group: group, topics: [topic], protocol: groupProtocol)
            next.stopAtEndOfPartitions = true
            let second = try KafkaConsumer(configuration: next, logger: testLogger)
            var secondOffsets: [Int64] = []
            for try await message in second.messages {
                #expect(message.valueString == "0:\(message.offset.rawValue)")
                secondOffsets.append(message.offset.rawValue)
            }
            await second.close()
            // The next member starts at the offset the hook committed: message 29, the one A was handling.
            #expect(secondOffsets == Array(29..<100))
        }
    }

    @Test("breaking out of the loop leaves the group: the other member takes over long before the session timeout")
    func breakLeavesTheGroup() async throws {
        try await breakLeavesTheGroup(protocol: .classic)
    }

    @Test(
        "KIP-848: breaking out of the loop leaves the group: the other member takes over long before the session timeout",
        .needsConsumerGroupProtocol
    )
    func breakLeavesTheGroupConsumerProtocol() async throws {
        try await breakLeavesTheGroup(protocol: .consumer)
    }

    func breakLeavesTheGroup(protocol groupProtocol: KafkaConsumerConfiguration.GroupProtocol) async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("group-break")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            let group = uniqueName("group")
            var config = await groupConfig(cluster, group: group, topics: [topic], protocol: groupProtocol)
            // A member that vanished without leaving is evicted after 45 s (librdkafka's and Kafka's default).
            if groupProtocol == .classic {
                config.sessionTimeout = .seconds(45)
                config.assignmentStrategies = [.range]  // eager: B's revocation shows when the rebalance begins
            } else if let embedded = cluster as? EmbeddedCluster {
                try await embedded.setConsumerGroupSessionTimeout(.seconds(45))
            }
            let classicMock = cluster.isEmbedded && groupProtocol == .classic
            let log = ReadLog()
            let clock = ContinuousClock()

            // Both join at once (within the broker's initial rebalance delay): one rebalance, two partitions each.
            let a = try KafkaConsumer(configuration: config, logger: testLogger)
            // Against the classic mock, B is closed after the cluster is shut down (see below): keep its log quiet.
            let b = try KafkaConsumer(configuration: config, logger: classicMock ? quietLogger : testLogger)
            let eventsOfB = EventLog.start(reading: b)
            // If B's join misses the initial rebalance (a loaded machine), librdkafka 2.0.2's mock ends the next
            // rebalance only after the session timeout less one second (44 s), and a join that lands during that
            // one can take a second round: allow for two.
            try await waitUntil("A and B own two partitions each", timeout: .seconds(100)) {
                let (ownedByA, ownedByB) = (try await a.assignment(), try await b.assignment())
                return ownedByA.count == 2 && ownedByB.count == 2
            }
            // Against a real broker one of them may have joined first, and B may have been revoked then.
            let revocationsBefore = eventsOfB.revocations
            let readingB = log.startReading(b, as: "B")
            let readingA = Task {
                for try await message in a.messages {
                    log.record("A", message)
                    if log.count(by: "A") == 10 { break }
                }
                return clock.now
            }
            let producer = try NumberedProducer(cluster)
            try await producer.produce(topic: topic, partitions: 4, range: 0..<100)
            await producer.close()
            let left = try await readingA.value
            #expect(log.count(by: "A") == 10)

            // Without a LeaveGroup, nothing would happen before A's session timed out (45 s). Under the consumer
            // protocol B keeps its partitions through the rebalance (it is only given A's): no revocation to wait
            // for, the take-over below shows it.
            if groupProtocol == .classic {
                try await waitUntil("B's rebalance begins", timeout: .seconds(30)) {
                    eventsOfB.revocations > revocationsBefore
                }
                let rebalanceBegan = clock.now - left
                #expect(rebalanceBegan < .seconds(20), "B's rebalance began \(rebalanceBegan) after A left")
            }

            if classicMock {
                // The classic coordinator of librdkafka's mock does not end a rebalance when every member has rejoined: it
                // waits for the session timeout less one second (44 s here) before electing a leader, whatever
                // caused the rebalance. So against the mock only the start of the rebalance is checked (above);
                // the hand-over itself is checked against a real broker. Shut the mock down first: B's JoinGroup
                // is held by it, and B's close would wait for that answer.
                await cluster.shutdown()
                await b.close()
                _ = try? await readingB.value
                return
            }
            try await waitUntil("B owns every partition", timeout: .seconds(30)) { try await b.assignment().count == 4 }
            let tookOver = clock.now - left
            #expect(tookOver < .seconds(20), "B owned every partition \(tookOver) after A left")
            if groupProtocol == .consumer {
                #expect(eventsOfB.revocations == revocationsBefore, "B kept its own partitions through the rebalance")
            }
            try await waitUntil("every message read") { log.distinct(offsets: 0..<100) == 400 }
            await b.close()
            try await readingB.value
            let entries = log.entries
            expectEveryMessageRead(entries, partitions: 4, perPartition: 100)
            expectInOrderPerMember(entries)
            // Only the message A was handling when it broke out may come again.
            #expect(duplicates(entries).count <= 1, "\(duplicates(entries))")
        }
    }

    @Test("a revocation in the middle of a batch: the revoke hook commits every message the loop finished with")
    func revocationMidBatch() async throws {
        try await revocationMidBatch(protocol: .classic)
    }

    @Test(
        "KIP-848: a revocation in the middle of a batch: the revoke hook commits every message the loop finished with",
        .needsConsumerGroupProtocol
    )
    func revocationMidBatchConsumerProtocol() async throws {
        try await revocationMidBatch(protocol: .consumer)
    }

    func revocationMidBatch(protocol groupProtocol: KafkaConsumerConfiguration.GroupProtocol) async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("group-mid-batch")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let producer = try NumberedProducer(cluster)
            try await producer.produce(topic: topic, partitions: 2, range: 0..<200)
            await producer.close()
            let group = uniqueName("group")
            var config = await groupConfig(cluster, group: group, topics: [topic], protocol: groupProtocol)
            if groupProtocol == .classic {
                // Cooperative: the partition that moves is revoked after the group synced (the classic coordinator
                // of librdkafka's mock refuses commits while a group is joining, i.e. in an eager revocation).
                config.assignmentStrategies = [.cooperativeSticky]
            }
            config.enableAutoCommit = false  // only the hook commits
            let revokedInHook = Mutex<[KafkaTopicPartition]>([])
            let hookCommitErrors = Mutex<[KafkaError]>([])
            let hooks = KafkaRebalanceHandler(onRevoked: { context in
                do {
                    try await context.commit()
                } catch {
                    hookCommitErrors.withLock { $0.append(error as? KafkaError ?? KafkaError.shutdown("\(error)")) }
                }
                revokedInHook.withLock { $0 += context.partitions }
            })
            let log = ReadLog()
            // A holds the 10th message of partition 0: the 200 messages of a partition come in one fetch response,
            // so in one batch, and A finished with 9 of them that are not stored yet (offsets are stored when the
            // loop asks for the message after a batch's last).
            let checkpoint = Checkpoint(when: { read in read.count(by: "A", partitions: [0]) == 10 })
            let a = try KafkaConsumer(configuration: config, rebalanceHandler: hooks, logger: testLogger)
            let readingA = log.startReading(a, as: "A", checkpoint: checkpoint)
            try await waitUntil("A holds a message") { checkpoint.isReached }
            let readByA = log.entries
            let held = try #require(readByA.last)

            // B joins while A holds the message: one partition moves to B. Its revocation waits for A's loop to
            // ask for its next message (as a Java consumer's runs inside the next poll), which stores what A
            // finished with, the held message included; then A's hook commits it.
            let b = try KafkaConsumer(configuration: config, logger: testLogger)
            let readingB = log.startReading(b, as: "B")
            try await Task.sleep(for: .seconds(2))  // let the rebalance start while A still holds the message
            #expect(try await b.assignment().isEmpty, "no partition moves while A's loop holds a message of it")
            checkpoint.release()
            var ownedByB: [KafkaTopicPartition] = []
            try await waitUntil("B owns a partition", timeout: .seconds(45)) {
                ownedByB = try await b.assignment()
                return ownedByB.count == 1
            }
            let revoked = revokedInHook.withLock { $0 }
            #expect(revoked == ownedByB, "A's hook saw the partition that moved")
            let moved = try #require(ownedByB.first)
            // Where B starts: the committed offset, or the beginning (auto.offset.reset) when none was committed.
            let committed = try await b.committed([moved])[moved] ?? .invalid
            let start = committed.isAbsolute ? committed.rawValue : 0
            // A finished with every message it read of the moved partition (it asked for the next one since):
            // B starts right after them, no message is read twice.
            let finished = log.entries.filter { $0.consumer == "A" && $0.partition == moved.partition.rawValue }
            let expected = (finished.map(\.offset).max() ?? -1) + 1
            let commitErrors = hookCommitErrors.withLock { $0 }
            let checkStart = {
                #expect(commitErrors.isEmpty, "commit in the revoke hook failed: \(commitErrors)")
                #expect(start == expected, "A finished \(finished.count) messages of \(moved) (held \(held))")
            }
            if cluster.isEmbedded, groupProtocol == .classic, !commitErrors.isEmpty,
                commitErrors.allSatisfy({ $0.code == KafkaError.Code(rdKafkaCode: rebalanceInProgress) })
            {
                // Under load the cooperative rejoin can reach the mock before the hook's commit, which librdkafka
                // 2.0.2's mock then refuses (a real broker accepts it): see twoMembersShareAndHandOver.
                withKnownIssue("librdkafka 2.0.2 mock: OffsetCommit refused while the group is joining", checkStart)
            } else {
                checkStart()
            }

            try await waitUntil("every message read") { log.distinct(offsets: 0..<200) == 400 }
            await a.close()
            await b.close()
            try await readingA.value
            try await readingB.value
            let entries = log.entries
            expectEveryMessageRead(entries, partitions: 2, perPartition: 200)
            expectInOrderPerMember(entries)
        }
    }

    @Test(
        "the group coordinator moves to another broker mid-stream: consumption and commits go on, nothing lost",
        .tags(.mockOnly)
    )
    func coordinatorMoves() async throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("group-coordinator-move")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 3)
        for (partition, broker) in [1, 2, 3, 1].enumerated() {
            try await cluster.setPartitionLeader(topic: topic, partition: partition, broker: broker)
        }
        let group = uniqueName("group")
        try await cluster.setGroupCoordinator(groupID: group, broker: 1)
        let producer = try NumberedProducer(cluster)
        try await producer.produce(topic: topic, partitions: 4, range: 0..<500)

        let log = ReadLog()
        let checkpoint = Checkpoint(at: 600)
        let consumer = try KafkaConsumer(
            configuration: await groupConfig(cluster, group: group, topics: [topic]),
            logger: testLogger
        )
        let events = EventLog.start(reading: consumer)
        let reading = log.startReading(consumer, as: "C", checkpoint: checkpoint)

        // The loop holds message 600 while the coordinator moves; more messages come after the move.
        try await waitUntil("checkpoint reached") { checkpoint.isReached }
        try await cluster.setGroupCoordinator(groupID: group, broker: 3)
        checkpoint.release()
        // Commits reach the coordinator (the new one, after a move).
        try await finishAfterFault(
            cluster,
            producer: producer,
            consumer: consumer,
            topic: topic,
            log: log,
            reading: reading,
            events: events,
            label: "coordinator moves"
        )
    }

    @Test(
        "a partition leader moves and its old broker goes down mid-stream: consumption goes on, nothing lost",
        .tags(.mockOnly)
    )
    func leaderMovesAndOldLeaderGoesDown() async throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("group-leader-down")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 3)
        for (partition, broker) in [1, 2, 3, 1].enumerated() {
            try await cluster.setPartitionLeader(topic: topic, partition: partition, broker: broker)
        }
        let group = uniqueName("group")
        try await cluster.setGroupCoordinator(groupID: group, broker: 2)  // not the broker that goes down
        // Connection errors to the stopped broker are expected here: keep the log quiet.
        let producer = try NumberedProducer(cluster, logger: quietLogger)
        try await producer.produce(topic: topic, partitions: 4, range: 0..<500)

        let log = ReadLog()
        let checkpoint = Checkpoint(at: 600)
        let consumer = try KafkaConsumer(
            configuration: await groupConfig(cluster, group: group, topics: [topic]),
            logger: quietLogger
        )
        let events = EventLog.start(reading: consumer)
        let reading = log.startReading(consumer, as: "C", checkpoint: checkpoint)

        // The loop holds message 600 while broker 1's partitions move to brokers 2 and 3 and broker 1 goes down;
        // the rest of the messages are fetched from the new leaders.
        try await waitUntil("checkpoint reached") { checkpoint.isReached }
        try await cluster.setPartitionLeader(topic: topic, partition: 0, broker: 2)
        try await cluster.setPartitionLeader(topic: topic, partition: 3, broker: 3)
        try await cluster.setBrokerDown(1)
        checkpoint.release()
        // Commits reach the coordinator (the new one, after a move).
        try await finishAfterFault(
            cluster,
            producer: producer,
            consumer: consumer,
            topic: topic,
            log: log,
            reading: reading,
            events: events,
            label: "leader down"
        )
    }
}

// MARK: - Helpers

extension ConsumerGroupTests {
    /// The second half of a fault test: 500 more messages per partition after the fault, all read and committed,
    /// nothing lost, new messages in order, and the member never lost its partitions.
    func finishAfterFault(
        _ cluster: EmbeddedCluster,
        producer: NumberedProducer,
        consumer: KafkaConsumer,
        topic: String,
        log: ReadLog,
        reading: Task<Void, any Error>,
        events: EventLog,
        label: String
    ) async throws {
        try await producer.produce(topic: topic, partitions: 4, range: 500..<1_000)
        try await waitUntil("every message read") { log.distinct(offsets: 0..<1_000) == 4_000 }
        await producer.close()
        try await expectCommitted(consumer, topic: topic, partitions: 4, offset: 1_000)
        await consumer.close()
        try await reading.value
        await cluster.shutdown()

        let entries = log.entries
        expectEveryMessageRead(entries, partitions: 4, perPartition: 1_000)
        expectNewMessagesInOrder(entries)
        report(label, entries)
        #expect(events.lost == 0, "the member stayed in the group")
    }
}

extension ConsumerGroupTests {
    /// The result of `body`, thrown error included.
    static func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// What a revoke hook saw.
    struct HookCall: Sendable {
        var partitions: [KafkaTopicPartition]
        var commit: Result<Void, any Error>
        var committed: Result<[KafkaTopicPartition: KafkaOffset], any Error>
    }

    /// Commits what the consumer processed and checks that the group's committed offset of every partition is
    /// `offset` (retrying while the group is still finding its coordinator).
    func expectCommitted(_ consumer: KafkaConsumer, topic: String, partitions: Int, offset: Int64) async throws {
        let all = (0..<partitions).map { KafkaTopicPartition(topic: topic, partition: KafkaPartition($0)) }
        var last: [KafkaTopicPartition: KafkaOffset] = [:]
        var lastError: (any Error)? = nil
        do {
            try await waitUntil("offsets committed") {
                do {
                    try await consumer.commit()
                    last = try await consumer.committed(all)
                    return all.allSatisfy { last[$0]?.rawValue == offset }
                } catch {
                    lastError = error
                    return false
                }
            }
        } catch {
            Issue.record("committed: \(last), last error: \(String(describing: lastError))")
            throw error
        }
    }

    /// Every message of `0..<perPartition` of each partition was read at least once, with its value.
    func expectEveryMessageRead(
        _ entries: [ReadLog.Entry],
        partitions: Int,
        perPartition: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let wrong = entries.filter { $0.value != "\($0.partition):\($0.offset)" }
        #expect(
            wrong.isEmpty,
            "values that do not match their place: \(wrong.prefix(10))",
            sourceLocation: sourceLocation
        )
        let seen = Set(entries.map { PartitionOffset(partition: $0.partition, offset: $0.offset) })
        var missing: [PartitionOffset] = []
        for p in 0..<partitions {
            for n in 0..<perPartition where !seen.contains(PartitionOffset(partition: Int32(p), offset: Int64(n))) {
                missing.append(PartitionOffset(partition: Int32(p), offset: Int64(n)))
            }
        }
        #expect(missing.isEmpty, "\(missing.count) never read: \(missing.prefix(10))", sourceLocation: sourceLocation)
        #expect(seen.count == partitions * perPartition, "nothing else read", sourceLocation: sourceLocation)
    }

    /// Each member read each partition in increasing offsets.
    func expectInOrderPerMember(_ entries: [ReadLog.Entry], sourceLocation: SourceLocation = #_sourceLocation) {
        var last: [String: Int64] = [:]
        var outOfOrder: [String] = []
        for entry in entries {
            let key = "\(entry.consumer)/\(entry.partition)"
            if let previous = last[key], entry.offset <= previous {
                outOfOrder.append("\(key): \(entry.offset) after \(previous)")
            }
            last[key] = entry.offset
        }
        #expect(outOfOrder.isEmpty, "\(outOfOrder.prefix(10))", sourceLocation: sourceLocation)
    }

    /// Within each partition, the messages read for the first time came in offset order, without gaps: a message
    /// read again (at-least-once) is allowed, one skipped and read later is not.
    func expectNewMessagesInOrder(_ entries: [ReadLog.Entry], sourceLocation: SourceLocation = #_sourceLocation) {
        var next: [Int32: Int64] = [:]
        var outOfOrder: [String] = []
        for entry in entries {
            let expected = next[entry.partition, default: 0]
            if entry.offset == expected {
                next[entry.partition] = expected + 1
            } else if entry.offset > expected {
                outOfOrder.append("\(entry.partition): \(entry.offset) before \(expected)")
            }
        }
        #expect(outOfOrder.isEmpty, "\(outOfOrder.prefix(10))", sourceLocation: sourceLocation)
    }

    /// One line per fault test: how many messages were read, and how many of them twice (at-least-once).
    func report(_ name: String, _ entries: [ReadLog.Entry]) {
        let duplicated = duplicates(entries)
        print(
            "ConsumerGroupTests[\(name)]: \(entries.count) messages read, \(duplicated.count) of them more than once"
                + (duplicated.isEmpty ? "" : " (\(duplicated.prefix(10)))")
        )
    }

    /// The messages read more than once (by any members).
    func duplicates(_ entries: [ReadLog.Entry]) -> [PartitionOffset] {
        var counts: [PartitionOffset: Int] = [:]
        for entry in entries {
            counts[PartitionOffset(partition: entry.partition, offset: entry.offset), default: 0] += 1
        }
        return counts.filter { $0.value > 1 }.keys.sorted()
    }

    struct PartitionOffset: Hashable, Comparable, Sendable, CustomStringConvertible {
        var partition: Int32
        var offset: Int64

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.partition, lhs.offset) < (rhs.partition, rhs.offset) }

        var description: String { "\(partition):\(offset)" }
    }

    /// Produces numbered messages: the value of the message at offset n of partition p is "p:n" (when, as here,
    /// one producer writes each partition in order, without faults while it sends).
    struct NumberedProducer {
        let producer: KafkaProducer
        let failures: Task<Int, Never>

        init(_ cluster: any KafkaTestCluster, logger: Logger = testLogger) throws {
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.deliveryReports = .failuresOnly
            let producer = try KafkaProducer(configuration: config, logger: logger)
            self.producer = producer
            self.failures = Task {
                var count = 0
                for await _ in producer.deliveryReports { count += 1 }
                return count
            }
        }

        /// Sends messages `range` to each of partitions `0..<partitions` and waits until all are delivered.
        func produce(topic: String, partitions: Int, range: Range<Int>) async throws {
            for n in range {
                for p in 0..<partitions {
                    _ = try await producer.enqueue(
                        KafkaProducerMessage(topic: topic, partition: KafkaPartition(p), value: "\(p):\(n)")
                    )
                }
            }
            try await producer.flush(timeout: .seconds(30))
        }

        func close() async {
            await producer.close()
            #expect(await failures.value == 0, "every message delivered")
        }
    }

    /// What the members of a test read, in the order each read it.
    final class ReadLog: Sendable {
        struct Entry: Hashable, Sendable, CustomStringConvertible {
            var consumer: String
            var partition: Int32
            var offset: Int64
            var value: String

            var description: String { "\(consumer) \(partition):\(offset)=\(value)" }
        }

        private let state = Mutex<(entries: [Entry], distinct: Set<PartitionOffset>)>(([], []))

        func record(_ consumer: String, _ message: KafkaConsumerMessage) {
            let entry = Entry(
                consumer: consumer,
                partition: message.partition.rawValue,
                offset: message.offset.rawValue,
                value: message.valueString ?? "<null>"
            )
            state.withLock {
                $0.entries.append(entry)
                $0.distinct.insert(PartitionOffset(partition: entry.partition, offset: entry.offset))
            }
        }

        var entries: [Entry] { state.withLock { $0.entries } }

        /// How many messages were read (by anyone).
        var total: Int { state.withLock { $0.entries.count } }

        /// How many different messages with an offset in `offsets` were read (by anyone).
        func distinct(offsets: Range<Int64>) -> Int {
            state.withLock { $0.distinct.count { offsets.contains($0.offset) } }
        }

        /// How many messages `consumer` read (of `partitions`, with an offset in `offsets`, if given).
        func count(by consumer: String, partitions: Set<Int32>? = nil, offsets: Range<Int64>? = nil) -> Int {
            state.withLock {
                $0.entries.count { entry in
                    entry.consumer == consumer && (partitions?.contains(entry.partition) ?? true)
                        && (offsets?.contains(entry.offset) ?? true)
                }
            }
        }

        /// Runs `consumer`'s messages loop in a task, recording each message as read by `name`; once `checkpoint`'s
        /// condition holds, the loop holds the message it has until the checkpoint is released.
        func startReading(
            _ consumer: KafkaConsumer,
            as name: String,
            checkpoint: Checkpoint? = nil
        ) -> Task<Void, any Error> {
            Task {
                var held = false
                for try await message in consumer.messages {
                    record(name, message)
                    if let checkpoint, !held, checkpoint.condition(self) {
                        held = true
                        await checkpoint.reach()
                    }
                }
            }
        }
    }

    /// A point in a messages loop where it stops until the test has done something (e.g. injected a fault).
    final class Checkpoint: Sendable {
        let condition: @Sendable (ReadLog) -> Bool
        private let state = Mutex<(reached: Bool, released: Bool, waiter: CheckedContinuation<Void, Never>?)>(
            (false, false, nil)
        )

        /// Holds the loop once `condition` holds for what was read.
        init(when condition: @escaping @Sendable (ReadLog) -> Bool) {
            self.condition = condition
        }

        /// Holds the loop at the `count`th message read.
        convenience init(at count: Int) {
            self.init(when: { $0.total >= count })
        }

        var isReached: Bool { state.withLock { $0.reached } }

        /// Called by the loop: waits for ``release()``.
        func reach() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let released = state.withLock { state in
                    state.reached = true
                    if !state.released { state.waiter = continuation }
                    return state.released
                }
                if released { continuation.resume() }
            }
        }

        func release() {
            let waiter = state.withLock { state in
                state.released = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// Counts a consumer's rebalance events.
    final class EventLog: Sendable {
        private let counts = Mutex<(revocations: Int, lost: Int)>((0, 0))

        var revocations: Int { counts.withLock { $0.revocations } }
        var lost: Int { counts.withLock { $0.lost } }

        static func start(reading consumer: KafkaConsumer) -> EventLog {
            let log = EventLog()
            Task {
                for await event in consumer.events {
                    switch event {
                    case .revoked(let partitions) where !partitions.isEmpty: log.counts.withLock { $0.revocations += 1 }
                    case .lost: log.counts.withLock { $0.lost += 1 }
                    default: break
                    }
                }
            }
            return log
        }
    }
}
