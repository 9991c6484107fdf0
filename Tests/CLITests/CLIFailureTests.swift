import Foundation
import Kafka
import KafkaCLISupport
import KafkaTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Malformed input, bad flags and signals: clear errors with line numbers, and nothing read is lost.
@Suite("CLI errors and signals", .timeLimit(.minutes(3)))
struct CLIFailureTests {
    /// Sends `input`, expects the named failure at `line`, and checks that exactly `delivered` came through.
    private func expectBadLine(
        _ cluster: any KafkaTestCluster,
        arguments: [String],
        input: String,
        line: Int,
        problem: String,
        delivered: [String],
        format: String = "%s\\n"
    ) async throws {
        let topic = uniqueName("cli-bad")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        let b = cluster.bootstrapServers
        let send = try await runCLI("kafka-send", ["-b", b, "-t", topic] + arguments, stdin: Data(input.utf8))
        #expect(send.status == 1, "\(send.stderr)")
        #expect(send.stderr.contains("line \(line): \(problem)"), "\(send.stderr)")
        #expect(!send.stderr.contains("Fatal error"))
        let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e", "-f", format])
        #expect(tail.stdout == delivered.map { $0 + "\n" }.joined(), "everything before line \(line) is delivered")
    }

    @Test(
        "bad JSON, a missing -K delimiter, an unknown *_encoding, a value over message.max.bytes: named with their line; every message before is delivered"
    )
    func malformedLines() async throws {
        try await withKafkaTestCluster { cluster in
            try await expectBadLine(
                cluster,
                arguments: ["-J"],
                input: "{\"payload\":\"a\"}\n{\"payload\":\"b\"}\n{\"payload\": oops}\n{\"payload\":\"d\"}\n",
                line: 3,
                problem: "bad JSON",
                delivered: ["a", "b"]
            )
            try await expectBadLine(
                cluster,
                arguments: ["-K", "::"],
                input: "k1::v1\nk2::v2\nk3::v3\nno delimiter here\nk5::v5\n",
                line: 4,
                problem: "no key delimiter '::'",
                delivered: ["k1=v1", "k2=v2", "k3=v3"],
                format: "%k=%s\\n"
            )
            try await expectBadLine(
                cluster,
                arguments: ["-J"],
                input:
                    "{\"payload\":\"YQ==\",\"payload_encoding\":\"base64\"}\n{\"payload\":\"x\",\"payload_encoding\":\"rot13\"}\n",
                line: 2,
                problem: "unknown payload_encoding 'rot13'",
                delivered: ["a"]
            )
            let big = String(repeating: "x", count: 5_000)
            try await expectBadLine(
                cluster,
                arguments: ["-X", "message.max.bytes=2000"],
                input: "small 1\nsmall 2\n\(big)\nsmall 4\n",
                line: 3,
                problem: "KafkaError.MSG_SIZE_TOO_LARGE",
                delivered: ["small 1", "small 2"]
            )
        }
    }

    @Test("--skip-bad-lines sends the good lines, counts the bad ones and names them")
    func skipBadLines() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-skip")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let input = "{\"payload\":\"1\"}\nnot json\n{\"payload\":\"3\"}\n{\"nopayload\":1}\n{\"payload\":\"5\"}\n"
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-J", "--skip-bad-lines"],
                stdin: Data(input.utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            #expect(send.stderr.contains("3 of 3 messages delivered"), "\(send.stderr)")
            #expect(send.stderr.contains("2 bad lines skipped"))
            #expect(send.stderr.contains("line 2: bad JSON"))
            #expect(send.stderr.contains("line 4: no \"payload\""))
            let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e"])
            #expect(tail.stdout == "1\n3\n5\n")
        }
    }

