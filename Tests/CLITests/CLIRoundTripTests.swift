import Foundation
import Kafka
import KafkaCLISupport
import KafkaTesting
import Testing

/// kafka-send into kafka-tail through a cluster: what goes in comes out, keys, headers, NULLs and bytes included.
@Suite("CLI round trips", .timeLimit(.minutes(3)))
struct CLIRoundTripTests {
    @Test("-K: keyed lines: keys and values split at the first ':'; -Z makes empty values NULL")
    func keyedLines() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-keyed")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-K:"],
                stdin: Data("k1:v1\nk2:a:b\n:nokey\nk4:\n".utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            let zero = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-K", ":", "-Z"],
                stdin: Data("k5:\n".utf8)
            )
            #expect(zero.status == 0, "\(zero.stderr)")
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-o", "beginning", "-e", "-f", "%K:%k|%S:%s\\n"]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(tail.stdout == "2:k1|2:v1\n2:k2|3:a:b\n0:|5:nokey\n2:k4|0:\n2:k5|-1:\n")
        }
    }

    @Test(
        "-J round trip: random bytes, empty and NULL keys and values, headers with NULL and binary values, partitions and timestamps are copied faithfully"
    )
    func jsonRoundTrip() async throws {
        try await withKafkaTestCluster { cluster in
            let source = uniqueName("cli-json-src")
            let copy = uniqueName("cli-json-copy")
            try await cluster.createTopic(source, partitions: 3, replicationFactor: 1)
            try await cluster.createTopic(copy, partitions: 3, replicationFactor: 1)
            let b = cluster.bootstrapServers
            var generator = SystemRandomNumberGenerator()
            var lines: [String] = []
            var expected: [(partition: Int, key: [UInt8]?, value: [UInt8]?, headers: [(String, [UInt8]?)], ts: Int64)] =
                []
            for i in 0..<60 {
                let key: [UInt8]? =
                    i % 7 == 0
                    ? nil
                    : i % 5 == 0 ? [] : (0..<(i % 9 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let value: [UInt8]? =
                    i % 6 == 0
                    ? nil
                    : i % 4 == 0
                        ? []
                        : i % 3 == 0
                            ? Array("plain \"text\" é\n\t\u{1}".utf8)
                            : (0..<(i * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let headers: [(String, [UInt8]?)] =
                    i % 2 == 0 ? [("h", Array("v\(i)".utf8)), ("n", nil), ("bin", [0xFF, 0x00, UInt8(i)])] : []
                let ts: Int64 = 1_700_000_000_000 + Int64(i) * 1_000
                let partition = i % 3
                expected.append((partition, key, value, headers, ts))
                func field(_ name: String, _ bytes: [UInt8]?) -> String {
                    guard let bytes else { return "\"\(name)\":null" }
                    return "\"\(name)\":\"\(Base64.encode(bytes))\",\"\(name)_encoding\":\"base64\""
                }
                var line = "{\"partition\":\(partition),\"ts\":\(ts),\(field("key", key)),\(field("payload", value))"
                if !headers.isEmpty {
                    let parts = headers.map { "\"\($0.0)\"," + ($0.1.map { "\"\(Base64.encode($0))\"" } ?? "null") }
                    line += ",\"headers\":[\(parts.joined(separator: ","))],\"headers_encoding\":\"base64\""
                }
                lines.append(line + "}")
            }
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", source, "-J"],
                stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            // kafka-tail -J | kafka-send -J -t copy
            let dump = try await runCLI("kafka-tail", ["-b", b, "-t", source, "-o", "beginning", "-e", "-J"])
            #expect(dump.status == 0, "\(dump.stderr)")
            #expect(dump.stdout.split(separator: "\n").count == 60)
            let load = try await runCLI("kafka-send", ["-b", b, "-J", "-t", copy], stdin: dump.stdoutData)
            #expect(load.status == 0, "\(load.stderr)")
            let copied = try await runCLI("kafka-tail", ["-b", b, "-t", copy, "-o", "beginning", "-e", "-J"])
            #expect(copied.status == 0, "\(copied.stderr)")

            // Parse the copy back and compare with what was sent, message by message (order per partition).
            var got: [Int: [InputMessage]] = [:]
            var gotTS: [Int: [Int64]] = [:]
            for line in copied.stdout.split(separator: "\n") {
                let message = try InputMessage.parseJSONLine(Array(line.utf8))
                #expect(message.topic == copy)
                let p = Int(message.partition ?? -1)
                got[p, default: []].append(message)
                gotTS[p, default: []].append(message.timestamp ?? -1)
            }
            for p in 0..<3 {
                let want = expected.filter { $0.partition == p }
                let have = got[p] ?? []
                #expect(have.count == want.count, "partition \(p)")
                for (w, h) in zip(want, have) {
                    #expect(h.key == w.key)
                    #expect(h.value == w.value)
                    #expect(h.headers.map(\.key) == w.headers.map(\.0))
                    #expect(h.headers.map { $0.value.map { Array(buffer: $0) } } == w.headers.map(\.1))
                }
                #expect(gotTS[p] == want.map(\.ts))
            }
            // Text that is UTF-8 is printed as text, exactly as kcat escapes it.
            #expect(dump.stdout.contains(#""payload":"plain \"text\" é\n\t\u0001""#))
        }
    }

    @Test("--file-as-message sends a 2 MB file as one message, byte for byte")
    func fileAsMessage() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-file")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            // Compressible (a real broker's default max.message.bytes is 1 MB, checked after compression), with
            // newlines inside, which must not split it.
            var text = ""
            var i = 0
            while text.utf8.count < 2 * 1024 * 1024 {
                text += "line \(i) of the big file, with some repeated text to compress\n"
                i += 1
            }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("big")).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let b = cluster.bootstrapServers
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "--file-as-message", "-z", "gzip", "-X", "message.max.bytes=4000000", path]
            )
            #expect(send.status == 0, "\(send.stderr)")
            let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e", "-f", "%S\\n%s"])
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(tail.stdout == "\(text.utf8.count)\n" + text)
        }
    }

    @Test("-f: every kcat token, escapes and %d{strftime} render exactly")
    func formatTokens() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-format")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let line =
                #"{"partition":1,"ts":1700000000123,"key":"kéy","payload":"välue","headers":["a","1","b",null,"a",""]}"#
            let null = #"{"partition":1,"ts":1700000001000,"payload":null}"#
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-J"],
                stdin: Data((line + "\n" + null + "\n").utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            let format = "%t|%p|%o|%T|%k|%K|%s|%S|%h|%%|\\x41\\t%R\\n"
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-p", "1", "-o", "beginning", "-e", "-f", format]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            var want = Data("\(topic)|1|0|1700000000123|kéy|4|välue|6|a=1,b=NULL,a=|%|A\t".utf8)
            want.append(contentsOf: [0, 0, 0, 6, 0x0A])
            want.append(Data("\(topic)|1|1|1700000001000||-1||-1||%|A\t".utf8))
            want.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0A])
            #expect(tail.stdoutData == want)

            let date = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-p", "1", "-o", "beginning", "-c", "1", "-f", "%d{%Y-%m-%dT%H:%M:%S}\\n"],
                environment: ["TZ": "UTC"]
            )
            #expect(date.stdout == "2023-11-14T22:13:20\n")
            let zero = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-p", "1", "-o", "1", "-e", "-Z", "-K", "="]
            )
            #expect(zero.stdout == "NULL=NULL\n")
        }
    }

    @Test("-o -N prints the last N messages of each partition; -o N starts at an offset")
    func relativeOffsets() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-tailN")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let b = cluster.bootstrapServers
            for p in 0..<2 {
                let input = (0..<10).map { "p\(p)-\($0)" }.joined(separator: "\n") + "\n"
                let send = try await runCLI(
                    "kafka-send",
                    ["-b", b, "-t", topic, "-p", "\(p)"],
                    stdin: Data(input.utf8)
                )
                #expect(send.status == 0, "\(send.stderr)")
            }
            let last = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "-3", "-e"])
            #expect(last.status == 0, "\(last.stderr)")
            #expect(
                Set(last.stdout.split(separator: "\n").map(String.init)) == [
                    "p0-7", "p0-8", "p0-9", "p1-7", "p1-8", "p1-9",
                ]
            )
            #expect(last.stdout.split(separator: "\n").count == 6)
            let from = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-p", "1", "-o", "8", "-e"])
            #expect(from.stdout == "p1-8\np1-9\n")
        }
    }

    @Test("-o s@ts starts at a time and -Q -o s@ts reports the offset (needs a real broker)")
    func startAtTimestamp() async throws {
        try await withKafkaTestCluster { cluster in
            guard !cluster.isEmbedded else {
                // librdkafka's mock cluster (2.0.2 and 2.16) answers ListOffsets by timestamp with -1 for every
                // partition, so there is nothing true to check here; this runs when KAFKA_BOOTSTRAP_SERVERS names a
                // real broker.
                print(
                    "skipped: -o s@ts needs ListOffsets by timestamp, which the embedded (mock) cluster does not answer"
                )
                return
            }
            let topic = uniqueName("cli-ts")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let lines = (0..<10).map { #"{"ts":\#(1_700_000_000_000 + $0 * 1_000),"payload":"m\#($0)"}"# }
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-J"],
                stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "s@1700000006500", "-e"])
            #expect(tail.stdout == "m7\nm8\nm9\n")
            let query = try await runCLI("kafka-tail", ["-b", b, "-Q", "-J", "-t", topic, "-o", "s@1700000006500"])
            #expect(query.stdout == "{\"topic\":\"\(topic)\",\"partition\":0,\"low\":0,\"high\":10,\"offset\":7}\n")
        }
    }

    @Test(
        "-o e@ts stops each partition at its first message at or after the time (works on the mock: message timestamps)"
    )
    func stopAtTimestamp() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-ets")
            try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let lines = (0..<10).map {
                #"{"partition":\#($0 % 2),"ts":\#(1_700_000_000_000 + $0 * 1_000),"payload":"m\#($0)"}"#
            }
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-J"],
                stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            // Without -e: exits once both partitions reached the stop time.
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-o", "beginning", "-o", "e@1700000005000"],
                timeout: .seconds(30)
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(Set(tail.stdout.split(separator: "\n").map(String.init)) == ["m0", "m1", "m2", "m3", "m4"])
        }
    }

    @Test("-e with 4 partitions of uneven length (one empty) prints every message once, then exits")
    func exitAtEndUneven() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-uneven")
            try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let sizes = [0, 1, 57, 3_000]
            for (p, n) in sizes.enumerated() where n > 0 {
                let input = (0..<n).map { "p\(p)-\($0)" }.joined(separator: "\n") + "\n"
                let send = try await runCLI(
                    "kafka-send",
                    ["-b", b, "-t", topic, "-p", "\(p)"],
                    stdin: Data(input.utf8)
                )
                #expect(send.status == 0, "\(send.stderr)")
            }
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-o", "beginning", "-e", "-f", "%p %s\\n"]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            var perPartition: [Int: [String]] = [:]
            for line in tail.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                perPartition[Int(parts[0]) ?? -1, default: []].append(String(parts[1]))
            }
            for (p, n) in sizes.enumerated() {
                #expect((perPartition[p] ?? []) == (0..<n).map { "p\(p)-\($0)" }, "partition \(p)")
            }
        }
    }
}

