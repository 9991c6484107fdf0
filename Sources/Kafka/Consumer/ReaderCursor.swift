/// See ``ConsumerCore/readerTook(_:handedOutBefore:processed:)``.
struct ReaderCursor {
    var messages: [KafkaConsumerMessage] = []
    var handedOutBefore: UInt64 = 0
    /// How many of `messages` have their offsets stored.
    var stored = 0
    var closing = false
}
