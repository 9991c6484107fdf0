/// The batch the per-message loop is working through, and how much of it is stored (see ``ReaderProgress``).
struct ReaderCursor: Sendable {
    var messages: [KafkaConsumerMessage] = []
    var handedOutBefore: UInt64 = 0
    /// How many of `messages` have their offsets stored.
    var stored = 0
    var closing = false
}
