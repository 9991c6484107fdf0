internal import CLibrdkafka

// Topic administration through the Admin API (`CreateTopics`, `DeleteTopics`). Blocking; on the client's own
// thread (see ``RDKafkaClient/withTemporaryClient(kind:properties:logger:_:)``).
extension RDKafkaClient {
    /// Creates `topic` and waits (up to `timeout`) until the cluster confirms it.
    func createTopic(_ topic: String, partitions: Int, replicationFactor: Int, timeout: Duration) throws(KafkaError) {
        var errstr = [CChar](repeating: 0, count: 512)
        guard
            let newTopic = rd_kafka_NewTopic_new(
                topic,
                Int32(partitions),
                Int32(replicationFactor),
                &errstr,
                errstr.count
            )
        else {
            throw KafkaError.invalidConfiguration(key: "topic", value: topic, reason: String(nulTerminated: errstr))
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        var topics: [OpaquePointer?] = [newTopic]
        let rk = pointer
        try Self.awaitResult(rk: rk, timeout: timeout) { queue, options in
            rd_kafka_CreateTopics(rk, &topics, 1, options, queue)
        } read: { event in
            let result = rd_kafka_event_CreateTopics_result(event)
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(result, &count)
            return (results, count)
        }
    }

    /// Deletes `topic`, waiting up to `timeout`.
    func deleteTopic(_ topic: String, timeout: Duration) throws(KafkaError) {
        guard let deleteTopic = rd_kafka_DeleteTopic_new(topic) else { return }
        defer { rd_kafka_DeleteTopic_destroy(deleteTopic) }
        var topics: [OpaquePointer?] = [deleteTopic]
        let rk = pointer
        try Self.awaitResult(rk: rk, timeout: timeout) { queue, options in
            rd_kafka_DeleteTopics(rk, &topics, 1, options, queue)
        } read: { event in
            let result = rd_kafka_event_DeleteTopics_result(event)
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(result, &count)
            return (results, count)
        }
    }

    private static func awaitResult(
        rk: OpaquePointer,
        timeout: Duration,
        request: (OpaquePointer, OpaquePointer?) -> Void,
        read: (OpaquePointer) -> (UnsafeMutablePointer<OpaquePointer?>?, Int)
    ) throws(KafkaError) {
        guard let queue = rd_kafka_queue_new(rk) else {
            throw KafkaError(code: .shutdown, message: "could not create an admin result queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_operation_timeout(
            options,
            Int32(timeout.kafkaMilliseconds),
            &errstr,
            errstr.count
        )
        _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.kafkaMilliseconds), &errstr, errstr.count)
        request(queue, options)
        guard let event = rd_kafka_queue_poll(queue, Int32(timeout.kafkaMilliseconds) + 5_000) else {
            throw KafkaError(code: .timedOut, message: "the admin request got no answer within \(timeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) }
            throw KafkaError.librdkafka(err, message: text)
        }
        let (results, count) = read(event)
        guard let results else { return }
        for i in 0..<count {
            guard let result = results[i] else { continue }
            let topicErr = rd_kafka_topic_result_error(result)
            if topicErr != RD_KAFKA_RESP_ERR_NO_ERROR {
                let name = rd_kafka_topic_result_name(result).map { String(cString: $0) }
                let text = rd_kafka_topic_result_error_string(result).map { String(cString: $0) }
                throw KafkaError.librdkafka(topicErr, message: text, topic: name)
            }
        }
    }
}
