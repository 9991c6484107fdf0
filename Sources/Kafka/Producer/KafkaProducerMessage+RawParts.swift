extension KafkaProducerMessage {
    /// Calls `body` with the key's and value's bytes (`nil` when absent).
    ///
    /// The parts are borrowed in place (optional chaining on the stored properties): binding them first (`if let`,
    /// or a `switch` over the pair) copied the value, a retain and a release per message.
    @inlinable
    func withRawParts(
        _ body: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> ProduceOutcome
    ) -> ProduceOutcome {
        if let outcome = key?.withUnsafeBytes({ k in value?.withUnsafeBytes { v in body(k, v) } ?? body(k, nil) }) {
            return outcome
        }
        return value?.withUnsafeBytes { v in body(nil, v) } ?? body(nil, nil)
    }
}
