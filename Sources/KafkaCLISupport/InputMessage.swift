public import Kafka

/// One message read by `kafka-send -J` from a JSON line, before the command line's `-t`/`-p` are applied.
public struct InputMessage: Equatable, Sendable {
    /// `"topic"`, if the line has one.
    public var topic: String?
    /// `"partition"`, if the line has one.
    public var partition: Int32?
    /// `"key"` bytes; `nil` when absent or `null`.
    public var key: [UInt8]?
    /// `"payload"` bytes; `nil` for `null` (a tombstone).
    public var value: [UInt8]?
    /// `"headers"`, in order.
    public var headers: [KafkaHeader]
    /// `"ts"` (milliseconds since the epoch), if the line has one.
    public var timestamp: Int64?

    /// A message with the given parts.
    public init(
        topic: String? = nil,
        partition: Int32? = nil,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Parses one `-J` input line: a JSON object with `payload` (required; `null` for a tombstone) and optionally
    /// `topic`, `partition`, `key`, `headers`, `ts`, and `key_encoding`/`payload_encoding`/`headers_encoding`
    /// (`"base64"`, or `"utf8"` for plain strings). `headers` is kcat's flat array `["name","value",...]` (as
    /// `kafka-tail -J` prints it) or an object `{"name":"value"}`; a header value may be `null`. A `key` or
    /// `payload` that is not a string (an object, a number) is sent as its JSON text. Other members (kafka-tail's
    /// `offset`, `tstype`, `broker`) are ignored, so `kafka-tail -J | kafka-send -J` works.
    ///
    /// - Throws: ``LineError`` naming the problem (the caller adds the line number).
    public static func parseJSONLine(_ line: [UInt8]) throws(LineError) -> InputMessage {
        let root: JSONValue
        do {
            root = try JSONParser.parse(line)
        } catch {
            throw LineError("bad JSON: \(error)")
        }
        guard case .object = root.kind else { throw LineError("bad JSON: expected an object {...}") }
        let keyBase64 = try encoding(root, "key_encoding")
        let payloadBase64 = try encoding(root, "payload_encoding")
        let headersBase64 = try encoding(root, "headers_encoding")

        var message = InputMessage(value: nil)
        if let topic = root["topic"] {
            guard case .string(let bytes) = topic.kind, !bytes.isEmpty else {
                throw LineError("\"topic\" must be a non-empty string")
            }
            message.topic = String(decoding: bytes, as: UTF8.self)
        }
        if let partition = root["partition"] {
            guard case .number(let text) = partition.kind, let number = Int32(text), number >= -1 else {
                throw LineError("\"partition\" must be a number >= 0 (or -1 for any)")
            }
            message.partition = number
        }
        if let ts = root["ts"] {
            guard case .number(let text) = ts.kind, let number = Int64(text) else {
                throw LineError("\"ts\" must be an integer (milliseconds since the epoch)")
            }
            message.timestamp = number
        }
        if let key = root["key"] {
            message.key = try bytes(of: key, named: "key", base64: keyBase64, line: line)
        }
        guard let payload = root["payload"] else { throw LineError("no \"payload\" (use null for a tombstone)") }
        message.value = try bytes(of: payload, named: "payload", base64: payloadBase64, line: line)
        if let headers = root["headers"] {
            message.headers = try parseHeaders(headers, base64: headersBase64)
        }
        return message
    }

    private static func encoding(_ root: JSONValue, _ name: String) throws(LineError) -> Bool {
        guard let value = root[name] else { return false }
        guard case .string(let bytes) = value.kind else { throw LineError("\"\(name)\" must be a string") }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "base64": return true
        case "utf8", "utf-8", "string": return false
        case let other: throw LineError("unknown \(name) '\(other)' (use \"base64\")")
        }
    }

    private static func bytes(of value: JSONValue, named name: String, base64: Bool, line: [UInt8]) throws(LineError)
        -> [UInt8]?
    {
        switch value.kind {
        case .null:
            return nil
        case .string(let bytes):
            guard base64 else { return bytes }
            guard let decoded = Base64.decode(bytes) else { throw LineError("\"\(name)\" is not valid base64") }
            return decoded
        default:
            if base64 { throw LineError("\"\(name)\" must be a string when \(name)_encoding is base64") }
            return Array(line[value.source])
        }
    }

    private static func parseHeaders(_ value: JSONValue, base64: Bool) throws(LineError) -> [KafkaHeader] {
        func headerValue(_ value: JSONValue, _ name: String) throws(LineError) -> [UInt8]? {
            switch value.kind {
            case .null: return nil
            case .string(let bytes):
                guard base64 else { return bytes }
                guard let decoded = Base64.decode(bytes) else {
                    throw LineError("header '\(name)' is not valid base64")
                }
                return decoded
            default: throw LineError("header '\(name)' must be a string or null")
            }
        }
        func header(_ name: String, _ bytes: [UInt8]?) -> KafkaHeader {
            bytes.map { KafkaHeader(key: name, bytes: $0) } ?? KafkaHeader(key: name, value: nil)
        }
        switch value.kind {
        case .null:
            return []
        case .array(let elements):
            guard elements.count % 2 == 0 else {
                throw LineError("\"headers\" array must alternate names and values: [\"name\",\"value\",...]")
            }
            var headers: [KafkaHeader] = []
            var i = 0
            while i < elements.count {
                guard case .string(let nameBytes) = elements[i].kind else {
                    throw LineError("\"headers\" array must alternate names and values: [\"name\",\"value\",...]")
                }
                let name = String(decoding: nameBytes, as: UTF8.self)
                headers.append(header(name, try headerValue(elements[i + 1], name)))
                i += 2
            }
            return headers
        case .object(let members):
            var headers: [KafkaHeader] = []
            for member in members {
                headers.append(header(member.name, try headerValue(member.value, member.name)))
            }
            return headers
        default:
            throw LineError("\"headers\" must be an array [\"name\",\"value\",...] or an object")
        }
    }
}
