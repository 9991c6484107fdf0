import Foundation
import Kafka
import KafkaTesting
import Testing

/// kafka-send --transactional-id and kafka-tail --isolation.
@Suite("CLI transactions", .timeLimit(.minutes(3)))
struct CLITransactionTests {
    /// Values of partition 0 of `topic` through kafka-tail with `isolation`, with the offset of each.
    private func tail(_ cluster: any KafkaTestCluster, _ topic: String, isolation: String) async throws -> [String] {
        let result = try await runCLI(
            "kafka-tail",
            [
                "-b", cluster.bootstrapServers, "-t", topic, "-p", "0", "-o", "beginning", "-e", "--isolation",
                isolation,
                "-f", "%o %s\\n",
            ]
        )
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("the whole input commits as transactions of --transaction-size; the summary counts them")
    func committedInBatches() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-txn")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let input = (0..<10).map { "m\($0)" }.joined(separator: "\n") + "\n"
            let send = try await runCLI(
                "kafka-send",
                [
                    "-b", cluster.bootstrapServers, "-t", topic, "-p", "0", "--transactional-id", uniqueName("cli-id"),
                    "--transaction-size", "4", "-v",
                ],
                stdin: Data(input.utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            #expect(send.stderr.contains("committed 10 messages in 3 transactions"), "\(send.stderr)")
            let lines = try await tail(cluster, topic, isolation: "read_uncommitted")
            #expect(lines.map { $0.split(separator: " ").last.map(String.init) ?? "" } == (0..<10).map { "m\($0)" })
            if KafkaTestEnvironment.transactionMarkersUnavailableReason == nil {
                // A COMMIT marker after each transaction of 4, 4 and 2 messages.
                #expect(
                    lines.map { $0.split(separator: " ").first.map(String.init) ?? "" }
                        == ["0", "1", "2", "3", "5", "6", "7", "8", "10", "11"]
                )
            }
        }
    }

    @Test("a malformed line aborts the open transaction: exit 1, its line named, what committed and aborted said")
    func badLineAborts() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-txn-bad")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            // Transactions of 2: lines 1-2 commit; line 3 is queued, line 4 has no -K delimiter.
            let send = try await runCLI(
                "kafka-send",
                [
                    "-b", cluster.bootstrapServers, "-t", topic, "-p", "0", "-K:", "--transactional-id",
                    uniqueName("cli-id"), "--transaction-size", "2",
                ],
                stdin: Data("k1:a\nk2:b\nk3:c\nno delimiter\nk5:e\n".utf8)
            )
            #expect(send.status == 1)
            #expect(send.stderr.contains("line 4"), "\(send.stderr)")
            #expect(
                send.stderr.contains("committed 2 messages in 1 transaction; aborted 1 message (1 transaction)"),
                "\(send.stderr)"
            )
            let values = try await tail(cluster, topic, isolation: "read_uncommitted").map {
                $0.split(separator: " ").last.map(String.init) ?? ""
            }
            // The aborted message was purged before it was sent, or written and marked aborted; e is never sent.
            #expect(values == ["a", "b"] || values == ["a", "b", "c"], "\(values)")
            if KafkaTestEnvironment.readCommittedUnavailableReason == nil {
                let committed = try await tail(cluster, topic, isolation: "read_committed").map {
                    $0.split(separator: " ").last.map(String.init) ?? ""
                }
                #expect(committed == ["a", "b"])
            }
        }
    }

    @Test("SIGINT aborts the open transaction: exit 1, what committed and what aborted said")
    func interruptAborts() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-txn-sigint")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let (process, input, out, err) = try startCLIWithInput(
                "kafka-send",
                [
                    "-b", b, "-t", topic, "-p", "0", "--transactional-id", uniqueName("cli-id"), "--transaction-size",
                    "2",
                ]
            )
            defer { if process.isRunning { process.terminate() } }
            try input.write(contentsOf: Data("one\ntwo\nthree\n".utf8))
            // The first transaction committed (two, and perhaps three, visible to read_uncommitted), stdin open.
            try await waitUntil(timeout: .seconds(20)) {
                try await tail(cluster, topic, isolation: "read_uncommitted").count >= 2
            }
            signal(process, SIGINT)
            let result = await finish(process, out, err, timeout: .seconds(30))
            try? input.close()
            #expect(result.status == 1, "\(result.stderr)")
            #expect(
                result.stderr.contains("committed 2 messages in 1 transaction; aborted 1 message (1 transaction)"),
                "\(result.stderr)"
            )
            #expect(result.stderr.contains("interrupted"), "\(result.stderr)")
        }
    }

    @Test("bad transaction options are usage errors")
    func usage() async throws {
        let size = try await runCLI("kafka-send", ["-b", "localhost:1", "-t", "t", "--transaction-size", "3"])
        #expect(size.status == 64 || size.status == 2, "\(size.stderr)")
        #expect(size.stderr.contains("--transaction-size needs --transactional-id"))
        let idempotence = try await runCLI(
            "kafka-send",
            ["-b", "localhost:1", "-t", "t", "--transactional-id", "x", "-X", "enable.idempotence=false"],
            stdin: Data("a\n".utf8)
        )
        #expect(idempotence.status != 0)
        #expect(idempotence.stderr.contains("enable.idempotence"), "\(idempotence.stderr)")
        let isolation = try await runCLI("kafka-tail", ["-b", "localhost:1", "-t", "t", "--isolation", "dirty"])
        #expect(isolation.status != 0)
        #expect(
            isolation.stderr.contains("--isolation takes read_committed or read_uncommitted"),
            "\(isolation.stderr)"
        )
    }
}
