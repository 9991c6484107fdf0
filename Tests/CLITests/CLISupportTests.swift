import Foundation
import Kafka
import KafkaCLISupport
import NIOCore
import Testing

@Suite("CLI support: pure functions")
struct CLISupportTests {
    @Test("kcat escapes: \\n \\r \\t \\\\ \\0, \\x with 1-3 hex digits truncated to a byte, others literal")
    func escapes() throws {
        #expect(try unescape("a\\nb\\tc\\r") == Array("a\nb\tc\r".utf8))
        #expect(try unescape("\\x41\\x4g\\x414") == [0x41, 0x04, UInt8(ascii: "g"), 0x14])
        #expect(try unescape("\\q\\\\x") == Array("q\\x".utf8))
        #expect(try unescape("\\0|\\x00") == [0, UInt8(ascii: "|"), 0])
        #expect(try unescape("end\\") == Array("end\\".utf8))
        #expect(throws: CLIError.self) { try unescape("\\x") }
    }

    @Test("records split at multi-byte delimiters, including partial delimiter matches and a last record without one")
    func splitting() {
        let splitter = RecordSplitter(delimiter: Array("<>".utf8))
        #expect(
            splitter.splitAll(Array("a<>b<c<>>d<>".utf8)).map { String(decoding: $0, as: UTF8.self) } == [
                "a", "b<c", ">d",
            ]
        )
        #expect(splitter.splitAll(Array("<><>x".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["", "", "x"])
        let lines = RecordSplitter(delimiter: [0x0A])
        #expect(
            lines.splitAll(Array("1\n2\n\n3".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["1", "2", "", "3"]
        )
        #expect(RecordSplitter(delimiter: nil).splitAll(Array("a\nb".utf8)) == [Array("a\nb".utf8)])
        func first(_ delimiter: String, _ text: String) -> Int? {
            Array(text.utf8).withUnsafeBytes { RecordSplitter.firstIndex(of: Array(delimiter.utf8), in: $0) }
        }
        #expect(first("::", "a:b::c::") == 3)
        #expect(first("::", "a:b:") == nil)
        #expect(first(":", ":x") == 0)
        #expect(first("ab", "") == nil)
    }

    @Test("the record reader finds records across reads, with a delimiter split between two reads")
    func readerAcrossChunks() async throws {
        let text = (0..<500).map { "record \($0)" }.joined(separator: "--|--") + "--|--tail"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "reader-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = try openForReading(path)
        defer { closeFile(fd) }
        // 7-byte reads: delimiters straddle reads all the time.
        let reader = RecordReader(fd: fd, delimiter: Array("--|--".utf8), chunkSize: 7)
        var records: [String] = []
        while let chunk = try await reader.next() {
            records += chunk.records.map { String(decoding: chunk[$0].bytes, as: UTF8.self) }
        }
        #expect(records == (0..<500).map { "record \($0)" } + ["tail"])
    }

    /// What a parsed message holds, copied while its chunk is alive (views into a chunk die with it).
    private struct Parsed {
        var topic: String
        var partition: KafkaPartition
        var key: RecordBytes?
        var value: RecordBytes?
        var timestamp: KafkaTimestamp?
    }

    private func parse(_ parser: RecordParser, _ text: String) throws(LineError) -> Parsed {
        let bytes = Array(text.utf8)
        let chunk = RecordChunk(copying: bytes, records: [0..<bytes.count])
        let message = try parser.message(in: chunk, 0..<bytes.count)
        let parsed = Parsed(
            topic: message.topic,
            partition: message.partition,
            key: message.key.map { RecordBytes($0.bytes) },
            value: message.value.map { RecordBytes($0.bytes) },
            timestamp: message.timestamp
        )
        withExtendedLifetime(chunk) {}
        return parsed
    }

