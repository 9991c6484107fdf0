internal import CLibrdkafka

/// Low and high watermark offsets of one partition.
public struct KafkaWatermarks: Hashable, Sendable, CustomStringConvertible {
    /// The offset of the oldest message still in the partition.
    public var low: KafkaOffset
    /// The offset the next message produced to the partition will get (one past the newest).
    public var high: KafkaOffset

    public init(low: KafkaOffset, high: KafkaOffset) {
        self.low = low
        self.high = high
    }

    /// Messages in the partition: `high - low`.
    public var count: Int64 { high.rawValue - low.rawValue }

    public var description: String { "[\(low.rawValue), \(high.rawValue))" }
}

// Consumer control calls. Blocking ones (a timeout argument) run on the consumer's poll thread only; the others
// say where they may run.
extension RDKafkaClient {
    /// Commits `offsets` (the offsets of the next messages to read), or every stored offset when `nil`.
    /// Blocking when `wait`; poll thread only then. Nothing to commit is not an error.
    func commit(_ offsets: [(KafkaTopicPartition, KafkaOffset)]?, wait: Bool) throws(KafkaError) {
        let list = offsets.map { RDKafkaTopicPartitionList($0) }
        let err = rd_kafka_commit(pointer, list?.pointer, wait ? 0 : 1)
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "commit failed: \(String(cString: rd_kafka_err2str(err)))")
        }
        if let error = list?.firstError() { throw error }
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
