import Kafka
import KafkaCLISupport
import Testing

/// Inputs the fuzzers of `Fuzz/` (run by `scripts/fuzz.sh`) found, each failing before its fix.
@Suite("CLI support: fuzzer findings")
struct FuzzRegressionTests {
    private func entries(_ parsed: [(String, String)]) -> [String] {
        parsed.map { "\($0.0)=\($0.1)" }
    }

    @Test("-F: a file with CRLF line ends has one entry per line (fuzz-properties)")
    func configFileWithCRLF() throws {
        let parsed = try parseConfigFile("x=1\r\ny = two words \r\n# comment\r\n\r\nz=\r\n", path: "f")
        #expect(entries(parsed) == ["x=1", "y=two words", "z="])
        // The fuzzer's input: a comment, then a line without '=' that a CRLF hid in the comment.
        #expect(throws: CLIError("f:2: expected prop=value, got 'booien'")) {
            try parseConfigFile("# clieinn# clt settings\r\nbooien", path: "f")
        }
    }

    @Test("-X, -H, -F: '=' followed by a combining mark still separates the name from the value")
    func equalsBeforeCombiningMark() throws {
        #expect(try parseProperty("k=\u{301}v") == ("k", "\u{301}v"))
        let header = try parseHeaderArgument("h=\u{301}")
        #expect(header.name == "h" && header.value == "\u{301}")
        #expect(entries(try parseConfigFile("a =\u{301}b\n", path: "f")) == ["a=\u{301}b"])
    }

    @Test("shown(_:) prints a delimiter the way unescape(_:) reads it back (fuzz-records)")
    func shownReadsBack() throws {
        #expect(shown([0x5C, 0x6E]) == "\\\\n")
        #expect(shown([0x01, UInt8(ascii: "A"), 0x02, UInt8(ascii: "g")]) == "\\x001A\\x02g")
        // The fuzzer's input, a delimiter with NULs and backslashes.
        let delimiter: [UInt8] = [0x00, 0x01, 0x02, 0x00, 0x00] + Array("binary\\x00\\n\\t\\\\".utf8)
        #expect(try unescape(shown(delimiter)) == delimiter)
        for byte in UInt8.min...UInt8.max {
            for next in [UInt8(ascii: "f"), UInt8(ascii: "\\"), byte] {
                #expect(try unescape(shown([byte, next])) == [byte, next])
            }
        }
    }

    @Test("-o -N: a count whose tail offset does not fit in 64 bits is refused, not a crash (fuzz-offsets)")
    func hugeTailCount() throws {
        #expect(throws: OffsetArgumentError.self) { try parseOffsetArgument("-9223372036854775765") }
        #expect(throws: OffsetArgumentError.self) { try parseOffsetArgument("-\(Int.max)") }
        #expect(throws: OffsetArgumentError.self) { try parseOffsetSelection(["-9223372036854773809"]) }
        let largest = Int64.max - 1_999  // RD_KAFKA_OFFSET_TAIL_BASE (-2000) - largest == Int64.min
        #expect(try parseOffsetArgument("-\(largest)") == .tail(Int(largest)))
        #expect(try parseOffsetArgument("-\(largest)").rawValue == .min)
    }

    private func render(_ format: String) throws -> [UInt8] {
        let message = KafkaConsumerMessage(
            topic: "t",
            partition: 0,
            offset: 1,
            key: nil,
            value: nil,
            timestamp: KafkaTimestamp(millisecondsSinceEpoch: 1_700_000_000_123)
        )
        var output: [UInt8] = []
        try MessageFormat(format).render(message, into: &output)
        return output
    }

    @Test("-f %d{...}: a result longer than 255 bytes is printed, not dropped (fuzz-format)")
    func longDate() throws {
        let text = String(repeating: "\u{FFFD}", count: 86) + " "  // the fuzzer's input: 259 bytes
        #expect(try render("%d{\(text)}") == Array(text.utf8))
        #expect(try render("%d{\(String(repeating: "%Y", count: 200))}").count == 800)
        #expect(try render("<%d{}>") == Array("<>".utf8))
    }

    @Test("-f %d{...}: NUL and bytes that are not UTF-8 print as they are, like the rest of the format")
    func dateBytes() throws {
        #expect(try render("%d{a\\0b}") == [UInt8(ascii: "a"), 0, UInt8(ascii: "b")])
        #expect(try render("%d{\\xff\\x00}") == [0xFF, 0])
    }
}
