import Foundation
import Kafka
import KafkaCLISupport
import KafkaTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Group mode (-G): -o and -e work there too, what was printed is committed; --lag and --reset-offsets.
@Suite("CLI consumer groups", .timeLimit(.minutes(3)))
struct CLIGroupTests {
    private func fill(_ b: String, _ topic: String, partitions sizes: [Int]) async throws {
        for (p, n) in sizes.enumerated() where n > 0 {
            let input = (0..<n).map { "p\(p)-\($0)" }.joined(separator: "\n") + "\n"
            let send = try await runCLI("kafka-send", ["-b", b, "-t", topic, "-p", "\(p)"], stdin: Data(input.utf8))
            #expect(send.status == 0, "\(send.stderr)")
        }
    }

    @Test(
        "-G with -o beginning -e reads every partition of the topics (given after the flags) once and exits; --lag then shows everything committed"
    )
    func groupExitAtEnd() async throws {
        try await groupExitAtEnd(properties: ["-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"])
    }

    @Test(
        "-X group.protocol=consumer (KIP-848): -G with -o beginning -e reads every partition once and exits; --lag then shows everything committed",
        .enabled(
            if: KafkaTestEnvironment.consumerGroupProtocolUnavailableReason == nil,
            Comment(rawValue: KafkaTestEnvironment.consumerGroupProtocolUnavailableReason ?? "")
        )
    )
    func groupExitAtEndConsumerProtocol() async throws {
        try await groupExitAtEnd(properties: ["-X", "group.protocol=consumer"])
    }

    private func groupExitAtEnd(properties: [String]) async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-g-e")
            try await cluster.createTopic(topic, partitions: 3, replicationFactor: 1)
            let b = cluster.bootstrapServers
            try await fill(b, topic, partitions: [5, 0, 12])
            let group = uniqueName("g")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-G", group, "-o", "beginning", "-e"] + properties + [topic]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            let printed = tail.stdout.split(separator: "\n").map(String.init)
            #expect(printed.count == 17)
            #expect(Set(printed) == Set((0..<5).map { "p0-\($0)" } + (0..<12).map { "p2-\($0)" }))
            let lag = try await runCLI("kafka-tail", ["-b", b, "--lag", "-G", group, "-t", topic, "-J"])
            #expect(lag.status == 0, "\(lag.stderr)")
            #expect(
                lag.stdout == """
                    {"group":"\(group)","topic":"\(topic)","partition":0,"committed":5,"high":5,"lag":0}
                    {"group":"\(group)","topic":"\(topic)","partition":1,"committed":-1,"high":0,"lag":0}
                    {"group":"\(group)","topic":"\(topic)","partition":2,"committed":12,"high":12,"lag":0}

                    """
            )
        }
    }

    @Test("--reset-offsets: a dry run changes nothing; --execute commits; the group then reads from there")
    func resetAndLag() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-reset")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let b = cluster.bootstrapServers
            try await fill(b, topic, partitions: [10, 4])
            let group = uniqueName("g")
            let dry = try await runCLI("kafka-tail", ["-b", b, "--reset-offsets", "latest", "-G", group, "-t", topic])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("dry run"))
            let before = try await runCLI("kafka-tail", ["-b", b, "--lag", "-G", group, "-t", topic])
            #expect(before.stdout.contains("total lag: 14"), "\(before.stdout)")

            let latest = try await runCLI(
                "kafka-tail",
                ["-b", b, "--reset-offsets", "latest", "-G", group, "-t", topic, "--execute"]
            )
            #expect(latest.status == 0, "\(latest.stderr)")
            let none = try await runCLI("kafka-tail", ["-b", b, "--lag", "-G", group, "-t", topic, "-J"])
            #expect(none.stdout.contains(#""partition":0,"committed":10,"high":10,"lag":0"#), "\(none.stdout)")

            let offset = try await runCLI(
                "kafka-tail",
                ["-b", b, "--reset-offsets", "7", "-G", group, "-t", topic, "--execute"]
            )
            #expect(offset.status == 0, "\(offset.stderr)")
            let after = try await runCLI("kafka-tail", ["-b", b, "--lag", "-G", group, "-t", topic])
            // partition 0: 10 - 7; partition 1: 7 is clamped to its high watermark 4.
            #expect(after.stdout.contains("total lag: 3"), "\(after.stdout)")
            #expect(offset.stdout.contains(topic))

            let read = try await runCLI(
                "kafka-tail",
                [
                    "-b", b, "-G", group, "-t", topic, "-e", "-X", "session.timeout.ms=6000", "-X",
                    "heartbeat.interval.ms=500",
                ]
            )
            #expect(read.status == 0, "\(read.stderr)")
            #expect(read.stdout == "p0-7\np0-8\np0-9\n")
        }
    }

    @Test("SIGTERM in group mode: stops, commits exactly what was printed, leaves the group, exits 0")
    func terminateCommitsPrinted() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-g-term")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            try await fill(b, topic, partitions: [25])
            let group = uniqueName("g")
            let (process, out, err) = try startCLI(
                "kafka-tail",
                [
                    "-b", b, "-G", group, "-t", topic, "-o", "beginning", "-u", "-X", "session.timeout.ms=6000", "-X",
                    "enable.auto.commit=false",
                ]
            )
            defer { if process.isRunning { process.terminate() } }
            // All 25 printed (-u: unbuffered), then it waits for more.
            var seen = Data()
            while seen.filter({ $0 == 0x0A }).count < 25 {
                let chunk = readChunk(out.fileHandleForReading)
                if chunk.isEmpty { break }
                seen.append(chunk)
            }
            process.terminate()  // SIGTERM
            let result = await finish(process, out, err, timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(seen.filter({ $0 == 0x0A }).count == 25)
            let lag = try await runCLI("kafka-tail", ["-b", b, "--lag", "-G", group, "-t", topic, "-J"])
            #expect(lag.stdout.contains(#""committed":25,"high":25,"lag":0"#), "\(lag.stdout)")
        }
    }
}

