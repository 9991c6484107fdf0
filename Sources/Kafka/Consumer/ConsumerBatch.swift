/// One batch handed to the loop, stamped with the assignment epoch at which it was taken from librdkafka.
struct ConsumerBatch: Sendable {
    var messages: [KafkaConsumerMessage]
    let epoch: UInt64
    /// The end (stopAtEndOfPartitions): every partition was read to its end at `epoch`. No messages. The loop
    /// ends here unless the assignment moved since.
    var isEnd = false
}

extension BatchHandOver<ConsumerBatch> {
    /// The loop's iterator took the end `marker`: unless a seek or a rebalance moved the assignment since it was
    /// handed over, the sequence ends here (what the poll thread yields after it is dropped).
    func reached(end marker: ConsumerBatch, currentEpoch: UInt64) {
        if marker.epoch == currentEpoch { finish() }
    }
}
