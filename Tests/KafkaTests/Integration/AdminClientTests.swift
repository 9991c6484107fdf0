import Foundation
import Kafka
import KafkaTesting
import Logging
import Testing

/// What each admin server here can show: the embedded cluster answers no admin request (the calls must fail fast,
/// naming the operation), Tansu (librdkafka 2.2 and later, `SWIFT_KAFKA_TANSU`) answers most of them, and what
/// only Apache Kafka answers runs with `KAFKA_BOOTSTRAP_SERVERS`.
enum AdminTraits {
    static var needsTansu: ConditionTrait {
        let reason = TansuBroker.unavailableReason
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? ""))
    }

    static var realBroker: String? {
        guard let servers = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"], !servers.isEmpty else {
            return nil
        }
        return servers
    }

    static var needsRealBroker: ConditionTrait {
        .enabled(
            if: realBroker != nil,
            Comment(
                rawValue:
                    "CreatePartitions, AlterConfigs, DeleteRecords, DeleteAcls, OffsetDelete and group members are answered "
                    + "by Apache Kafka only (the embedded cluster answers no admin request; Tansu 0.6 lacks these): run "
                    + "with KAFKA_BOOTSTRAP_SERVERS"
            )
        )
    }
}

func adminClient(_ bootstrapServers: String) -> KafkaAdminClient {
    KafkaAdminClient(bootstrapServers: [bootstrapServers], logger: testLogger)
}