    @Test(
        "-K splits at the first delimiter; a line without it is an error; -Z turns empty into NULL; -k is the default key"
    )
    func keyedRecords() throws {
        let parser = RecordParser(mode: .keyed(delimiter: Array("::".utf8)), topic: "t", fixedKey: Array("fixed".utf8))
        let message = try parse(parser, "k::v::w")
        #expect(message.key?.bytes == Array("k".utf8))
        #expect(message.value?.bytes == Array("v::w".utf8))
        #expect(throws: LineError("no key delimiter '::' in the line (-K)")) { try parse(parser, "no delimiter") }
        let nulls = RecordParser(mode: .keyed(delimiter: [0x3A]), topic: "t", emptyIsNull: true)
        let tombstone = try parse(nulls, ":")
        #expect(tombstone.key == nil && tombstone.value == nil)
        let empty = try parse(RecordParser(mode: .keyed(delimiter: [0x3A]), topic: "t"), ":")
        #expect(empty.key?.count == 0 && empty.value?.count == 0)
        let fixed = RecordParser(mode: .plain, topic: "t", partition: 3, fixedKey: Array("fixed".utf8))
        let m = try parse(fixed, "k::")
        #expect(m.key?.bytes == Array("fixed".utf8))
        #expect(m.value?.bytes == Array("k::".utf8))
        #expect(m.partition == KafkaPartition(rawValue: 3))
    }

