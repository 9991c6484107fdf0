import Foundation
import Kafka
import KafkaCLISupport
import KafkaTesting
import Testing

@Suite("kafka-send and kafka-tail", .timeLimit(.minutes(3)))
struct CLITests {
    @Test("--version names the librdkafka each tool runs on: the one this test process loaded")
    func version() async throws {
        for tool in ["kafka-send", "kafka-tail", "kafka-dev-cluster"] {
            let result = try await runCLI(tool, ["--version"])
            #expect(result.status == 0, "\(tool): \(result.stderr)")
            #expect(
                result.stdout.hasPrefix("\(tool) (swift-kafka) on librdkafka \(Librdkafka.version)"),
                "\(result.stdout)"
            )
        }
    }

    @Test("printf 'a\\nb\\nc\\n' | kafka-send, then kafka-tail -o beginning -e prints a b c")
    func roundTripLines() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-lines")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let send = try await runCLI(
                "kafka-send",
                ["-b", cluster.bootstrapServers, "-t", topic],
                stdin: Data("a\nb\nc\n".utf8)
            )
            #expect(send.status == 0, "kafka-send failed: \(send.stderr)")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", cluster.bootstrapServers, "-t", topic, "-o", "beginning", "-e"]
            )
            #expect(tail.status == 0, "kafka-tail failed: \(tail.stderr)")
            #expect(tail.stdout == "a\nb\nc\n")
        }
    }

    @Test("2,000 lines sent to one partition come back in the order they were read")
    func orderIsKept() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-order")
            try await cluster.createTopic(topic, partitions: 3, replicationFactor: 1)
            let lines = (0..<2_000).map { "line-\($0)" }
            let input = Data((lines.joined(separator: "\n") + "\n").utf8)
            let send = try await runCLI(
                "kafka-send",
                ["-b", cluster.bootstrapServers, "-t", topic, "-p", "2"],
                stdin: input
            )
            #expect(send.status == 0, "kafka-send failed: \(send.stderr)")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", cluster.bootstrapServers, "-t", topic, "-p", "2", "-o", "beginning", "-e"]
            )
            #expect(tail.status == 0, "kafka-tail failed: \(tail.stderr)")
            #expect(tail.stdout.split(separator: "\n").map(String.init) == lines)
        }
    }

    @Test("every line of a multi-partition topic comes back once; -e waits for every partition's end")
    func roundTripManyPartitions() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-parts")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            let lines = (0..<500).map { "line-\($0)" }
            let input = Data((lines.joined(separator: "\n") + "\n").utf8)
            let send = try await runCLI("kafka-send", ["-b", cluster.bootstrapServers, "-t", topic], stdin: input)
            #expect(send.status == 0, "kafka-send failed: \(send.stderr)")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", cluster.bootstrapServers, "-t", topic, "-o", "beginning", "-e"]
            )
            #expect(tail.status == 0, "kafka-tail failed: \(tail.stderr)")
            let printed = tail.stdout.split(separator: "\n").map(String.init)
            #expect(printed.count == lines.count)
            #expect(Set(printed) == Set(lines))
        }
    }

    @Test("group mode reads the topic from the beginning, and -c stops after a count")
    func groupMode() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-group")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let send = try await runCLI(
                "kafka-send",
                ["-b", cluster.bootstrapServers, "-t", topic, "-p", "1"],
                stdin: Data("x\ny\nz\n".utf8)
            )
            #expect(send.status == 0, "kafka-send failed: \(send.stderr)")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", cluster.bootstrapServers, "-t", topic, "-G", uniqueName("g"), "-o", "beginning", "-c", "2"]
            )
            #expect(tail.status == 0, "kafka-tail failed: \(tail.stderr)")
            #expect(tail.stdout == "x\ny\n")
        }
    }

    @Test("kafka-send exits non-zero with the reason when messages cannot be delivered")
    func sendFailureIsReported() async throws {
        let send = try await runCLI(
            "kafka-send",
            ["-b", "127.0.0.1:1", "-t", "nowhere", "-X", "message.timeout.ms=500", "-q"],
            stdin: Data("lost\nalso lost\n".utf8)
        )
        #expect(send.status == 1)
        #expect(send.stderr.contains("0 of 2 messages delivered"), "\(send.stderr)")
        #expect(send.stderr.contains("2 messages were not delivered"), "\(send.stderr)")
        #expect(send.stderr.contains("line 1"))
        #expect(send.stderr.contains("_MSG_TIMED_OUT"))
    }

    @Test("bad flags and properties are clear errors, not crashes")
    func badInput() async throws {
        let noTopic = try await runCLI("kafka-send", ["-b", "localhost:9092"])
        #expect(noTopic.status != 0)
        #expect(noTopic.stderr.contains("-t"))
        let badProperty = try await runCLI(
            "kafka-send",
            ["-b", "localhost:9092", "-t", "t", "-X", "acks=banana"],
            stdin: Data()
        )
        #expect(badProperty.status == 2)
        #expect(badProperty.stderr.contains("acks"))
        #expect(badProperty.stderr.contains("banana"))
        let badOffset = try await runCLI("kafka-tail", ["-b", "localhost:9092", "-t", "t", "-o", "yesterday"])
        #expect(badOffset.status != 0)
        #expect(badOffset.stderr.contains("invalid offset 'yesterday'"))
        #expect(!badOffset.stderr.contains("Fatal error"))
    }

    @Test("kafka-dev-cluster prints its bootstrap list first, serves it, and stops on SIGTERM")
    func devCluster() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("bootstrap")).path
        let (process, out, err) = try startCLI(
            "kafka-dev-cluster",
            ["--brokers", "2", "--topic", "demo:3", "--bootstrap-file", file]
        )
        defer { if process.isRunning { process.terminate() } }  // also when an expectation below throws
        // The first line of stdout is the bootstrap list.
        var firstLine = Data()
        while !firstLine.contains(0x0A) {
            let chunk = readChunk(out.fileHandleForReading)
            if chunk.isEmpty { break }
            firstLine.append(chunk)
        }
        let bootstrap = String(decoding: firstLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bootstrap.split(separator: ",").count == 2)
        #expect(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines) == bootstrap)

        let send = try await runCLI("kafka-send", ["-b", bootstrap, "-t", "demo"], stdin: Data("hello\n".utf8))
        #expect(send.status == 0, "\(send.stderr)")
        let tail = try await runCLI("kafka-tail", ["-b", bootstrap, "-t", "demo", "-o", "beginning", "-e"])
        #expect(tail.stdout == "hello\n")

        process.terminate()  // SIGTERM
        let result = await finish(process, out, err, timeout: .seconds(30))
        #expect(result.status == 0)
    }
}

@Suite("CLI argument parsing")
struct CLIParsingTests {
    @Test("offsets as kcat spells them")
    func offsets() throws {
        #expect(try parseOffsetArgument("beginning") == .beginning)
        #expect(try parseOffsetArgument("end") == .end)
        #expect(try parseOffsetArgument("stored") == .stored)
        #expect(try parseOffsetArgument("42") == KafkaOffset(42))
        #expect(try parseOffsetArgument("-10") == .tail(10))
        #expect(throws: OffsetArgumentError.self) { try parseOffsetArgument("-0") }
        #expect(throws: OffsetArgumentError.self) { try parseOffsetArgument("soon") }
    }

    @Test("-X prop=value keeps '=' in the value and refuses entries without a name")
    func properties() throws {
        let (key, value) = try parseProperty("sasl.jaas=a=b")
        #expect(key == "sasl.jaas")
        #expect(value == "a=b")
        #expect(throws: (any Error).self) { try parseProperty("novalue") }
        #expect(throws: (any Error).self) { try parseProperty("=x") }
    }
}