/// Runs `body`, expecting a ``KafkaError`` (thrown, or as the only item's failure) whose message names
/// `operation` (and whose code is `code`, when given), within `bound`: by default half the calls' default timeout
/// (30 s), which a call waiting for an answer would reach (alone they take milliseconds; a loaded machine
/// connecting to the brokers takes seconds).
func expectFailsFast(
    _ operation: String,
    within bound: Duration = .seconds(15),
    code: KafkaError.Code? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    let started = ContinuousClock.now
    do {
        try await body()
        Issue.record("\(operation) succeeded", sourceLocation: sourceLocation)
    } catch let error as KafkaError {
        #expect(error.message.contains(operation), "\(error)", sourceLocation: sourceLocation)
        if let code { #expect(error.code == code, "\(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("\(operation): unexpected \(error)", sourceLocation: sourceLocation)
    }
    let took = ContinuousClock.now - started
    #expect(took < bound, "\(operation) took \(took)", sourceLocation: sourceLocation)
}

@Suite("Admin client", .timeLimit(.minutes(3)))
struct AdminClientTests {
    @Test("on the embedded cluster every admin request fails fast with an error naming it", .tags(.mockOnly))
    func embeddedClusterFailsFast() async throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        try await cluster.createTopic("t", partitions: 2)
        let admin = adminClient(cluster.bootstrapServers)
        let tp = KafkaTopicPartition(topic: "t", partition: 0)
        await expectFailsFast("CreateTopics") { try await admin.createTopic(KafkaNewTopic(name: "x")) }
        await expectFailsFast("DeleteTopics") { try await admin.deleteTopics(["t"]).throwIfAnyFailed() }
        await expectFailsFast("CreatePartitions") {
            try await admin.createPartitions([KafkaPartitionIncrease(topic: "t", totalCount: 4)]).throwIfAnyFailed()
        }
        await expectFailsFast("DescribeConfigs") { try await admin.describeConfigs([.topic("t")]).throwIfAnyFailed() }
        await expectFailsFast("DescribeConfigs") { try await admin.describeConfigs([.broker(1)]).throwIfAnyFailed() }
        // With IncrementalAlterConfigs (librdkafka 2.2 on) the request itself is refused; before, the read of the
        // current configuration that the merge needs.
        await expectFailsFast(
            Librdkafka.supports(.incrementalAlterConfigs) ? "IncrementalAlterConfigs" : "DescribeConfigs"
        ) {
            try await admin.alterConfigs([.topic("t"): [.set("retention.ms", "1")]]).throwIfAnyFailed()
        }
        await expectFailsFast("CreateAcls") {
            let acl = KafkaACLBinding(resourceType: .topic, resourceName: "t", principal: "User:a", operation: .read)
            try await admin.createACLs([acl]).throwIfAnyFailed()
        }
        await expectFailsFast("DescribeAcls") { _ = try await admin.describeACLs() }
        await expectFailsFast("DeleteAcls") {
            try await admin.deleteACLs([KafkaACLFilter(principal: "User:a")]).throwIfAnyFailed()
        }
        await expectFailsFast("DeleteRecords") {
            try await admin.deleteRecords(before: [tp: KafkaOffset(1)]).throwIfAnyFailed()
        }
        // Group requests are refused before sending too: librdkafka 2.0.2 to 2.16 abort the process on an assertion
        // when the embedded cluster refuses DeleteGroups or OffsetDelete, and 2.0.2 deadlocks on DescribeGroups.
        await expectFailsFast("DeleteGroups") { try await admin.deleteConsumerGroups(["g"]).throwIfAnyFailed() }
        await expectFailsFast("DeleteConsumerGroupOffsets") {
            try await admin.deleteConsumerGroupOffsets("g", partitions: [tp]).throwIfAnyFailed()
        }
        await expectFailsFast("AlterConsumerGroupOffsets") {
            try await admin.alterConsumerGroupOffsets("g", [tp: KafkaOffset(1)]).throwIfAnyFailed()
        }
        await expectFailsFast("ListConsumerGroupOffsets") { _ = try await admin.consumerGroupOffsets("g") }
        await expectFailsFast("DescribeConsumerGroups") {
            try await admin.describeConsumerGroups(["g"]).throwIfAnyFailed()
        }
        // Refused before sending as well: librdkafka leaks a queue of the handle when the brokers refuse these.
        await expectFailsFast("ListConsumerGroups") { _ = try await admin.listConsumerGroups() }
        await cluster.shutdown()
    }

    @Test("topics are listed and described, the cluster too, on every cluster")
    func listAndDescribe() async throws {
        try await withKafkaTestCluster(brokers: 3) { cluster in
            let isEmbedded = cluster.isEmbedded
            let topic = uniqueName("admin-describe")
            try await cluster.createTopic(topic, partitions: 3, replicationFactor: 1)
            let admin = adminClient(cluster.bootstrapServers)
            let listed = try await admin.listTopics()
            #expect(listed.first { $0.name == topic }?.partitionCount == 3)
            #expect(listed.allSatisfy { !$0.isInternal })
            #expect(listed.map(\.name) == listed.map(\.name).sorted())

            let missing = uniqueName("admin-missing")
            let described = try await admin.describeTopics([topic, missing])
            #expect(described.entries.map(\.item) == [topic, missing], "request order")
            let description = try #require(try described[topic]?.get())
            #expect(description.partitions.map(\.id) == [0, 1, 2])
            let cluster = try await admin.describeCluster()
            let brokers = Set(cluster.brokers.map(\.id))
            #expect(description.partitions.allSatisfy { brokers.contains($0.leader) }, "every leader is a broker")
            #expect(description.replicationFactor >= 1)
            #expect(cluster.clusterID?.isEmpty == false)
            if isEmbedded {
                #expect(brokers == [1, 2, 3])
                return  // the embedded cluster creates any topic a metadata request names
            }
            guard case .failure(let error)? = described[missing] else {
                Issue.record("a missing topic is a failed item: \(described)")
                return
            }
            #expect(error.code == .unknownTopicOrPartition)
        }
    }

    @Test("a group's lag, and offset resets: dry run commits nothing, executed ones commit the clamped targets")
    func lagAndReset() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("admin-reset")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let producer = try ConsumerGroupTests.NumberedProducer(cluster)
            try await producer.produce(topic: topic, partitions: 2, range: 0..<5)
            await producer.close()
            let admin = adminClient(cluster.bootstrapServers)
            let group = uniqueName("admin-reset-group")
            let partitions = (0..<2).map { KafkaTopicPartition(topic: topic, partition: KafkaPartition($0)) }
            func committed() async throws -> [Int64] {
                let offsets = try await admin.committedOffsets(group: group, partitions: partitions)
                return partitions.map { offsets[$0]?.rawValue ?? -9 }
            }

            let lag = try await admin.consumerGroupLag(group, topics: [topic])
            #expect(lag.map(\.partition) == partitions)
            #expect(lag.map(\.lag) == [5, 5], "nothing committed: lag from the low watermark")
            #expect(lag.allSatisfy { $0.committed == .invalid && $0.watermarks.high.rawValue == 5 })

            let dry = try await admin.resetConsumerGroupOffsets(group, topics: [topic], to: .offset(2), execute: false)
            #expect(!dry.executed)
            #expect(dry.moves.map(\.new.rawValue) == [2, 2])
            #expect(dry.moves.allSatisfy { $0.current == .invalid })
            #expect(
                try await committed() == [KafkaOffset.invalid.rawValue, KafkaOffset.invalid.rawValue],
                "a dry run commits nothing"
            )

            let executed = try await admin.resetConsumerGroupOffsets(
                group,
                topics: [topic],
                to: .offset(2),
                execute: true
            )
            #expect(executed.executed)
            #expect(try await committed() == [2, 2])
            #expect(try await admin.consumerGroupLag(group, topics: [topic]).map(\.lag) == [3, 3])

            let shifted = try await admin.resetConsumerGroupOffsets(
                group,
                partitions: [partitions[1]],
                to: .shift(by: -10),
                execute: true
            )
            #expect(shifted.moves.map(\.current.rawValue) == [2])
            #expect(shifted.moves.map(\.new.rawValue) == [0], "clamped to the low watermark")
            #expect(try await committed() == [2, 0], "only the partition named moved")

            _ = try await admin.resetConsumerGroupOffsets(group, topics: [topic], to: .offset(99), execute: true)
            #expect(try await committed() == [5, 5], "clamped to the high watermark")
            _ = try await admin.resetConsumerGroupOffsets(group, topics: [topic], to: .earliest, execute: true)
            #expect(try await committed() == [0, 0])
        }
    }
}

