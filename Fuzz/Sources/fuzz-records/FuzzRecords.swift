import FuzzSupport
import FuzzedCLISupport
import Kafka

/// Record splitting (`-D`, multi-byte delimiters), the `-K` key split and the backslash escapes of `-D`/`-K`/`-f`.
///
/// Input: a delimiter length (1-4) and the delimiter, one byte that picks the read sizes, then the records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let delimiter = input.bytes(1 + Int(input.byte() % 4))
    let reads = input.byte()
    let text = input.rest
    guard !delimiter.isEmpty else { return 0 }

    let splitter = RecordSplitter(delimiter: delimiter)
    let records = splitter.splitAll(text)
    check(records == naiveSplit(text, delimiter), "splitAll differs from a naive split")
    let joined = joinRecords(records, delimiter)
    check(joined == text || joined + delimiter == text, "the records and delimiters are not the input")
    check(records.allSatisfy { naiveFirstIndex(of: delimiter, in: $0) == nil }, "a record holds the delimiter")
    check(splitInReads(text, splitter, seed: reads) == records, "splitting in reads differs from splitAll")
    check(RecordSplitter(delimiter: nil).splitAll(text) == (text.isEmpty ? [] : [text]), "no delimiter: one record")
    check(
        text.withUnsafeBytes { RecordSplitter.firstIndex(of: delimiter, in: $0) }
            == naiveFirstIndex(of: delimiter, in: text),
        "firstIndex differs from a naive search"
    )
    checkKeyed(text, keyDelimiter: delimiter, emptyIsNull: reads & 1 == 1)
    checkEscapes(text)
    return 0
}

/// Leftmost, non-overlapping matches, by comparing at every position.
private func naiveSplit(_ text: [UInt8], _ delimiter: [UInt8]) -> [[UInt8]] {
    var records: [[UInt8]] = []
    var start = 0
    var i = 0
    while i + delimiter.count <= text.count {
        if text[i..<(i + delimiter.count)].elementsEqual(delimiter) {
            records.append(Array(text[start..<i]))
            i += delimiter.count
            start = i
        } else {
            i += 1
        }
    }
    if start < text.count { records.append(Array(text[start...])) }
    return records
}

private func naiveFirstIndex(of delimiter: [UInt8], in text: [UInt8]) -> Int? {
    guard delimiter.count <= text.count else { return nil }
    return (0...(text.count - delimiter.count)).first { text[$0..<($0 + delimiter.count)].elementsEqual(delimiter) }
}

private func joinRecords(_ records: [[UInt8]], _ delimiter: [UInt8]) -> [UInt8] {
    var joined: [UInt8] = []
    for (i, record) in records.enumerated() {
        if i > 0 { joined += delimiter }
        joined += record
    }
    return joined
}

/// Splits `text` as `RecordReader` does: reads of 1-16 bytes appended to a buffer, `split` resumed where the
/// unfinished record began, and (when the seed's top bit is set) the finished records dropped from the buffer.
private func splitInReads(_ text: [UInt8], _ splitter: RecordSplitter, seed: UInt8) -> [[UInt8]] {
    var buffer: [UInt8] = []
    var records: [[UInt8]] = []
    var recordStart = 0
    var offset = 0
    var state = UInt32(seed) | 1
    while offset < text.count {
        state = state &* 1_103_515_245 &+ 12_345
        let size = min(1 + Int(state >> 16) % 16, text.count - offset)
        buffer += text[offset..<(offset + size)]
        offset += size
        var ranges: [Range<Int>] = []
        recordStart = buffer.withUnsafeBytes { splitter.split($0, from: recordStart, into: &ranges) }
        check(recordStart <= buffer.count, "split returned a start past the end")
        records += ranges.map { Array(buffer[$0]) }
        if seed & 0x80 != 0 {
            buffer.removeFirst(recordStart)
            recordStart = 0
        }
    }
    if recordStart < buffer.count { records.append(Array(buffer[recordStart...])) }
    return records
}

/// `-K`: each line is key, delimiter, value, split at the first delimiter.
private func checkKeyed(_ text: [UInt8], keyDelimiter: [UInt8], emptyIsNull: Bool) {
    let lines = naiveSplit(text, [0x0A])
    var ranges: [Range<Int>] = []
    var start = 0
    for line in lines {
        ranges.append(start..<(start + line.count))
        start += line.count + 1
    }
    let chunk = RecordChunk(copying: text, records: ranges)
    let parser = RecordParser(mode: .keyed(delimiter: keyDelimiter), topic: "t", emptyIsNull: emptyIsNull)
    for range in ranges {
        let line = Array(text[range])
        guard let at = naiveFirstIndex(of: keyDelimiter, in: line) else {
            check((try? parser.message(in: chunk, range)) == nil, "a line without the key delimiter was accepted")
            continue
        }
        let message: RecordParser.Message
        do {
            message = try parser.message(in: chunk, range)
        } catch {
            check(false, "a line with the key delimiter was refused: \(error)")
            continue
        }
        let key = Array(line[..<at])
        let value = Array(line[(at + keyDelimiter.count)...])
        check(message.key?.bytes == (emptyIsNull && key.isEmpty ? nil : key), "wrong key")
        check(message.value?.bytes == (emptyIsNull && value.isEmpty ? nil : value), "wrong value")
    }
}

/// `unescape` leaves text without backslashes alone, undoes `\xNN` escapes, and reads back what `shown` prints.
private func checkEscapes(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let unescaped = try? unescape(text)
    if !text.utf8.contains(UInt8(ascii: "\\")) {
        check(unescaped == Array(text.utf8), "text without escapes changed")
    }
    check((try? unescape(hexEscaped(bytes))) == bytes, "\\xNN escapes do not give the bytes")
    let delimiter = Array(bytes.prefix(16))
    let typed = shown(delimiter)
    check(
        (try? unescape(typed)) == delimiter,
        "shown(\(shownBytes(delimiter))) is '\(typed)', which unescapes to something else"
    )
}
