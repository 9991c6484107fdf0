public import Kafka
import NIOCore

/// kcat's `-J` envelope for a consumed message: one JSON object per line,
/// `{"topic","partition","offset","tstype","ts","broker","headers","key","payload"}`, byte for byte as kcat 1.7.1
/// prints it for UTF-8 data.
///
/// Where kcat would print bytes that are not UTF-8 (invalid JSON), the value is base64 and a member says so:
/// `"key_encoding":"base64"` after `key`, `"payload_encoding":"base64"` after `payload`, and, when a header value is
/// not UTF-8, `"headers_encoding":"base64"` after `headers` with every header value in base64. `headers` is omitted
/// when the message has none; it is kcat's flat array `["name","value",...]` with `null` for a NULL value.
public enum MessageEnvelope {
    /// Appends the envelope of `message` (without a line end) to `output`. `broker` is the id of the broker the
    /// message came from (-1 when unknown).
    public static func append(_ message: KafkaConsumerMessage, broker: Int32, to output: inout [UInt8]) {
        JSONWriter.appendRaw("{\"topic\":", to: &output)
        JSONWriter.appendString(message.topic, to: &output)
        JSONWriter.appendRaw(",\"partition\":", to: &output)
        appendDecimal(Int64(message.partition.rawValue), to: &output)
        JSONWriter.appendRaw(",\"offset\":", to: &output)
        appendDecimal(message.offset.rawValue, to: &output)
        if let timestamp = message.timestamp {
            switch message.timestampType {
            case .createTime: JSONWriter.appendRaw(",\"tstype\":\"create\",\"ts\":", to: &output)
            case .logAppendTime: JSONWriter.appendRaw(",\"tstype\":\"logappend\",\"ts\":", to: &output)
            }
            appendDecimal(timestamp.millisecondsSinceEpoch, to: &output)
        } else {
            JSONWriter.appendRaw(",\"tstype\":\"unknown\",\"ts\":-1", to: &output)
        }
        JSONWriter.appendRaw(",\"broker\":", to: &output)
        appendDecimal(Int64(broker), to: &output)
        let headers = message.headers  // parsed on each read
        if !headers.isEmpty {
            let base64 = headers.contains { header in
                header.value.map { value in !value.withUnsafeReadableBytes { isValidUTF8($0) } } ?? false
            }
            JSONWriter.appendRaw(",\"headers\":[", to: &output)
            for (i, header) in headers.enumerated() {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(header.key, to: &output)
                output.append(UInt8(ascii: ","))
                if let value = header.value {
                    value.withUnsafeReadableBytes { appendBytes($0, base64: base64, to: &output) }
                } else {
                    JSONWriter.appendRaw("null", to: &output)
                }
            }
            output.append(UInt8(ascii: "]"))
            if base64 { JSONWriter.appendRaw(",\"headers_encoding\":\"base64\"", to: &output) }
        }
        JSONWriter.appendRaw(",\"key\":", to: &output)
        appendField(message.key, encodingName: ",\"key_encoding\":\"base64\"", to: &output)
        JSONWriter.appendRaw(",\"payload\":", to: &output)
        appendField(message.value, encodingName: ",\"payload_encoding\":\"base64\"", to: &output)
        output.append(UInt8(ascii: "}"))
    }

    private static func appendField(_ field: KafkaBytes?, encodingName: StaticString, to output: inout [UInt8]) {
        guard let field else {
            JSONWriter.appendRaw("null", to: &output)
            return
        }
        let base64 = field.withUnsafeBytes { bytes in
            let base64 = !isValidUTF8(bytes)
            appendBytes(bytes, base64: base64, to: &output)
            return base64
        }
        if base64 { JSONWriter.appendRaw(encodingName, to: &output) }
    }

    private static func appendBytes(_ bytes: UnsafeRawBufferPointer, base64: Bool, to output: inout [UInt8]) {
        if base64 {
            output.append(UInt8(ascii: "\""))
            Base64.encode(bytes, into: &output)
            output.append(UInt8(ascii: "\""))
        } else {
            JSONWriter.appendString(bytes, to: &output)
        }
    }
}
