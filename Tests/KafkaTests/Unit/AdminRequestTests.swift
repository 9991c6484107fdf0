import Logging
import Testing

@testable import Kafka

/// Admin requests refused before anything is sent, the read-merge-write of the non-incremental AlterConfigs, and
/// per-item results: all without a broker.
@Suite("Admin requests")
struct AdminRequestTests {
    /// An admin client for a port nobody listens on: every call must fail in validation, before connecting.
    private let admin = KafkaAdminClient(
        bootstrapServers: ["127.0.0.1:1"],
        logger: Logger(label: "admin-tests", factory: { _ in SwiftLogNoOpLogHandler() })
    )

    /// Expects an ``KafkaError/Code/invalidUsage`` naming `fragment`, before any connection (5 s, generous for a
    /// loaded machine: validation takes microseconds).
    private func expectRefused(
        _ fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        await expectFailsFast(fragment, within: .seconds(5), code: .invalidUsage, sourceLocation: sourceLocation, body)
    }

    @Test("topic names follow Kafka's rules")
    func topicNames() throws {
        for good in ["a", "orders.v2", "A_b-c", String(repeating: "x", count: 249)] {
            try KafkaNewTopic.validateName(good)
        }
        for bad in ["", ".", "..", "a b", "ä", "a/b", String(repeating: "x", count: 250)] {
            #expect(throws: KafkaError.self, "\(bad)") { try KafkaNewTopic.validateName(bad) }
        }
    }

    @Test("invalid topics, partitions and assignments are refused before sending, naming the problem")
    func invalidTopicRequests() async {
        await expectRefused("partitions must be at least 1") {
            _ = try await admin.createTopics([KafkaNewTopic(name: "t", partitions: 0)])
        }
        await expectRefused("replicationFactor must be at least 1") {
            _ = try await admin.createTopics([KafkaNewTopic(name: "t", replicationFactor: 0)])
        }
        await expectRefused("may only contain") { _ = try await admin.createTopics([KafkaNewTopic(name: "a b")]) }
        await expectRefused("named twice") {
            _ = try await admin.createTopics([KafkaNewTopic(name: "t"), KafkaNewTopic(name: "t")])
        }
        await expectRefused("partition 1 has 1 replicas, partition 0 has 2") {
            _ = try await admin.createTopics([KafkaNewTopic(name: "t", replicaAssignment: [[1, 2], [3]])])
        }
        await expectRefused("partition 0 names a broker twice") {
            _ = try await admin.createTopics([KafkaNewTopic(name: "t", replicaAssignment: [[1, 1]])])
        }
        await expectRefused("partitions is 3 but the replica assignment lists 2 partitions") {
            var topic = KafkaNewTopic(name: "t", replicaAssignment: [[1], [2]])
            topic.partitions = 3
            _ = try await admin.createTopics([topic])
        }
        await expectRefused("not both") {
            var topic = KafkaNewTopic(name: "t", replicaAssignment: [[1]])
            topic.replicationFactor = 1
            _ = try await admin.createTopics([topic])
        }
        await expectRefused("the new partition count must be at least 1") {
            _ = try await admin.createPartitions([KafkaPartitionIncrease(topic: "t", totalCount: 0)])
        }
        await expectRefused("cannot be empty") { _ = try await admin.deleteTopics([""]) }
    }

    @Test("invalid groups, offsets, records and ACLs are refused before sending")
    func invalidOtherRequests() async {
        let tp = KafkaTopicPartition(topic: "t", partition: 0)
        await expectRefused("consumer group id cannot be empty") { _ = try await admin.deleteConsumerGroups([""]) }
        await expectRefused("named twice") { _ = try await admin.describeConsumerGroups(["g", "g"]) }
        await expectRefused("is not an offset") { _ = try await admin.alterConsumerGroupOffsets("g", [tp: .invalid]) }
        await expectRefused("is not a partition") {
            _ = try await admin.deleteConsumerGroupOffsets(
                "g",
                partitions: [KafkaTopicPartition(topic: "t", partition: -1)]
            )
        }
        await expectRefused("not an offset to delete before") {
            _ = try await admin.deleteRecords(before: [tp: .beginning])
        }
        await expectRefused("is not an offset") {
            _ = try await admin.resetConsumerGroupOffsets("g", topics: ["t"], to: .offset(-5), execute: false)
        }
        await expectRefused("at least one topic") {
            _ = try await admin.resetConsumerGroupOffsets("g", topics: [], to: .earliest, execute: false)
        }
        let acl = KafkaACLBinding(resourceType: .topic, resourceName: "t", principal: "alice", operation: .read)
        await expectRefused("not of the form Type:name") { _ = try await admin.createACLs([acl]) }
        var anyOperation = acl
        anyOperation.principal = "User:alice"
        anyOperation.operation = .any
        await expectRefused("the operation cannot be any") { _ = try await admin.createACLs([anyOperation]) }
        var matchPattern = anyOperation
        matchPattern.operation = .read
        matchPattern.patternType = .match
        await expectRefused("literal or prefixed") { _ = try await admin.createACLs([matchPattern]) }
        await expectRefused("not of the form Type:name") {
            _ = try await admin.describeACLs(KafkaACLFilter(principal: "bob"))
        }
        await expectRefused("changed twice") {
            _ = try await admin.alterConfigs([.topic("t"): [.set("retention.ms", "1"), .delete("retention.ms")]])
        }
        await expectRefused("is not a broker id") {
            _ = try await admin.describeConfigs([KafkaConfigResource(kind: .broker, name: "x")])
        }
    }

