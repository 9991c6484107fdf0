import FuzzSupport
import FuzzedCLISupport
import Kafka

/// `kafka-tail -o` values, alone (`parseOffsetArgument`) and as a list of flags (`parseOffsetSelection`).
///
/// Input: the values, one per line (their first 8 bytes also make a number, tried in every form).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOffsets(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let values = input.rest.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(4).map {
        String(decoding: $0, as: UTF8.self)
    }
    // Byte mutations rarely make a long decimal number: the first 8 bytes, read as an integer, give numbers of
    // every size (0xFF runs give the ones near Int64.max).
    var number: Int64 = 0
    for byte in input.bytes(8).reversed() { number = number << 8 | Int64(byte) }
    let numbers = [String(number), "-\(number)", "-\(number.magnitude)", "s@\(number)", "e@\(number)"]
    for value in values + numbers {
        if let offset = try? parseOffsetArgument(value) {
            checkOffset(offset, parsedFrom: value)
        }
    }
    if let selection = try? parseOffsetSelection(values) {
        let starts = values.filter { !$0.hasPrefix("e@") }.count
        let stops = values.count - starts
        check(starts <= 1 && stops <= 1, "more than one start or stop was accepted: \(values)")
        check((selection.start == nil) == (starts == 0), "the start is not the one given")
        check((selection.stopAt == nil) == (stops == 0), "the stop is not the one given")
        let written = arguments(for: selection)
        check((try? parseOffsetSelection(written)) == selection, "\(written) does not parse back to the selection")
    }
    return 0
}

private let tailBase = KafkaOffset.tail(0).rawValue

/// An offset parsed from `value` is what the value says, and its own spelling parses back to it.
private func checkOffset(_ offset: KafkaOffset, parsedFrom value: String) {
    func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
    switch offset {
    case .beginning: check(["beginning", "earliest", "start"].contains(value), "'\(value)' is not beginning")
    case .end: check(["end", "latest"].contains(value), "'\(value)' is not end")
    case .stored: check(value == "stored", "'\(value)' is not stored")
    default:
        if offset.rawValue >= 0 {
            check(isNumber(value[...]) && Int64(value) == offset.rawValue, "'\(value)' is not offset \(offset)")
        } else {
            let count = tailBase - offset.rawValue
            let number = value.dropFirst()
            check(
                count > 0 && value.hasPrefix("-") && isNumber(number) && Int64(number) == count,
                "'\(value)' is not \(offset)"
            )
        }
    }
    check((try? parseOffsetArgument(spelling(of: offset))) == offset, "the spelling of \(offset) does not parse")
}

/// How a user writes `offset`.
private func spelling(of offset: KafkaOffset) -> String {
    switch offset {
    case .beginning: return "beginning"
    case .end: return "end"
    case .stored: return "stored"
    default: return offset.rawValue >= 0 ? String(offset.rawValue) : "-\(tailBase - offset.rawValue)"
    }
}

private func arguments(for selection: OffsetSelection) -> [String] {
    var values: [String] = []
    switch selection.start {
    case .offset(let offset): values.append(spelling(of: offset))
    case .timestamp(let timestamp): values.append("s@\(timestamp.millisecondsSinceEpoch)")
    case nil: break
    }
    if let stop = selection.stopAt { values.append("e@\(stop.millisecondsSinceEpoch)") }
    return values
}
