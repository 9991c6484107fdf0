internal import CLibrdkafka

extension RDKafkaClient {
    /// Creates librdkafka's topic object for each topic now, which asks the cluster for its metadata at once.
    /// Non-blocking; any thread while ``guard`` admits it.
    ///
    /// A topic first named by a produce call is otherwise looked up only at librdkafka's next periodic topic scan
    /// (every second), so the first messages to it wait up to a second.
    func prepareTopics(_ topics: [String]) {
        guard self.guard.enter() else { return }
        defer { self.guard.exit() }
        for topic in topics {
            if let rkt = rd_kafka_topic_new(pointer, topic, nil) { rd_kafka_topic_destroy(rkt) }
        }
    }
}