/// Against a Tansu broker: every admin operation it answers correctly, and a fast, named failure for those it
/// does not advertise.
@Suite("Admin client against Tansu", AdminTraits.needsTansu, .serialized, .timeLimit(.minutes(3)))
struct AdminTansuTests {
    @Test("topics: create with a partial failure, list, describe, delete; CreatePartitions refused fast")
    func topics() async throws {
        let tansu = try await TansuBroker.start()
        let admin = adminClient(tansu.bootstrapServers)
        let (a, b, c) = (uniqueName("ta"), uniqueName("tb"), uniqueName("tc"))
        let first = try await admin.createTopics([
            KafkaNewTopic(name: a, partitions: 3, replicationFactor: 1), KafkaNewTopic(name: b, partitions: 1),
        ])
        #expect(first.allSucceeded, "\(first)")
        let second = try await admin.createTopics([
            KafkaNewTopic(name: a, partitions: 3), KafkaNewTopic(name: c, partitions: 2),
        ])
        #expect(second.entries.map(\.item) == [a, c])
        #expect(second.failures.map(\.item) == [a])
        #expect(second.failures.first?.error.code == .topicAlreadyExists)
        #expect(second.failures.first?.error.message.contains("CreateTopics") == true)
        #expect(second.values.keys.sorted() == [c], "the other topic was created")

        let listed = try await admin.listTopics()
        #expect(Set([a, b, c]).isSubset(of: Set(listed.map(\.name))))
        #expect(listed.first { $0.name == c }?.partitionCount == 2)
        let described = try #require(try await admin.describeTopics([a])[a]?.get())
        #expect(described.partitions.map(\.id) == [0, 1, 2])
        #expect(
            described.partitions.allSatisfy { $0.leader == TansuBroker.nodeID && $0.replicas == [TansuBroker.nodeID] }
        )

