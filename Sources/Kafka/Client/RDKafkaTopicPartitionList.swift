internal import CLibrdkafka

/// Owns a `rd_kafka_topic_partition_list_t`; `deinit` destroys it.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ entries: [(KafkaTopicPartition, KafkaOffset)]) {
        // rd_kafka_topic_partition_list_new never returns NULL (it aborts on allocation failure).
        pointer = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition.rawValue)
            element?.pointee.offset = offset.rawValue
        }
    }

    /// Takes ownership of a list librdkafka handed to us (e.g. from `rd_kafka_assignment`).
    init(owning pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    var entries: [(KafkaTopicPartition, KafkaOffset)] {
        Self.read(pointer)
    }

    /// Reads a list without taking ownership (event and callback lists are borrowed).
    static func read(
        _ list: UnsafePointer<rd_kafka_topic_partition_list_t>?
    ) -> [(KafkaTopicPartition, KafkaOffset)] {
        guard let list, let elems = list.pointee.elems else { return [] }
        var result: [(KafkaTopicPartition, KafkaOffset)] = []
        result.reserveCapacity(Int(list.pointee.cnt))
        for i in 0..<Int(list.pointee.cnt) {
            let e = elems[i]
            let topic = e.topic.map { String(cString: $0) } ?? ""
            result.append(
                (
                    KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: e.partition)),
                    KafkaOffset(rawValue: e.offset)
                )
            )
        }
        return result
    }

    /// The first per-partition error in the list, if any (commit, committed and offsets-for-times results carry one
    /// per entry).
    func firstError(ignoring ignored: rd_kafka_resp_err_t = RD_KAFKA_RESP_ERR_NO_ERROR) -> KafkaError? {
        Self.firstError(in: pointer, ignoring: ignored)
    }

    /// The first per-partition error in a list this does not own (an event's).
    static func firstError(
        in list: UnsafePointer<rd_kafka_topic_partition_list_t>,
        ignoring ignored: rd_kafka_resp_err_t = RD_KAFKA_RESP_ERR_NO_ERROR
    ) -> KafkaError? {
        guard let elems = list.pointee.elems else { return nil }
        for i in 0..<Int(list.pointee.cnt)
        where elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR && elems[i].err != ignored {
            let e = elems[i]
            let topic = e.topic.map { String(cString: $0) }
            return KafkaError.librdkafka(
                e.err,
                topic: topic,
                partition: KafkaPartition(rawValue: e.partition)
            )
        }
        return nil
    }
}
