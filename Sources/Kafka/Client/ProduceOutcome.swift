/// What one produce attempt did. (Used by the inlinable send path, so that sends are specialized for the
/// caller's key and value types.)
@usableFromInline
enum ProduceOutcome {
    case queued
    case queueFull
    case failed(KafkaError)  // one word: KafkaError keeps its fields behind a reference
}
