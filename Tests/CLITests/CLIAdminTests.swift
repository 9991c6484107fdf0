import Foundation
import Kafka
import KafkaTesting
import Testing

/// kafka-admin: every refusal before connecting, dry runs against the embedded cluster, the fast failure where the
/// embedded cluster answers no admin request, and the changes themselves against Tansu (librdkafka 2.2 on).
@Suite("kafka-admin", .timeLimit(.minutes(3)))
struct CLIAdminTests {
    private func admin(_ arguments: [String]) async throws -> CLIResult {
        try await runCLI("kafka-admin", arguments, timeout: .seconds(60))
    }

    @Test(
        "bad arguments are refused with a message naming the problem, before connecting",
        arguments: [
            (["topic", "create"], "Missing expected argument '<names> ...'"),
            (["topic", "create", "a b"], "may only contain"),
            (["topic", "create", "t", "--partitions", "0"], "partitions must be at least 1"),
            (["topic", "create", "t", "--replica-assignment", "1:2,3"], "partition 1 has 1 replicas"),
            (["topic", "create", "t", "--replica-assignment", "1:x"], "'x' is not a broker id"),
            (["topic", "create", "t", "--config", "retention.ms"], "expected name=value"),
            (["topic", "add-partitions", "t", "--partitions", "0"], "must be at least 1"),
            (["config", "describe"], "name a resource"),
            (["config", "set", "--topic", "t"], "needs name=value"),
            (["config", "set", "--topic", "t", "--topic", "u", "a=b"], "one resource at a time"),
            (["config", "delete", "--broker", "1"], "needs an entry name"),
            (["group", "list", "--state", "sleepy"], "--state 'sleepy'"),
            (["group", "reset-offsets", "g", "-t", "t", "--to", "soon"], "'soon' is not earliest"),
            (["group", "reset-offsets", "g", "--to", "earliest"], "needs a topic"),
            (["group", "delete-offsets", "g", "-t", "t:x"], "expected TOPIC or TOPIC:PARTITION"),
            (["records", "delete", "-t", "t=5"], "an offset needs a partition"),
            (["records", "delete", "-t", "t:0=-3"], "is not an offset >= 0 or end"),
            (["acl", "create", "--topic", "t", "--operation", "Read"], "needs --principal"),
            (["acl", "create", "--topic", "t", "--principal", "alice", "--operation", "Read"], "Type:name"),
            (["acl", "create", "--topic", "t", "--principal", "User:a", "--operation", "Fly"], "--operation 'Fly'"),
            (["acl", "list", "--topic", "t", "--group", "g"], "one of --topic, --group and --cluster"),
            (["acl", "delete", "--execute"], "would delete every ACL"),
            (["cluster", "--timeout", "0"], "--timeout needs"),
            (["topic", "list", "-X", "nonsense"], "prop=value"),
        ]
    )
    func refusals(arguments: [String], message: String) async throws {
        let result = try await admin(arguments + ["-b", "127.0.0.1:1"])
        #expect(result.status != 0 && result.status != 1, "a usage error: \(result.status)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(
        "against the embedded cluster: the cluster, topics and offsets; dry runs change nothing; admin requests fail fast"
    )
    func embeddedCluster() async throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueCLIName("admin-cli")
        try await cluster.createTopic(topic, partitions: 2)
        let b = cluster.bootstrapServers
        let send = try await runCLI("kafka-send", ["-b", b, "-t", topic, "-p", "0"], stdin: Data("a\nb\nc\n".utf8))
        #expect(send.status == 0, "\(send.stderr)")

        let clusterJSON = try await admin(["cluster", "-J", "-b", b])
        #expect(clusterJSON.status == 0, "\(clusterJSON.stderr)")
        #expect(clusterJSON.stdout.contains("\"brokers\":[{\"id\":1,"), "\(clusterJSON.stdout)")
        #expect(clusterJSON.stdout.hasSuffix("}\n"))