        let pinned = uniqueName("tpinned")
        try await admin.createTopic(
            KafkaNewTopic(name: pinned, replicaAssignment: Array(repeating: [TansuBroker.nodeID], count: 3))
        )
        let pinnedDescription = try #require(try await admin.describeTopics([pinned])[pinned]?.get())
        #expect(pinnedDescription.partitions.map(\.replicas) == Array(repeating: [TansuBroker.nodeID], count: 3))

        let missing = uniqueName("tmissing")
        let deleted = try await admin.deleteTopics([b, missing])
        #expect(deleted.failures.map(\.item) == [missing])
        #expect(deleted.failures.first?.error.code == .unknownTopicOrPartition)
        #expect(!(try await admin.listTopics()).map(\.name).contains(b))

        await expectFailsFast("CreatePartitions") {
            try await admin.createPartitions([KafkaPartitionIncrease(topic: a, totalCount: 6)]).throwIfAnyFailed()
        }
        let cluster = try await admin.describeCluster()
        #expect(cluster.brokers.map(\.id) == [TansuBroker.nodeID])
        #expect(cluster.controllerID == TansuBroker.nodeID)
        #expect(cluster.clusterID == "tansu_cluster")
        await tansu.stop()
    }

    @Test("configs: a set entry is described with its source; the non-incremental AlterConfigs is refused fast")
    func configs() async throws {
        let tansu = try await TansuBroker.start()
        let admin = adminClient(tansu.bootstrapServers)
        let topic = uniqueName("tconf")
        try await admin.createTopic(KafkaNewTopic(name: topic, partitions: 1))
        let altered = try await admin.alterConfigs(
            [.topic(topic): [.set("retention.ms", "3600000")]],
            validateOnly: false,
            incremental: true,
            timeout: .seconds(10)
        )
        #expect(altered.allSucceeded, "\(altered)")
        let entries = try #require(try await admin.describeConfigs([.topic(topic)])[.topic(topic)]?.get())
        let retention = try #require(entries.first { $0.name == "retention.ms" })
        #expect(retention.value == "3600000")
        // Tansu 0.6 reports DEFAULT_CONFIG for an entry set on the topic (Apache Kafka: DYNAMIC_TOPIC_CONFIG).
        #expect(retention.source == .dynamicTopic || retention.source == .defaultConfig, "\(retention)")
        let withConfigs = try #require(try await admin.describeTopics([topic], includeConfigs: true)[topic]?.get())
        #expect(withConfigs.configs.contains { $0.name == "retention.ms" && $0.value == "3600000" })

        await expectFailsFast("AlterConfigs") {
            try await admin.alterConfigs(
                [.topic(topic): [.set("retention.ms", "1000")]],
                validateOnly: false,
                incremental: false,
                timeout: .seconds(10)
            ).throwIfAnyFailed()
        }
        await tansu.stop()
    }

    @Test("groups: listed, described, offsets fetched and altered, lag, reset, deleted")
    func groups() async throws {
        let tansu = try await TansuBroker.start()
        let cluster = ExternalCluster(bootstrapServers: tansu.bootstrapServers)
        let admin = cluster.admin
        let topic = uniqueName("tgroup")
        try await cluster.createTopic(topic, partitions: 1)
        // One message per batch: Tansu's high watermark is wrong after batches of several messages.
        var producerConfig = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        producerConfig.batchMessageCount = 1
        let producer = try KafkaProducer(configuration: producerConfig, logger: testLogger)
        for n in 0..<6 { _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "\(n)")) }
        await producer.close()

        let group = uniqueName("tgroup")
        var consumerConfig = await groupConfig(cluster, group: group, topics: [topic])
        consumerConfig.stopAtEndOfPartitions = true
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: testLogger)
        var read: [String] = []
        for try await message in consumer.messages {
            read.append(message.valueString ?? "")
            // Inside the loop: leaving it closes the consumer, so a commit after it may come after the close.
            if read.count == 6 { try await consumer.commit(message) }
        }
        #expect(read == ["0", "1", "2", "3", "4", "5"])
        await consumer.close()

        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let listed = try await admin.listConsumerGroups()
        #expect(listed.errors.isEmpty)
        #expect(listed.groups.contains { $0.groupID == group })
        let description = try #require(try await admin.describeConsumerGroups([group])[group]?.get())
        #expect(description.state == .empty)
        #expect(description.members.isEmpty)
        #expect(description.coordinator?.id == TansuBroker.nodeID)

        let all = try await admin.consumerGroupOffsets(group)
        #expect(all.values == [partition: KafkaOffset(6)], "\(all)")
        let one = try await admin.consumerGroupOffsets(group, partitions: [partition])
        #expect(one.values == [partition: KafkaOffset(6)], "\(one)")
        #expect(try await admin.alterConsumerGroupOffsets(group, [partition: KafkaOffset(2)]).allSucceeded)
        #expect(try await admin.consumerGroupOffsets(group).values == [partition: KafkaOffset(2)])
        let lag = try await admin.consumerGroupLag(group)
        #expect(lag.map(\.partition) == [partition], "without topics: those the group committed")
        #expect(lag.map(\.lag) == [4])
        let reset = try await admin.resetConsumerGroupOffsets(group, topics: [topic], to: .shift(by: 1), execute: true)
        #expect(reset.moves.map(\.new.rawValue) == [3])
        #expect(try await admin.consumerGroupOffsets(group).values == [partition: KafkaOffset(3)])

        let missing = uniqueName("tnogroup")
        let deleted = try await admin.deleteConsumerGroups([group, missing])
        #expect(deleted[group].map { (try? $0.get()) != nil } == true, "\(deleted)")
        #expect(!(try await admin.listConsumerGroups()).groups.contains { $0.groupID == group })
        await tansu.stop()
    }

    @Test("ACLs: described (none); DeleteAcls refused fast")
    func acls() async throws {
        let tansu = try await TansuBroker.start()
        let admin = adminClient(tansu.bootstrapServers)
        #expect(try await admin.describeACLs(KafkaACLFilter(resourceType: .topic)) == [])
        await expectFailsFast("DeleteAcls") {
            try await admin.deleteACLs([KafkaACLFilter(principal: "User:alice")]).throwIfAnyFailed()
        }
        await tansu.stop()
    }
}