    @Test("bad flags and combinations are one clear line each, never a crash")
    func badFlags() async throws {
        let cases: [(String, [String], String)] = [
            ("kafka-send", ["-t", "t", "-K"], "-K needs a delimiter"),
            ("kafka-send", ["-t", "t", "-p", "two"], "partition must be a number"),
            ("kafka-send", ["-b", "x:1"], "-t needs a topic"),
            ("kafka-send", ["-t", "t", "-z", "zip"], "-z: unknown codec 'zip'"),
            ("kafka-send", ["-t", "t", "-J", "-K:"], "-K cannot be combined with -J"),
            ("kafka-send", ["-t", "t", "-D", "\\x"], "'\\x' needs hex digits"),
            ("kafka-send", ["-t", "t", "-X", "novalue"], "-X needs prop=value"),
            ("kafka-tail", ["-e"], "-e and -G need a topic"),
            ("kafka-tail", ["-G", "g"], "-e and -G need a topic"),
            ("kafka-tail", ["-t", "t", "-p", "x"], "partition must be a number"),
            ("kafka-tail", ["-t", "t", "-G", "g", "-p", "1"], "-p cannot be used with -G"),
            ("kafka-tail", ["-t", "t", "-o", "yesterday"], "invalid offset 'yesterday'"),
            ("kafka-tail", ["-t", "t", "-f", "%x"], "unknown token '%x'"),
            ("kafka-tail", ["-t", "t", "-f", "%s", "-J"], "-f and -J cannot be combined"),
            ("kafka-tail", ["--lag", "-t", "t"], "--lag needs -G group"),
            ("kafka-tail", ["--reset-offsets", "soon", "-G", "g", "-t", "t"], "'soon' is not earliest, latest"),
            ("kafka-tail", ["--execute", "-t", "t"], "--execute goes with --reset-offsets"),
            ("kafka-tail", ["-t", "^(", "-e"], "invalid regular expression"),
        ]
        for (tool, arguments, message) in cases {
            let result = try await runCLI(tool, ["-b", "127.0.0.1:1"] + arguments, stdin: Data())
            #expect(result.status == 64, "\(tool) \(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(tool) \(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack"))
        }
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("bad.conf")).path
        try Data("# comment\nacks=all\nthis line is wrong\n".utf8).write(to: URL(fileURLWithPath: config))
        defer { try? FileManager.default.removeItem(atPath: config) }
        let badFile = try await runCLI("kafka-send", ["-b", "127.0.0.1:1", "-t", "t", "-F", config], stdin: Data())
        #expect(badFile.status == 64)
        #expect(badFile.stderr.contains("\(config):3: expected prop=value"), "\(badFile.stderr)")
    }

    @Test("-F reads prop=value lines with # comments; -X wins over it")
    func configFile() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-conf")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let config = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("ok.conf")).path
            try Data("# settings\n\nclient.id = from-file\nacks=banana\n".utf8).write(to: URL(fileURLWithPath: config))
            defer { try? FileManager.default.removeItem(atPath: config) }
            let b = cluster.bootstrapServers
            let refused = try await runCLI("kafka-send", ["-b", b, "-t", topic, "-F", config], stdin: Data("x\n".utf8))
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("banana"))
            let fixed = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-F", config, "-X", "acks=all"],
                stdin: Data("x\n".utf8)
            )
            #expect(fixed.status == 0, "\(fixed.stderr)")
        }
    }

    @Test("SIGINT mid-stream: kafka-send delivers every line read before it, prints the summary, exits 0")
    func interruptDeliversWhatWasRead() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-sigint")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let (process, input, out, err) = try startCLIWithInput("kafka-send", ["-b", b, "-t", topic, "-v"])
            defer { if process.isRunning { process.terminate() } }
            let lines = (0..<5_000).map { "line-\($0)" }
            try input.write(contentsOf: Data((lines.joined(separator: "\n") + "\npartial-no-newline").utf8))
            // Wait until the lines were read (the -v progress line says so), with stdin still open.
            try await waitUntil(timeout: .seconds(20)) {
                let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e"])
                return tail.stdout.split(separator: "\n").count == lines.count
            }
            signal(process, SIGINT)
            let result = await finish(process, out, err, timeout: .seconds(30))
            try? input.close()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("5000 of 5000 messages delivered"), "\(result.stderr)")
            #expect(result.stderr.contains("interrupted"))
            let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e"])
            #expect(tail.stdout.split(separator: "\n").map(String.init) == lines)
        }
    }

    @Test("a closed stdout (| head) ends kafka-tail quietly with status 0")
    func closedStdout() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-head")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let input = (0..<20_000).map { "message number \($0) with some padding to fill the pipe" }.joined(
                separator: "\n"
            )
            let send = try await runCLI("kafka-send", ["-b", b, "-t", topic], stdin: Data(input.utf8))
            #expect(send.status == 0, "\(send.stderr)")
            let tailPath = binDirectory.appendingPathComponent("kafka-tail").path
            let shell = try await runShell(
                "'\(tailPath)' -b \(b) -t \(topic) -o beginning | head -n 3; echo \"status=${PIPESTATUS[0]}\""
            )
            #expect(shell.stdout.hasPrefix("message number 0 with"), "\(shell.stdout)")
            #expect(shell.stdout.contains("status=0"), "\(shell.stdout) \(shell.stderr)")
            #expect(shell.stderr.isEmpty, "\(shell.stderr)")
        }
    }
}

