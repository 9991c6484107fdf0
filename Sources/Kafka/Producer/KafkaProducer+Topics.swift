extension KafkaProducer {
    /// Asks the cluster for the metadata of `topics` now, without waiting for the answer.
    ///
    /// librdkafka learns a topic's partitions and leaders when the first message to it is sent, at its next
    /// periodic topic scan, so the first messages to a topic can wait up to a second before they are sent. Call this
    /// right after creating the producer, with the topics it will send to, to save that second (a command-line tool
    /// that sends a few messages and exits notices it). Names of topics that do not exist are harmless.
    public nonisolated func prepare(topics: [String]) {
        core.client.prepareTopics(topics)
    }
}