    @Test("the non-incremental AlterConfigs keeps what is set on the resource and changes only what was asked")
    func configMerge() throws {
        let current = [
            KafkaConfigEntry(name: "retention.ms", value: "1000", source: .dynamicTopic),
            KafkaConfigEntry(name: "cleanup.policy", value: "delete", source: .defaultConfig, isDefault: true),
            KafkaConfigEntry(name: "segment.bytes", value: "2048", source: .dynamicTopic),
            KafkaConfigEntry(name: "max.message.bytes", value: "1000012", source: .staticBroker),
            KafkaConfigEntry(name: "follower.replication.throttled.replicas", value: "0:1", source: .dynamicTopic),
        ]
        let merged = try ConfigMerge.replacement(
            for: .topic("t"),
            current: current,
            changes: [
                .set("retention.ms", "5"), .delete("segment.bytes"), .append("cleanup.policy", "compact"),
                .subtract("follower.replication.throttled.replicas", "0:1"),
            ]
        )
        #expect(merged.map(\.0) == ["cleanup.policy", "follower.replication.throttled.replicas", "retention.ms"])
        #expect(merged.map(\.1) == ["delete,compact", "", "5"])

        let untouched = try ConfigMerge.replacement(for: .topic("t"), current: current, changes: [.set("a", "b")])
        #expect(
            untouched.map { "\($0)=\($1)" } == [
                "a=b", "follower.replication.throttled.replicas=0:1", "retention.ms=1000", "segment.bytes=2048",
            ],
            "entries set on the topic survive; defaults and the broker's are not written"
        )

        let broker = [
            KafkaConfigEntry(name: "log.cleaner.threads", value: "2", source: .dynamicBroker),
            KafkaConfigEntry(name: "num.io.threads", value: "8", source: .dynamicDefaultBroker),
        ]
        #expect(
            try ConfigMerge.replacement(for: .broker(1), current: broker, changes: []).map(\.0) == [
                "log.cleaner.threads"
            ]
        )
        #expect(
            try ConfigMerge.replacement(for: .brokerDefaults, current: broker, changes: []).map(\.0) == [
                "num.io.threads"
            ]
        )
    }

    @Test("a sensitive entry set on the resource cannot be merged unless the call sets or deletes it")
    func sensitiveMerge() throws {
        let current = [
            KafkaConfigEntry(name: "ssl.key.password", value: nil, source: .dynamicBroker, isSensitive: true),
            KafkaConfigEntry(name: "log.cleaner.threads", value: "2", source: .dynamicBroker),
        ]
        let error = #expect(throws: KafkaError.self) {
            try ConfigMerge.replacement(for: .broker(1), current: current, changes: [.set("log.cleaner.threads", "3")])
        }
        #expect(
            error?.message.contains("ssl.key.password is set on broker 1 but sensitive") == true,
            "\(String(describing: error))"
        )
        let replaced = try ConfigMerge.replacement(
            for: .broker(1),
            current: current,
            changes: [.set("ssl.key.password", "new")]
        )
        #expect(replaced.map(\.0) == ["log.cleaner.threads", "ssl.key.password"])
    }

    @Test("at most one broker per config request batch")
    func brokerBatches() {
        let batches = KafkaAdminClient.batchesOfOneBroker([
            .topic("a"), .broker(1), .topic("b"), .broker(2), .brokerDefaults,
        ])
        #expect(batches == [[.topic("a"), .broker(1), .topic("b")], [.broker(2)], [.brokerDefaults]])
    }

    @Test("per-item results keep request order, and one throw reports every failure")
    func results() {
        let failure = KafkaError(code: .topicAlreadyExists, message: "exists")
        let other = KafkaError(code: .unknownTopicOrPartition, message: "unknown")
        let results = KafkaAdminResults<String, Int>([
            .init(item: "a", result: .success(1)), .init(item: "b", result: .failure(failure)),
            .init(item: "c", result: .failure(other)),
        ])
        #expect(results.values == ["a": 1])
        #expect(results.failures.map(\.item) == ["b", "c"])
        #expect(!results.allSucceeded)
        if case .success(let value)? = results["a"] { #expect(value == 1) } else { Issue.record("no a") }
        #expect(results["z"] == nil)
        let error = #expect(throws: KafkaError.self) { try results.throwIfAnyFailed() }
        #expect(error?.code == .topicAlreadyExists)
        #expect(error?.message == "b: exists; c: unknown")
        #expect(throws: Never.self) {
            try KafkaAdminResults<String, Int>([.init(item: "a", result: .success(1))]).throwIfAnyFailed()
        }
    }

    @Test("group states and ACL operations parse as Kafka's tools print them")
    func names() {
        #expect(KafkaConsumerGroupState(name: "stable") == .stable)
        #expect(KafkaConsumerGroupState(name: "PreparingRebalance") == .preparingRebalance)
        #expect(KafkaConsumerGroupState(name: "nope") == nil)
        #expect(KafkaACLOperation(name: "describe-configs") == .describeConfigs)
        #expect(KafkaACLOperation(name: "READ") == .read)
        #expect(KafkaACLOperation(name: "fly") == nil)
        for state in KafkaConsumerGroupState.allCases { #expect(KafkaConsumerGroupState(raw: state.raw) == state) }
        for operation in KafkaACLOperation.allCases { #expect(KafkaACLOperation(raw: operation.raw) == operation) }
    }
}
