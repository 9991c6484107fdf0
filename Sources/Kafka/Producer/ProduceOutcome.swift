/// What one produce attempt did. (Used by the inlinable send path, so that sends are specialized for the
/// caller's key and value types.)
@usableFromInline
enum ProduceOutcome {
    case queued
    case queueFull
    case failed(KafkaError)  // one word: KafkaError keeps its fields behind a reference
}

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
