internal import CLibrdkafka

// Consumer control calls. Blocking ones (a timeout argument) run on the consumer's poll thread only; the others
// say where they may run.
extension RDKafkaClient {
    /// Starts a commit of `offsets` (the offsets of the next messages to read), or of every stored offset when
    /// `nil`, without waiting for it (non-blocking, any thread); the result is logged. Nothing to commit is not an
    /// error.
    func commitInBackground(_ offsets: [(KafkaTopicPartition, KafkaOffset)]?) throws(KafkaError) {
        let list = offsets.map { RDKafkaTopicPartitionList($0) }
        let err = rd_kafka_commit(pointer, list?.pointer, 1)
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "commit failed: \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    /// Commits `offsets` (the offsets of the next messages to read), or every stored offset when `nil`, and waits
    /// for the result until `deadline`. Nothing to commit is not an error. Blocking; poll thread only.
    ///
    /// librdkafka's own synchronous commit waits without end while the group coordinator is unreachable; this
    /// sends the commit with `rd_kafka_commit_queue` and waits on that queue, up to the deadline.
    /// - Throws: ``KafkaError/Code/timedOut`` at the deadline (the commit may still happen later), or the commit's
    ///   error, or the first partition's error.
    func commit(_ offsets: [(KafkaTopicPartition, KafkaOffset)]?, deadline: ContinuousClock.Instant) throws(KafkaError)
    {
        guard let resultQueue = rd_kafka_queue_new(pointer) else {
            throw KafkaError(code: .shutdown, message: "commit: librdkafka made no queue")
        }
        defer { rd_kafka_queue_destroy(resultQueue) }
        let list = offsets.map { RDKafkaTopicPartitionList($0) }
        let err = rd_kafka_commit_queue(pointer, list?.pointer, resultQueue, nil, nil)
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "commit failed: \(String(cString: rd_kafka_err2str(err)))")
        }
        while true {
            let left = deadline - .now
            guard left > .zero else {
                throw KafkaError(
                    code: .timedOut,
                    message: "commit: no answer from the group coordinator in time (it may still be committed)"
                )
            }
            guard let event = rd_kafka_queue_poll(resultQueue, min(Self.milliseconds(left), 100)) else { continue }
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT else { continue }
            let result = rd_kafka_event_error(event)
            if result == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.librdkafka(
                    result,
                    message: "commit failed: \(String(cString: rd_kafka_err2str(result)))"
                )
            }
            if let partitions = rd_kafka_event_topic_partition_list(event),
                let error = RDKafkaTopicPartitionList.firstError(in: partitions)
            {
                throw error
            }
            return
        }
    }

    /// The offsets committed for `partitions` by this consumer's group. Blocking; poll thread only.
    func committed(
        _ partitions: [KafkaTopicPartition],
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [KafkaTopicPartition: KafkaOffset] {
        let list = RDKafkaTopicPartitionList(partitions.map { ($0, .invalid) })
        let err = rd_kafka_committed(pointer, list.pointer, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "committed offsets: \(String(cString: rd_kafka_err2str(err)))")
        }
        if let error = list.firstError() { throw error }
        return Dictionary(list.entries, uniquingKeysWith: { _, last in last })
    }

    /// The fetch position of `partitions`: the offset after the last message librdkafka handed over
    /// (`KafkaOffset.invalid` when none yet). Non-blocking.
    func position(_ partitions: [KafkaTopicPartition]) throws(KafkaError) -> [KafkaTopicPartition: KafkaOffset] {
        let list = RDKafkaTopicPartitionList(partitions.map { ($0, .invalid) })
        let err = rd_kafka_position(pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.librdkafka(err, message: "position") }
        return Dictionary(list.entries, uniquingKeysWith: { _, last in last })
    }

    /// Moves the fetch position of assigned partitions. Blocking (waits up to the timeout for the seek to be
    /// applied); poll thread only.
    /// With a timeout of 0 the seek is only started (each partition reports `_IN_PROGRESS`, which is no error).
    func seek(_ offsets: [(KafkaTopicPartition, KafkaOffset)], timeoutMilliseconds: Int32) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(offsets)
        if let error = rd_kafka_seek_partitions(pointer, list.pointer, timeoutMilliseconds) {
            throw KafkaError(consuming: error)
        }
        let started = timeoutMilliseconds == 0 ? RD_KAFKA_RESP_ERR__IN_PROGRESS : RD_KAFKA_RESP_ERR_NO_ERROR
        if let error = list.firstError(ignoring: started) { throw error }
    }

    /// The earliest offset of each partition whose message timestamp is at or after the given time (milliseconds
    /// since the epoch); `KafkaOffset.end` where no message is that recent. Blocking; poll thread only.
    func offsets(
        forTimes times: [(KafkaTopicPartition, Int64)],
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [KafkaTopicPartition: KafkaOffset] {
        let list = RDKafkaTopicPartitionList(times.map { ($0.0, KafkaOffset(rawValue: $0.1)) })
        let err = rd_kafka_offsets_for_times(pointer, list.pointer, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "offsets for times: \(String(cString: rd_kafka_err2str(err)))")
        }
        if let error = list.firstError() { throw error }
        return Dictionary(list.entries, uniquingKeysWith: { _, last in last })
    }

    /// Asks the partition's leader for its watermarks. Blocking; poll thread only.
    func queryWatermarks(
        _ partition: KafkaTopicPartition,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> KafkaWatermarks {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_query_watermark_offsets(
            pointer,
            partition.topic,
            partition.partition.rawValue,
            &low,
            &high,
            timeoutMilliseconds
        )
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(
                err,
                message: "watermarks of \(partition): \(String(cString: rd_kafka_err2str(err)))",
                topic: partition.topic,
                partition: partition.partition
            )
        }
        return KafkaWatermarks(low: KafkaOffset(rawValue: low), high: KafkaOffset(rawValue: high))
    }

    /// The watermarks librdkafka last saw in fetch responses for a partition it fetches, or `nil` when it has
    /// none yet. Non-blocking.
    func cachedWatermarks(_ partition: KafkaTopicPartition) -> KafkaWatermarks? {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_get_watermark_offsets(pointer, partition.topic, partition.partition.rawValue, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return KafkaWatermarks(low: KafkaOffset(rawValue: low), high: KafkaOffset(rawValue: high))
    }
}
