import FuzzSupport
import FuzzedCLISupport
import Kafka

/// `kafka-send -J` input lines: the JSON parser, `InputMessage.parseJSONLine`, and the way back through
/// `kafka-tail -J`'s envelope; plus the UTF-8 check and base64 they rely on.
///
/// Input: one line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLines(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = FuzzInput(data, size).rest
    let valid = isValidUTF8(line)
    check(valid == (String(validating: line, as: UTF8.self) != nil), "isValidUTF8 differs from the standard library")
    check(Base64.decode(Array(Base64.encode(line).utf8)) == line, "base64 does not round-trip")
    if valid {
        var quoted: [UInt8] = []
        line.withUnsafeBytes { JSONWriter.appendString($0, to: &quoted) }
        check((try? JSONParser.parse(quoted))?.kind == .string(line), "JSONWriter's string does not parse back")
    }
    if let value = try? JSONParser.parse(line) {
        checkValue(value, in: line)
    }
    if let message = try? InputMessage.parseJSONLine(line) {
        checkEnvelopeRoundTrip(message)
        checkRecordParser(line, message)
    }
    return 0
}

/// A parsed value prints and parses back the same, and the source of the value and of its elements parses alone.
private func checkValue(_ value: JSONValue, in line: [UInt8]) {
    var printed: [UInt8] = []
    write(value, to: &printed)
    guard let again = try? JSONParser.parse(printed) else {
        check(false, "printed JSON does not parse: \(shownBytes(printed))")
        return
    }
    check(same(value, again), "printed JSON parses differently: \(shownBytes(printed))")
    var parts = [value]
    switch value.kind {
    case .array(let elements): parts += elements
    case .object(let members): parts += members.map(\.value)
    default: break
    }
    for part in parts {
        let source = (try? JSONParser.parse(Array(line[part.source]))).map { same($0, part) }
        check(source == true, "the source of a value is not that value: \(part.source)")
    }
}

/// Equal values, wherever they were in their inputs.
private func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a.kind, b.kind) {
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { $0.name == $1.name && same($0.value, $1.value) }
    case (.array, _), (.object, _): return false
    default: return a.kind == b.kind
    }
}

private func write(_ value: JSONValue, to output: inout [UInt8]) {
    switch value.kind {
    case .null: output += Array("null".utf8)
    case .bool(let bool): output += Array((bool ? "true" : "false").utf8)
    case .number(let text): output += Array(text.utf8)
    case .string(let bytes): bytes.withUnsafeBytes { JSONWriter.appendString($0, to: &output) }
    case .array(let elements):
        output.append(UInt8(ascii: "["))
        for (i, element) in elements.enumerated() {
            if i > 0 { output.append(UInt8(ascii: ",")) }
            write(element, to: &output)
        }
        output.append(UInt8(ascii: "]"))
    case .object(let members):
        output.append(UInt8(ascii: "{"))
        for (i, member) in members.enumerated() {
            if i > 0 { output.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(member.name, to: &output)
            output.append(UInt8(ascii: ":"))
            write(member.value, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}

/// `kafka-tail -J | kafka-send -J`: the message, printed in kafka-tail's envelope, is one line that parses back to
/// the same message. The envelope always has a topic, a partition and a timestamp (-1 when there is none).
private func checkEnvelopeRoundTrip(_ message: InputMessage) {
    let consumed = KafkaConsumerMessage(
        topic: message.topic ?? "t",
        partition: KafkaPartition(rawValue: message.partition ?? 0),
        offset: KafkaOffset(rawValue: 42),
        key: message.key.map { KafkaBytes($0) },
        value: message.value.map { KafkaBytes($0) },
        headers: message.headers,
        timestamp: message.timestamp.map { KafkaTimestamp(millisecondsSinceEpoch: $0) },
        timestampType: .logAppendTime
    )
    var envelope: [UInt8] = []
    MessageEnvelope.append(consumed, broker: 1, to: &envelope)
    check(!envelope.contains(0x0A), "the envelope is not one line: \(shownBytes(envelope))")
    var expected = message
    expected.topic = message.topic ?? "t"
    expected.partition = message.partition ?? 0
    expected.timestamp = message.timestamp ?? -1
    do {
        let again = try InputMessage.parseJSONLine(envelope)
        check(again == expected, "the envelope \(shownBytes(envelope)) parses to \(again), not \(expected)")
    } catch {
        check(false, "the envelope \(shownBytes(envelope)) does not parse: \(error)")
    }
}

/// `kafka-send -J` turns the line into the message `parseJSONLine` describes (`-Z` makes empty bytes NULL).
private func checkRecordParser(_ line: [UInt8], _ input: InputMessage) {
    let chunk = RecordChunk(copying: line, records: [0..<line.count])
    for emptyIsNull in [false, true] {
        let parser = RecordParser(mode: .json, topic: "fixed", emptyIsNull: emptyIsNull)
        guard let message = try? parser.message(in: chunk, 0..<line.count) else {
            check(false, "RecordParser refused a line parseJSONLine took")
            return
        }
        func expected(_ bytes: [UInt8]?) -> [UInt8]? { emptyIsNull && bytes?.isEmpty == true ? nil : bytes }
        check(message.topic == "fixed", "-t does not win over the line's topic")
        check(message.key?.bytes == expected(input.key), "RecordParser's key differs")
        check(message.value?.bytes == expected(input.value), "RecordParser's value differs")
        check(message.headers == input.headers, "RecordParser's headers differ")
        check(message.timestamp?.millisecondsSinceEpoch == input.timestamp, "RecordParser's timestamp differs")
    }
}
