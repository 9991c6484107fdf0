extension KafkaProducerMessage {
    /// Calls `body` with the key's and value's bytes (`nil` when absent).
    @inlinable
    func withRawParts(
        _ body: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> ProduceOutcome
    ) -> ProduceOutcome {
        switch (key, value) {
        case (let key?, let value?):
            return key.withUnsafeBytes { k in value.withUnsafeBytes { v in body(k, v) } }
        case (let key?, nil):
            return key.withUnsafeBytes { k in body(k, nil) }
        case (nil, let value?):
            return value.withUnsafeBytes { v in body(nil, v) }
        case (nil, nil):
            return body(nil, nil)
        }
    }
}