/// What only Apache Kafka answers here (`KAFKA_BOOTSTRAP_SERVERS`, e.g. `docker compose up`).
@Suite("Admin client against Apache Kafka", AdminTraits.needsRealBroker, .timeLimit(.minutes(3)))
struct AdminRealBrokerTests {
    @Test("validate-only creates nothing; partitions are added; the merge keeps other entries; records are deleted")
    func topicsConfigsRecords() async throws {
        let admin = adminClient(try #require(AdminTraits.realBroker))
        let topic = uniqueName("real-admin")
        try await admin.createTopic(KafkaNewTopic(name: topic, partitions: 2, replicationFactor: 1), validateOnly: true)
        #expect(!(try await admin.listTopics()).map(\.name).contains(topic), "validate-only created nothing")
        try await admin.createTopic(
            KafkaNewTopic(name: topic, partitions: 2, replicationFactor: 1, configs: ["retention.ms": "7200000"])
        )
        try await admin.createPartitions([KafkaPartitionIncrease(topic: topic, totalCount: 4)]).throwIfAnyFailed()
        #expect(try #require(try await admin.describeTopics([topic])[topic]?.get()).partitions.count == 4)

        for incremental in [false, true] {
            let value = incremental ? "2000" : "1000"
            try await admin.alterConfigs(
                [.topic(topic): [.set("segment.ms", value)]],
                validateOnly: false,
                incremental: incremental,
                timeout: .seconds(30)
            ).throwIfAnyFailed()
            let entries = try #require(try await admin.describeConfigs([.topic(topic)])[.topic(topic)]?.get())
            #expect(entries.first { $0.name == "segment.ms" }?.value == value)
            #expect(entries.first { $0.name == "retention.ms" }?.value == "7200000", "the other entry kept")
        }

        let producer = try ConsumerGroupTests.NumberedProducer(
            ExternalCluster(bootstrapServers: try #require(AdminTraits.realBroker))
        )
        try await producer.produce(topic: topic, partitions: 1, range: 0..<10)
        await producer.close()
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let deleted = try await admin.deleteRecords(before: [partition: KafkaOffset(4)])
        #expect(try deleted.get() == [partition: KafkaOffset(4)])
        #expect(try await admin.watermarks(of: [partition])[partition]?.low == KafkaOffset(4))
        try await admin.deleteTopics([topic]).throwIfAnyFailed()
    }

    @Test("a live group is described with its members; its offsets of a topic it left can be deleted")
    func groupMembersAndOffsetDelete() async throws {
        let cluster = ExternalCluster(bootstrapServers: try #require(AdminTraits.realBroker))
        let admin = cluster.admin
        let (topic, other) = (uniqueName("real-members"), uniqueName("real-left"))
        try await cluster.createTopic(topic, partitions: 2)
        try await cluster.createTopic(other, partitions: 1)
        let group = uniqueName("real-group")
        try await admin.alterConsumerGroupOffsets(
            group,
            [KafkaTopicPartition(topic: other, partition: 0): KafkaOffset(0)]
        )
        .throwIfAnyFailed()
        let consumer = try KafkaConsumer(
            configuration: await groupConfig(cluster, group: group, topics: [topic]),
            logger: testLogger
        )
        let reading = Task { for try await _ in consumer.messages {} }
        try await waitUntil("the member is assigned both partitions", timeout: .seconds(45)) {
            (try? await consumer.assignment().count) == 2
        }
        let description = try #require(try await admin.describeConsumerGroups([group])[group]?.get())
        #expect(description.state == .stable)
        #expect(description.members.count == 1)
        #expect(
            Set(description.members.first?.assignment ?? [])
                == Set((0..<2).map { KafkaTopicPartition(topic: topic, partition: KafkaPartition($0)) })
        )
        let removed = try await admin.deleteConsumerGroupOffsets(
            group,
            partitions: [KafkaTopicPartition(topic: other, partition: 0)]
        )
        #expect(removed.allSucceeded, "\(removed)")
        await expectFailsFast("DeleteGroups", within: .seconds(30)) {
            try await admin.deleteConsumerGroups([group]).throwIfAnyFailed()
        }
        await consumer.close()
        reading.cancel()
        _ = await reading.result
        try await admin.deleteConsumerGroups([group]).throwIfAnyFailed()
        try await admin.deleteTopics([topic, other]).throwIfAnyFailed()
    }

    @Test("ACLs are created, described and deleted, or refused per binding without an authorizer")
    func acls() async throws {
        let admin = adminClient(try #require(AdminTraits.realBroker))
        let acl = KafkaACLBinding(
            resourceType: .topic,
            resourceName: uniqueName("acl"),
            principal: "User:alice",
            operation: .read
        )
        let created = try await admin.createACLs([acl])
        if case .failure(let error)? = created[acl] {
            #expect(error.code.name == "SECURITY_DISABLED", "\(error)")
            return
        }
        #expect(try await admin.describeACLs(KafkaACLFilter(acl)) == [acl])
        let deleted = try await admin.deleteACLs([KafkaACLFilter(acl)])
        #expect(try deleted.get() == [KafkaACLFilter(acl): [acl]])
    }
}