/// Polls `condition` until it holds.
func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    Issue.record("condition not met within \(timeout)")
}

/// Runs a bash command line.
func runShell(_ script: String) async throws -> CLIResult {
    let out = try ChildPipe()
    let err = try ChildPipe()
    let process = try withSpawnsExcluded {
        try ChildProcess.spawn("/bin/bash", ["-c", script], stdout: .pipe(out), stderr: .pipe(err))
    }
    return await finish(process, out, err, timeout: .seconds(60))
}

private let hasScript = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

/// What kafka-send and kafka-tail show on a terminal.
@Suite("CLI on a terminal", .timeLimit(.minutes(3)))
struct CLITerminalTests {
    @Test(
        "on a terminal kafka-send prints its summary; on a pipe it is silent",
        .enabled(if: hasScript, "needs script(1) from util-linux to run kafka-send on a pseudo-terminal")
    )
    func progressOnTerminal() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-tty")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let input = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("tty-input")).path
            try Data(((0..<20_000).map { "line \($0)" }.joined(separator: "\n") + "\n").utf8).write(
                to: URL(fileURLWithPath: input)
            )
            defer { try? FileManager.default.removeItem(atPath: input) }
            let send = binDirectory.appendingPathComponent("kafka-send").path
            // stdin from the file, stdout and stderr on script's pseudo-terminal.
            let onTerminal = try await runShell(
                "/usr/bin/script -qec \"'\(send)' -b \(b) -t \(topic) < '\(input)'\" /dev/null"
            )
            #expect(onTerminal.stdout.contains("20000 of 20000 messages delivered to \(topic)"), "\(onTerminal.stdout)")
            let onPipe = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic],
                stdin: try Data(contentsOf: URL(fileURLWithPath: input))
            )
            #expect(onPipe.status == 0)
            #expect(onPipe.stderr.isEmpty, "\(onPipe.stderr)")
        }
    }

    @Test(
        "on a terminal, kafka-tail -v keeps a rate line on stderr with what it printed",
        .enabled(if: hasScript, "needs script(1) from util-linux to run kafka-tail on a pseudo-terminal")
    )
    func tailRateLineOnTerminal() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-tty-tail")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let sent = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic],
                stdin: Data((0..<1_000).map { "m\($0)\n" }.joined().utf8)
            )
            #expect(sent.status == 0)
            let tail = binDirectory.appendingPathComponent("kafka-tail").path
            // No -e: it keeps running, and the rate line comes every 2 s; SIGINT after 5 s ends it (exit 0).
            let onTerminal = try await runShell(
                "/usr/bin/script -qec \"timeout -s INT 5 '\(tail)' -v -b \(b) -t \(topic) -o beginning\" /dev/null"
            )
            #expect(
                onTerminal.stdout.contains("m999"),
                "every message printed: \(onTerminal.stdout.prefix(120).debugDescription)"
            )
            #expect(onTerminal.stdout.contains("msg/s, printed 1000"), "\(onTerminal.stdout.suffix(300))")
        }
    }
}