/// Inputs: files, multi-byte delimiters, counts.
@Suite("CLI inputs", .timeLimit(.minutes(3)))
struct CLIInputTests {
    @Test(
        "files are read line by line in order (-l too), -D takes a multi-byte delimiter, -c stops after a count, errors name the file"
    )
    func filesDelimitersCounts() async throws {
        try await withKafkaTestCluster { cluster in
            let topic = uniqueName("cli-files")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let dir = FileManager.default.temporaryDirectory
            let first = dir.appendingPathComponent(uniqueName("one")).path
            let second = dir.appendingPathComponent(uniqueName("two")).path
            try Data("f1-a\nf1-b\n".utf8).write(to: URL(fileURLWithPath: first))
            try Data("f2-a\nf2-b".utf8).write(to: URL(fileURLWithPath: second))
            defer {
                try? FileManager.default.removeItem(atPath: first)
                try? FileManager.default.removeItem(atPath: second)
            }
            let files = try await runCLI("kafka-send", ["-b", b, "-t", topic, "-l", first, second])
            #expect(files.status == 0, "\(files.stderr)")
            let multi = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-D", "<|>"],
                stdin: Data("x<|>y<x|>z<|>".utf8)
            )
            #expect(multi.status == 0, "\(multi.stderr)")
            let counted = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, "-c", "2"],
                stdin: Data("c1\nc2\nc3\n".utf8)
            )
            #expect(counted.status == 0, "\(counted.stderr)")
            let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e"])
            #expect(tail.stdout == "f1-a\nf1-b\nf2-a\nf2-b\nx\ny<x|>z\nc1\nc2\n")
            let firstTwo = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-c", "2"])
            #expect(firstTwo.stdout == "f1-a\nf1-b\n")

            try Data("{\"payload\":\"ok\"}\n{broken\n".utf8).write(to: URL(fileURLWithPath: second))
            let bad = try await runCLI("kafka-send", ["-b", b, "-t", topic, "-J", second])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("\(second): line 2: bad JSON"), "\(bad.stderr)")
            let missing = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic, dir.appendingPathComponent("no-such-file").path]
            )
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no-such-file: No such file or directory"), "\(missing.stderr)")
        }
    }
}