        let list = try await admin(["topic", "list", "-b", b])
        #expect(list.stdout.contains("\(topic)  2") || list.stdout.contains("\(topic) "), "\(list.stdout)")
        let describe = try await admin(["topic", "describe", topic, "-b", b])
        #expect(describe.status == 0, "\(describe.stderr)")
        #expect(
            describe.stdout.contains("Topic: \(topic)\tPartitionCount: 2\tReplicationFactor: "),
            "\(describe.stdout)"
        )

        let dryDelete = try await admin(["topic", "delete", topic, "-b", b])
        #expect(dryDelete.status == 0, "\(dryDelete.stderr)")
        #expect(dryDelete.stdout.contains("would delete topic \(topic) (2 partitions) and its messages"))
        #expect(dryDelete.stdout.contains("dry run: nothing changed (add --execute to do it)"))
        #expect(try await admin(["topic", "list", "-b", b]).stdout.contains(topic), "the dry run deleted nothing")

        let dryRecords = try await admin(["records", "delete", "-t", "\(topic):0=1", "-b", b])
        #expect(
            dryRecords.stdout.contains("would delete the messages of \(topic):0 before offset 1 (now [0, 3))"),
            "\(dryRecords.stdout)"
        )

        let group = uniqueCLIName("admin-cli-group")
        let dryReset = try await admin(["group", "reset-offsets", group, "-t", topic, "--to", "latest", "-b", b])
        #expect(dryReset.status == 0, "\(dryReset.stderr)")
        #expect(dryReset.stdout.contains("dry run: nothing committed"))
        let before = try await admin(["group", "offsets", group, "-t", topic, "-J", "-b", b])
        #expect(before.stdout.contains("\"partition\":0,\"committed\":-1,\"high\":3,\"lag\":3"), "\(before.stdout)")
        let reset = try await admin([
            "group", "reset-offsets", group, "-t", "\(topic):0", "--to=-1", "--execute", "-b", b,
        ])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout.contains("committed the new offsets for group \(group)"))
        let after = try await admin(["group", "offsets", group, "-t", topic, "-J", "-b", b])
        #expect(
            after.stdout.contains("\"partition\":0,\"committed\":0,\"high\":3,\"lag\":3"),
            "shift -1 from nothing: clamped to 0: \(after.stdout)"
        )
        let latest = try await admin([
            "group", "reset-offsets", group, "-t", topic, "--to", "latest", "--execute", "-J", "-b", b,
        ])
        #expect(latest.stdout.contains("\"partition\":0,\"current\":0,\"new\":3,\"executed\":true"), "\(latest.stdout)")

        let dryGroupDelete = try await admin(["group", "delete", group, "-b", b])
        #expect(dryGroupDelete.status == 0, "\(dryGroupDelete.stderr)")
        #expect(
            dryGroupDelete.stdout == "would delete consumer group \(group) and its committed offsets\n"
                + "dry run: nothing changed (add --execute to do it)\n",
            "\(dryGroupDelete.stdout)"
        )
        let dryOffsetDelete = try await admin(["group", "delete-offsets", group, "-t", topic, "-b", b])
        #expect(dryOffsetDelete.stdout.contains("would delete group \(group)'s committed offset of \(topic):0\n"))
        #expect(dryOffsetDelete.stdout.contains("would delete group \(group)'s committed offset of \(topic):1\n"))
        let stillCommitted = try await admin(["group", "offsets", group, "-t", topic, "-J", "-b", b])
        #expect(stillCommitted.stdout.contains("\"partition\":0,\"committed\":3"), "the dry runs changed nothing")

        for (arguments, operation) in [
            (["topic", "create", "x", "--partitions", "1"], "CreateTopics"),
            (["topic", "delete", topic, "--execute"], "DeleteTopics"),
            (["config", "describe", "--topic", topic], "DescribeConfigs"),
            (["group", "describe", group], "DescribeConsumerGroups"),
            (["group", "delete", group, "--execute"], "DeleteGroups"),
            (["acl", "list"], "DescribeAcls"),
        ] {
            let started = ContinuousClock.now
            let result = try await admin(arguments + ["-b", b])
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("kafka-admin: \(operation): "), "\(result.stderr)")
            #expect(ContinuousClock.now - started < .seconds(15), "\(arguments) failed fast (the timeout is 30 s)")
        }
        await cluster.shutdown()
    }

    @Test(
        "against Tansu: create (again: exit 1, or 0 with --if-not-exists), config set with a dry run, describe, delete",
        .enabled(if: TansuBroker.unavailableReason == nil, Comment(rawValue: TansuBroker.unavailableReason ?? ""))
    )
    func tansu() async throws {
        let tansu = try await TansuBroker.start()
        let b = tansu.bootstrapServers
        let topic = uniqueCLIName("admin-cli-tansu")
        let created = try await admin(["topic", "create", topic, "--partitions", "2", "-b", b])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("\(topic)  ok"), "\(created.stdout)")
        let again = try await admin(["topic", "create", topic, "--partitions", "2", "-J", "-b", b])
        #expect(again.status == 1)
        #expect(again.stdout.contains("\"code\":\"TOPIC_ALREADY_EXISTS\""), "\(again.stdout)")
        #expect(try await admin(["topic", "create", topic, "--if-not-exists", "-b", b]).status == 0)
        #expect(
            try await admin(["topic", "list", "-J", "-b", b]).stdout.contains(
                "{\"topic\":\"\(topic)\",\"partitions\":2,\"internal\":false}"
            )
        )

        let dry = try await admin(["config", "set", "--topic", topic, "retention.ms=1000", "-b", b])
        #expect(dry.stdout.contains("would set retention.ms=1000 on topic \(topic) (now: (not set))"), "\(dry.stdout)")
        let set = try await admin(["config", "set", "--topic", topic, "retention.ms=1000", "--execute", "-b", b])
        #expect(set.status == 0, "\(set.stderr)")
        let described = try await admin(["config", "describe", "--topic", topic, "--all", "-J", "-b", b])
        #expect(described.stdout.contains("{\"name\":\"retention.ms\",\"value\":\"1000\""), "\(described.stdout)")

        let dryConfigDelete = try await admin(["config", "delete", "--topic", topic, "retention.ms", "-b", b])
        #expect(
            dryConfigDelete.stdout.contains("would delete retention.ms on topic \(topic) (now: 1000)"),
            "\(dryConfigDelete.stdout)"
        )
        let dryACLDelete = try await admin(["acl", "delete", "--topic", topic, "-b", b])
        #expect(dryACLDelete.status == 0, "\(dryACLDelete.stderr)")
        #expect(dryACLDelete.stdout == "dry run: nothing changed (add --execute to do it)\n", "no ACL matches")

        let dryDelete = try await admin(["topic", "delete", topic, "-b", b])
        #expect(dryDelete.stdout.contains("would delete topic \(topic)"))
        let deleted = try await admin(["topic", "delete", topic, "--execute", "-b", b])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(!(try await admin(["topic", "list", "-b", b])).stdout.contains(topic))
        let listed = try await admin(["group", "list", "-b", b])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.hasPrefix("GROUP  STATE\n"))
        await tansu.stop()
    }
}

private func uniqueCLIName(_ prefix: String) -> String { "\(prefix)-\(UInt32.random(in: 0...UInt32.max))" }