/// Topic selection and start positions in group mode.
@Suite("CLI topic selection", .timeLimit(.minutes(3)))
struct CLITopicSelectionTests {
    @Test("^regex topics without -G read every matching topic, and nothing else")
    func regexTopics() async throws {
        try await withKafkaTestCluster { cluster in
            let prefix = uniqueName("cli-rx")
            let b = cluster.bootstrapServers
            for suffix in ["a", "b", "other"] {
                try await cluster.createTopic("\(prefix)-\(suffix)", partitions: 1, replicationFactor: 1)
                let send = try await runCLI(
                    "kafka-send",
                    ["-b", b, "-t", "\(prefix)-\(suffix)"],
                    stdin: Data("\(suffix)\n".utf8)
                )
                #expect(send.status == 0, "\(send.stderr)")
            }
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", "^\(prefix)-[ab]$", "-o", "beginning", "-e", "-f", "%t %s\\n"]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(Set(tail.stdout.split(separator: "\n").map(String.init)) == ["\(prefix)-a a", "\(prefix)-b b"])
        }
    }

    @Test("-G with -o -N starts each partition N before its end, whatever the group committed")
    func groupRelativeStart() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-g-tail")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let b = cluster.bootstrapServers
            for p in 0..<2 {
                let input = (0..<6).map { "p\(p)-\($0)" }.joined(separator: "\n") + "\n"
                let send = try await runCLI(
                    "kafka-send",
                    ["-b", b, "-t", topic, "-p", "\(p)"],
                    stdin: Data(input.utf8)
                )
                #expect(send.status == 0, "\(send.stderr)")
            }
            let group = uniqueName("g")
            // The group has committed offset 1 everywhere; -o -2 must win over it.
            let reset = try await runCLI(
                "kafka-tail",
                ["-b", b, "--reset-offsets", "1", "-G", group, "-t", topic, "--execute"]
            )
            #expect(reset.status == 0, "\(reset.stderr)")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-G", group, "-t", topic, "-o", "-2", "-e", "-X", "session.timeout.ms=6000"]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(Set(tail.stdout.split(separator: "\n").map(String.init)) == ["p0-4", "p0-5", "p1-4", "p1-5"])
            #expect(tail.stdout.split(separator: "\n").count == 4)
        }
    }

    @Test("--reset-offsets @timestamp (needs a real broker: the mock answers ListOffsets by timestamp with -1)")
    func resetToTimestamp() async throws {
        try await withKafkaTestCluster { cluster in
            guard !cluster.isEmbedded else {
                print(
                    "skipped: --reset-offsets @ts needs ListOffsets by timestamp, which the embedded (mock) cluster does not answer"
                )
                return
            }
            let topic = uniqueName("cli-reset-ts")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let lines = (0..<10).map { #"{"ts":\#(1_700_000_000_000 + $0 * 1_000),"payload":"m\#($0)"}"# }
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-J"],
                stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            let group = uniqueName("g")
            let reset = try await runCLI(
                "kafka-tail",
                ["-b", b, "--reset-offsets", "@1700000003000", "-G", group, "-t", topic, "--execute"]
            )
            #expect(reset.status == 0, "\(reset.stderr)")
            let lag = try await runCLI("kafka-tail", ["-b", b, "--lag", "-G", group, "-t", topic, "-J"])
            #expect(lag.stdout.contains(#""committed":3,"high":10,"lag":7"#), "\(lag.stdout)")
        }
    }
}