    @Test(
        "JSON lines: topic/partition/key/payload/headers/ts, base64 encodings, non-string payloads as JSON text, -t/-p win"
    )
    func jsonLines() throws {
        let line = Array(
            #"{"topic":"a","partition":2,"key":"AAH/","key_encoding":"base64","payload":{"x": [1, 2]},"headers":["h","v","n",null],"ts":17,"offset":5}"#
                .utf8
        )
        let input = try InputMessage.parseJSONLine(line)
        #expect(input.topic == "a")
        #expect(input.partition == 2)
        #expect(input.key == [0, 1, 255])
        #expect(input.value == Array(#"{"x": [1, 2]}"#.utf8))
        #expect(input.headers == [KafkaHeader(key: "h", value: "v"), KafkaHeader(key: "n", value: nil)])
        #expect(input.timestamp == 17)
        let object = try InputMessage.parseJSONLine(Array(#"{"payload":null,"headers":{"b":"2","a":"1"}}"#.utf8))
        #expect(object.value == nil)
        #expect(object.headers.map(\.key) == ["b", "a"])
        let parser = RecordParser(mode: .json, topic: "override", partition: 0)
        let message = try parse(parser, String(decoding: line, as: UTF8.self))
        #expect(message.topic == "override")
        #expect(message.partition == KafkaPartition(rawValue: 0))
        #expect(message.timestamp == KafkaTimestamp(millisecondsSinceEpoch: 17))
        #expect(message.key?.bytes == [0, 1, 255])
        #expect(message.value?.bytes == Array(#"{"x": [1, 2]}"#.utf8))
        #expect(throws: LineError("no topic: give -t, or \"topic\" in the JSON line")) {
            try parse(RecordParser(mode: .json, topic: nil), #"{"payload":"x"}"#)
        }
    }

    @Test("bad JSON lines name the problem and the column")
    func jsonErrors() {
        func problem(_ text: String) -> String {
            do {
                _ = try InputMessage.parseJSONLine(Array(text.utf8))
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(problem(#"{"payload": oops}"#) == "bad JSON: unexpected character 'o', expected a value at column 13")
        #expect(problem(#"{"payload": nul}"#) == "bad JSON: invalid literal, expected 'null' at column 16")
        #expect(problem(#"{"payload":"x""#) == "bad JSON: unexpected end of input, expected ',' or '}' at column 15")
        #expect(problem(#"["payload"]"#) == "bad JSON: expected an object {...}")
        #expect(problem(#"{"key":"k"}"#) == "no \"payload\" (use null for a tombstone)")
        #expect(
            problem(#"{"payload":"x","payload_encoding":"hex"}"#) == "unknown payload_encoding 'hex' (use \"base64\")"
        )
        #expect(problem(#"{"payload":"!!","payload_encoding":"base64"}"#) == "\"payload\" is not valid base64")
        #expect(problem(#"{"payload":"x","partition":"1"}"#) == "\"partition\" must be a number >= 0 (or -1 for any)")
        #expect(problem(#"{"payload":"x","headers":["a"]}"#).hasPrefix("\"headers\" array must alternate"))
        #expect(problem(#"{"payload":"\ud800"}"#).hasPrefix("bad JSON: unpaired surrogate"))
        #expect(problem(#"{"payload":"\u00e9\ud83d\ude00"}"#) == "no error")
    }

    @Test("JSON strings are escaped as kcat (yajl) escapes them")
    func jsonEscaping() {
        var out: [UInt8] = []
        Array("q\u{8}\u{c}\n\r\t/\u{1f}\"\\é\u{7f}".utf8).withUnsafeBytes { JSONWriter.appendString($0, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "\"q\\b\\f\\n\\r\\t/\\u001F\\\"\\\\é\u{7f}\"")
    }

    @Test("base64 round trips every length and refuses garbage")
    func base64() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Array(Base64.encode(bytes).utf8)) == bytes)
        }
        #expect(Base64.encode(Array("Man".utf8)) == "TWFu")
        #expect(Base64.encode(Array("Ma".utf8)) == "TWE=")
        #expect(Base64.decode(Array("TWE".utf8)) == Array("Ma".utf8))
        #expect(Base64.decode(Array("T".utf8)) == nil)
        #expect(Base64.decode(Array("TW=E".utf8)) == nil)
        #expect(Base64.decode(Array("T$==".utf8)) == nil)
    }

    @Test("UTF-8 validation refuses overlongs, surrogates, truncations")
    func utf8() {
        #expect(isValidUTF8(Array("héllo €😀".utf8)))
        #expect(!isValidUTF8([0xC0, 0x80]))
        #expect(!isValidUTF8([0xED, 0xA0, 0x80]))
        #expect(!isValidUTF8([0xE2, 0x82]))
        #expect(!isValidUTF8([0xF4, 0x90, 0x80, 0x80]))
        #expect(!isValidUTF8([0xFF]))
    }

    private func message(key: String?, value: [UInt8]?, headers: [KafkaHeader] = []) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: "t",
            partition: KafkaPartition(rawValue: 3),
            offset: KafkaOffset(rawValue: 42),
            key: key.map { KafkaBytes($0) },
            value: value.map { KafkaBytes($0) },
            headers: headers,
            timestamp: KafkaTimestamp(millisecondsSinceEpoch: 1_700_000_000_123),
            timestampType: .createTime
        )
    }

    @Test("the -J envelope is kcat's, with base64 and *_encoding members only for bytes that are not UTF-8")
    func envelope() {
        var out: [UInt8] = []
        MessageEnvelope.append(
            message(
                key: "k",
                value: Array("v\"1".utf8),
                headers: [KafkaHeader(key: "h", value: "x"), KafkaHeader(key: "n", value: nil)]
            ),
            broker: 2,
            to: &out
        )
        #expect(
            String(decoding: out, as: UTF8.self)
                == #"{"topic":"t","partition":3,"offset":42,"tstype":"create","ts":1700000000123,"broker":2,"headers":["h","x","n",null],"key":"k","payload":"v\"1"}"#
        )
        out = []
        MessageEnvelope.append(message(key: nil, value: [0xFF, 0]), broker: -1, to: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == #"{"topic":"t","partition":3,"offset":42,"tstype":"create","ts":1700000000123,"broker":-1,"key":null,"payload":"/wA=","payload_encoding":"base64"}"#
        )
        out = []
        MessageEnvelope.append(
            message(key: "k", value: nil, headers: [KafkaHeader(key: "b", bytes: [0xFE])]),
            broker: 1,
            to: &out
        )
        #expect(
            String(decoding: out, as: UTF8.self).contains(
                #""headers":["b","/g=="],"headers_encoding":"base64","key":"k","payload":null}"#
            )
        )
    }

    @Test("-f renders every token; unknown tokens and a trailing % are errors")
    func formats() throws {
        let format = try MessageFormat("%t %p %o %T %k %K %s %S [%h] %% \\x41%R\\n")
        var out: [UInt8] = []
        format.render(
            message(
                key: "key",
                value: Array("hello".utf8),
                headers: [KafkaHeader(key: "a", value: "1"), KafkaHeader(key: "b", value: nil)]
            ),
            into: &out
        )
        #expect(out == Array("t 3 42 1700000000123 key 3 hello 5 [a=1,b=NULL] % A".utf8) + [0, 0, 0, 5, 0x0A])
        out = []
        try MessageFormat("%k|%s|%K|%S").render(message(key: nil, value: nil), null: Array("NULL".utf8), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "NULL|NULL|-1|-1")
        #expect(throws: CLIError.self) { try MessageFormat("%x") }
        #expect(throws: CLIError.self) { try MessageFormat("abc%") }
        #expect(throws: CLIError.self) { try MessageFormat("%d") }
        // Local time, whatever TZ is: setting TZ in the test process would change it under every other test (and
        // the processes they start).
        var seconds = time_t(1_700_000_000)
        var parts = tm()
        _ = localtime_r(&seconds, &parts)
        let expected = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d",
            parts.tm_year + 1900,
            parts.tm_mon + 1,
            parts.tm_mday,
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec
        )
        out = []
        try MessageFormat("%d{%Y-%m-%d %H:%M:%S}").render(message(key: nil, value: nil), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test("-o: beginning, end, stored, N, -N, s@ts, e@ts and their combinations")
    func offsetSelections() throws {
        #expect(try parseOffsetSelection(["beginning"]) == OffsetSelection(start: .offset(.beginning)))
        #expect(try parseOffsetSelection(["-5"]) == OffsetSelection(start: .offset(.tail(5))))
        #expect(try parseOffsetSelection(["12"]) == OffsetSelection(start: .offset(KafkaOffset(12))))
        #expect(try parseOffsetSelection(["stored"]) == OffsetSelection(start: .offset(.stored)))
        let both = try parseOffsetSelection(["s@100", "e@200"])
        #expect(
            both
                == OffsetSelection(
                    start: .timestamp(KafkaTimestamp(millisecondsSinceEpoch: 100)),
                    stopAt: KafkaTimestamp(millisecondsSinceEpoch: 200)
                )
        )
        #expect(try parseOffsetSelection(["e@5"]) == OffsetSelection(stopAt: KafkaTimestamp(millisecondsSinceEpoch: 5)))
        for bad in [["-0"], ["soon"], ["s@x"], ["e@-1"], ["1", "2"], ["e@1", "e@2"], ["+3"]] {
            #expect(throws: OffsetArgumentError.self, "\(bad)") { try parseOffsetSelection(bad) }
        }
        #expect(try parseResetTarget("earliest") == .earliest)
        #expect(try parseResetTarget("@99") == .timestamp(KafkaTimestamp(millisecondsSinceEpoch: 99)))
        #expect(try parseResetTarget("7") == .offset(7))
        #expect(try parseResetTarget("-3") == .shift(by: -3))
        #expect(try parseResetTarget("+4") == .shift(by: 4))
        for bad in ["-x", "+", "soon", "@-1", "@"] {
            #expect(throws: CLIError.self, "\(bad)") { try parseResetTarget(bad) }
        }
    }

    @Test("-F files: prop=value lines, # comments and blank lines skipped, spaces trimmed, bad lines named")
    func configFiles() throws {
        let parsed = try parseConfigFile("# c\n\n  a = 1 \nb=x=y\n\t# indented comment\n", path: "f")
        #expect(parsed.map(\.0) == ["a", "b"])
        #expect(parsed.map(\.1) == ["1", "x=y"])
        #expect(throws: CLIError("f:2: expected prop=value, got 'oops'")) {
            try parseConfigFile("a=1\noops\n", path: "f")
        }
        #expect(try parseHeaderArgument("n=v=w") == ("n", "v=w"))
        #expect(try parseHeaderArgument("bare") == ("bare", nil))
        #expect(throws: CLIError.self) { try parseHeaderArgument("=v") }
    }

    @Test("the line map gives each message id its input position, across skipped lines and files")
    func lineNumbers() {
        var map = LineNumberMap()
        for line in 1...5 { map.record(id: UInt64(100 + line), line: line) }
        map.record(id: 107, line: 7)  // line 6 skipped, id 106 refused
        map.record(id: 108, line: 1, source: 1)
        #expect(map.position(of: 101)! == (0, 1))
        #expect(map.position(of: 105)! == (0, 5))
        #expect(map.position(of: 106) == nil)
        #expect(map.position(of: 107)! == (0, 7))
        #expect(map.position(of: 108)! == (1, 1))
        #expect(map.position(of: 109) == nil)
        #expect(map.position(of: 1) == nil)
        #expect(InputPosition(source: "f", line: 1).description == "f: line 1")
        var runs = LineNumberMap()
        runs.record(firstID: 10, line: 1, count: 1_000)
        runs.record(firstID: 1_010, line: 1_001, count: 5)  // continues the run
        runs.record(firstID: 1_016, line: 1_007, count: 2)  // id 1_015 refused, line 1_006 skipped
        #expect(runs.position(of: 1_014)! == (0, 1_005))
        #expect(runs.position(of: 1_015) == nil)
        #expect(runs.position(of: 1_017)! == (0, 1_008))
    }

    @Test("e@ts: a partition stops at its first message at or after the time")
    func timestampStop() {
        var stop = TimestampStop(stopAt: KafkaTimestamp(millisecondsSinceEpoch: 1_700_000_000_123))
        let early = KafkaConsumerMessage(
            topic: "t",
            partition: 0,
            offset: 1,
            key: nil,
            value: nil,
            headers: [],
            timestamp: KafkaTimestamp(millisecondsSinceEpoch: 5),
            timestampType: .createTime
        )
        #expect(stop.check(early) == .print)
        #expect(stop.check(message(key: nil, value: nil)) == .partitionStopped)
        #expect(stop.check(message(key: nil, value: nil)) == .drop)
        #expect(stop.allStopped([KafkaTopicPartition(topic: "t", partition: 3)]))
        #expect(
            !stop.allStopped([
                KafkaTopicPartition(topic: "t", partition: 3), KafkaTopicPartition(topic: "t", partition: 0),
            ])
        )
    }

    @Test("reset targets are clamped to the watermarks; lag counts from the low watermark without a commit")
    func resetAndLagArithmetic() {
        let marks = KafkaWatermarks(low: 5, high: 20)
        func new(_ target: KafkaOffsetResetTarget, committed: KafkaOffset = .invalid, time: KafkaOffset? = nil) -> Int64
        {
            target.newOffset(watermarks: marks, committed: committed, offsetForTime: time)
        }
        #expect(new(.earliest) == 5)
        #expect(new(.latest) == 20)
        #expect(new(.offset(2)) == 5)
        #expect(new(.offset(99)) == 20)
        #expect(new(.timestamp(KafkaTimestamp(millisecondsSinceEpoch: 1)), time: KafkaOffset(9)) == 9)
        #expect(new(.timestamp(KafkaTimestamp(millisecondsSinceEpoch: 1)), time: .end) == 20)
        #expect(new(.shift(by: -3), committed: KafkaOffset(10)) == 7)
        #expect(new(.shift(by: -30), committed: KafkaOffset(10)) == 5)
        #expect(new(.shift(by: 30), committed: KafkaOffset(10)) == 20)
        #expect(new(.shift(by: 2)) == 7, "from the low watermark without a commit")
        #expect(new(.shift(by: .min), committed: KafkaOffset(10)) == 5)
        #expect(new(.shift(by: .max), committed: KafkaOffset(10)) == 20)
        let tp = KafkaTopicPartition(topic: "t", partition: 0)
        func row(_ committed: KafkaOffset) -> KafkaPartitionLag {
            KafkaPartitionLag(partition: tp, committed: committed, watermarks: marks, member: nil)
        }
        #expect(row(.invalid).lag == 15)
        #expect(row(KafkaOffset(18)).lag == 2)
        #expect(row(KafkaOffset(2)).lag == 15, "a commit below the low watermark counts from it")
        #expect(
            ClusterReports.lagTable([row(KafkaOffset(18))], group: "g")
                == "GROUP  TOPIC  PARTITION  COMMITTED  HIGH  LAG\ng      t      0          18         20    2\ntotal lag: 2\n"
        )
    }

    @Test("metadata as kcat's -L -J JSON")
    func metadataJSON() {
        let metadata = KafkaClusterMetadata(
            brokers: [.init(id: 1, host: "h", port: 9092)],
            topics: [
                .init(
                    name: "t",
                    partitions: [.init(id: 0, leader: 1, replicas: [1], inSyncReplicas: [1], error: nil)],
                    error: nil
                )
            ],
            originatingBrokerID: 1,
            originatingBrokerName: "h:9092/1",
            controllerID: 1
        )
        #expect(
            ClusterReports.metadataJSON(metadata, query: "t")
                == #"{"originating_broker":{"id":1,"name":"h:9092/1"},"query":{"topic":"t"},"controllerid":1,"brokers":[{"id":1,"name":"h:9092"}],"topics":[{"topic":"t","partitions":[{"partition":0,"leader":1,"replicas":[{"id":1}],"isrs":[{"id":1}]}]}]}"#
                + "\n"
        )
        #expect(ClusterReports.metadataTable(metadata).contains("t      0          1       1         1"))
    }

    @Test("^regex topics match as POSIX extended expressions; names match themselves")
    func topicPatterns() throws {
        let topics = ["orders-eu", "orders-us", "payments", "xorders-1"]
        #expect(TopicPattern("^orders-.*").matches(in: topics) == ["orders-eu", "orders-us"])
        #expect(TopicPattern("payments").matches(in: topics) == ["payments"])
        #expect(throws: CLIError.self) { try TopicPattern("^(").validate() }
    }
}
