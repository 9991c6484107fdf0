#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

extension Data: KafkaContiguousBytes {}

/// Encodes message keys and values. `JSONEncoder` conforms; conform your own (e.g. a protobuf or CBOR encoder).
public protocol KafkaEncoder {
    /// The bytes for `value`.
    func encode<T: Encodable>(_ value: T) throws -> Data
}

/// Decodes message keys and values. `JSONDecoder` conforms; conform your own.
public protocol KafkaDecoder {
    /// The value of type `type` held by `data`.
    func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T
}

extension JSONEncoder: KafkaEncoder {}
extension JSONDecoder: KafkaDecoder {}

extension KafkaProducerMessage where Value == Data {
    /// A message whose value is `value` encoded by `encoder` (JSON by default).
    ///
    /// ```swift
    /// struct Order: Codable { var id: Int; var total: Double }
    /// let message = try KafkaProducerMessage(topic: "orders", key: "order-7", encoding: Order(id: 7, total: 12))
    /// ```
    /// - Throws: the encoder's error; nothing is sent.
    public init<T: Encodable>(
        topic: String,
        partition: KafkaPartition = .unassigned,
        key: Key?,
        encoding value: T,
        encoder: some KafkaEncoder = JSONEncoder(),
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil
    ) throws {
        self.init(
            topic: topic,
            partition: partition,
            key: key,
            value: try encoder.encode(value),
            headers: headers,
            timestamp: timestamp
        )
    }
}

extension KafkaProducerMessage where Key == Never, Value == Data {
    /// A message without key whose value is `value` encoded by `encoder` (JSON by default).
    /// - Throws: the encoder's error; nothing is sent.
    public init<T: Encodable>(
        topic: String,
        partition: KafkaPartition = .unassigned,
        encoding value: T,
        encoder: some KafkaEncoder = JSONEncoder(),
        headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil
    ) throws {
        self.init(
            topic: topic,
            partition: partition,
            key: nil,
            value: try encoder.encode(value),
            headers: headers,
            timestamp: timestamp
        )
    }
}

extension KafkaConsumerMessage {
    /// The value decoded as `type` by `decoder` (JSON by default).
    /// - Throws: ``KafkaError/Code/missingValue`` when the message is a tombstone (no value); the decoder's error
    ///   when the bytes do not hold a `type`.
    public func decodeValue<T: Decodable>(as type: T.Type, decoder: some KafkaDecoder = JSONDecoder()) throws -> T {
        try decode(value, as: type, decoder: decoder, what: "value")
    }

    /// The key decoded as `type` by `decoder` (JSON by default).
    /// - Throws: ``KafkaError/Code/missingValue`` when the message has no key; the decoder's error when the bytes
    ///   do not hold a `type`.
    public func decodeKey<T: Decodable>(as type: T.Type, decoder: some KafkaDecoder = JSONDecoder()) throws -> T {
        try decode(key, as: type, decoder: decoder, what: "key")
    }

    private func decode<T: Decodable>(
        _ bytes: KafkaBytes?,
        as type: T.Type,
        decoder: some KafkaDecoder,
        what: String
    ) throws -> T {
        guard let bytes else {
            throw KafkaError(
                code: .missingValue,
                message: "cannot decode \(T.self): the message at offset \(offset) has no \(what)",
                topic: topic,
                partition: partition
            )
        }
        return try decoder.decode(type, from: Data(bytes))
    }
}