@Suite("--stats", .timeLimit(.minutes(2)))
struct CLIStatisticsTests {
    @Test("kafka-tail --stats prints a summary line per snapshot on stderr, -J the raw JSON; stdout keeps the messages")
    func tailStatistics() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("cli-stats")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let b = cluster.bootstrapServers
            let lines = (0..<50).map { "m\($0)" }
            let send = try await runCLI(
                "kafka-send",
                ["-b", b, "-t", topic],
                stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
            )
            #expect(send.status == 0, "\(send.stderr)")
            // -e ends at the end: a 1 ms interval makes sure snapshots come before that.
            let tail = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-o", "beginning", "-e", "--stats", "0.001"]
            )
            #expect(tail.status == 0, "\(tail.stderr)")
            #expect(tail.stdout.split(separator: "\n").map(String.init) == lines)
            let summaries = tail.stderr.split(separator: "\n").filter { $0.hasPrefix("stats: received") }
            #expect(!summaries.isEmpty, "\(tail.stderr)")
            #expect(summaries.allSatisfy { $0.contains("brokers ") })
            let json = try await runCLI(
                "kafka-tail",
                ["-b", b, "-t", topic, "-o", "beginning", "-e", "-J", "--stats", "0.001"]
            )
            #expect(json.status == 0, "\(json.stderr)")
            let documents = json.stderr.split(separator: "\n").filter {
                $0.hasPrefix("{") && $0.contains("\"type\": \"consumer\"")
            }
            #expect(!documents.isEmpty, "\(json.stderr)")
            #expect(documents.allSatisfy { (try? KafkaStatistics(json: String($0)))?.type == "consumer" })
        }
    }
}
