internal import CLibrdkafka

/// What one poll of the consumer queue returned, translated. The messages own librdkafka's (see
/// ``RDKafkaMessageLease``).
struct ConsumedBatch: Sendable {
    var messages: [KafkaConsumerMessage] = []
    /// Partitions whose end was reached, with the offset of the end. An end followed by a message of the same
    /// partition in the same batch is left out: it is no longer the end.
    var partitionEnds: [(KafkaTopicPartition, KafkaOffset)] = []
    /// Consumer errors (not fatal to the client unless `isFatal`).
    var errors: [KafkaError] = []
    /// Bytes of keys and values in ``messages``.
    var payloadBytes = 0
    /// Messages and events left in librdkafka's consumer queue after the last poll.
    var remaining = 0

    var isEmpty: Bool { messages.isEmpty && partitionEnds.isEmpty && errors.isEmpty }
}

extension RDKafkaClient {
    /// Waits up to `timeoutMilliseconds` for the first message or event, then takes whatever else is ready, up to
    /// `maxCount` in all. Serves rebalance, log and error callbacks on the calling thread. Poll thread only.
    func consumeBatch(timeoutMilliseconds: Int32, maxCount: Int, buffer: ConsumeBuffer) -> ConsumedBatch {
        let slots = buffer.slots(maxCount)
        guard let first = rd_kafka_consumer_poll(pointer, timeoutMilliseconds) else {
            return ConsumedBatch(remaining: Int(rd_kafka_queue_length(queue)))
        }
        slots[0] = first
        var count = 1
        if slots.count > 1, let rest = slots.baseAddress?.advanced(by: 1) {
            let n = rd_kafka_consume_batch_queue(queue, 0, rest, slots.count - 1)
            if n > 0 { count += n }
        }
        // The lease destroys the messages once the last message handed out of them is gone.
        let lease = RDKafkaMessageLease(taking: slots[0..<count], leases: leases)
        var batch = Self.translate(lease.messages, lease: lease)
        batch.remaining = Int(rd_kafka_queue_length(queue))
        return batch
    }

    /// Messages for the application, reading keys and values in place (the lease keeps them alive), and the
    /// partition ends and errors among `slots`.
    private static func translate(
        _ slots: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>,
        lease: RDKafkaMessageLease
    ) -> ConsumedBatch {
        var batch = ConsumedBatch()
        batch.messages.reserveCapacity(slots.count)
        var topics = TopicNameCache()
        for case let message? in slots {
            let m = message.pointee
            let topic = topics.name(of: m.rkt)
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let partition = KafkaPartition(rawValue: m.partition)
                if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    batch.partitionEnds.append(
                        (KafkaTopicPartition(topic: topic, partition: partition), KafkaOffset(rawValue: m.offset))
                    )
                } else {
                    let text = rd_kafka_message_errstr(message).map { String(cString: $0) }
                    batch.errors.append(
                        KafkaError.librdkafka(
                            m.err,
                            message: text,
                            topic: m.rkt == nil ? nil : topic,
                            partition: m.rkt == nil ? nil : partition
                        )
                    )
                }
                continue
            }
            if !batch.partitionEnds.isEmpty {
                batch.partitionEnds.removeAll { $0.0.partition.rawValue == m.partition && $0.0.topic == topic }
            }
            batch.payloadBytes += m.key_len + m.len
            batch.messages.append(KafkaConsumerMessage(topic: topic, owner: lease, message: message))
        }
        return batch
    }

    /// Subscribes to `topics` as a member of the configured group. Non-blocking.
    func subscribe(topics: [String]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(
            topics.map { (KafkaTopicPartition(topic: $0, partition: .unassigned), .invalid) }
        )
        let err = rd_kafka_subscribe(pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(
                err,
                message: "subscribe to \(topics) failed: \(String(cString: rd_kafka_err2str(err)))"
            )
        }
    }

    /// Assigns fixed partitions, each from its offset. Non-blocking.
    func assign(_ partitions: [(KafkaTopicPartition, KafkaOffset)]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(partitions)
        let err = rd_kafka_assign(pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "assign failed: \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    /// Leaves the group: the assignment is revoked through the rebalance callback at a later poll. Non-blocking.
    func unsubscribe() throws(KafkaError) {
        let err = rd_kafka_unsubscribe(pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "unsubscribe failed: \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    /// Stores the offsets to commit next (`rd_kafka_offsets_store`). Non-blocking; any thread; a no-op once the
    /// handle is closing. Partitions no longer assigned are skipped by librdkafka.
    func storeOffsets(_ offsets: [(KafkaTopicPartition, KafkaOffset)]) {
        guard !offsets.isEmpty, self.guard.enter() else { return }
        defer { self.guard.exit() }
        let list = RDKafkaTopicPartitionList(offsets)
        let err = rd_kafka_offsets_store(pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE {
            logger.debug("offset store: \(KafkaError.librdkafka(err))")
        }
    }

    /// Messages and events waiting in the consumer queue (`rd_kafka_queue_length`). Non-blocking; guarded callers.
    var queuedMessageCount: Int {
        Int(rd_kafka_queue_length(queue))
    }

    /// The partitions currently assigned.
    func assignment() -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? = nil
        guard rd_kafka_assignment(pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        return RDKafkaTopicPartitionList(owning: list).entries.map(\.0)
    }

    /// Stops (`pause: true`) or restarts fetching `partitions`. Non-blocking. Pausing drops what was prefetched for
    /// them; fetching resumes at the position after the last message handed out.
    func setPaused(_ pause: Bool, partitions: [KafkaTopicPartition]) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(partitions.map { ($0, .invalid) })
        _ = pause ? rd_kafka_pause_partitions(pointer, list.pointer) : rd_kafka_resume_partitions(pointer, list.pointer)
    }

    /// The number of partitions of `topic`, from a metadata request. Blocking; poll thread only.
    func partitionCount(topic: String, timeoutMilliseconds: Int32) -> Result<Int, KafkaError> {
        guard let rkt = rd_kafka_topic_new(pointer, topic, nil) else {
            return .failure(KafkaError.librdkafka(rd_kafka_last_error(), topic: topic))
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let err = rd_kafka_metadata(pointer, 0, rkt, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(KafkaError.librdkafka(err, message: "metadata request for \(topic) failed", topic: topic))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let topics = metadata.pointee.topics else {
            return .failure(KafkaError.librdkafka(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, topic: topic))
        }
        let entry = topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(KafkaError.librdkafka(entry.err, topic: topic))
        }
        return .success(Int(entry.partition_cnt))
    }

    /// Commits what is stored (with auto-commit), leaves the group, and stops the consumer, giving up at
    /// `deadline`. Blocking (serves the final revocation and log lines on the calling thread); poll thread only,
    /// after `guard.closeAndWait()`.
    ///
    /// Runs `rd_kafka_consumer_close_queue` and serves its queue until `rd_kafka_consumer_closed` or the deadline:
    /// with its brokers gone, the blocking `rd_kafka_consumer_close` waits for the group coordinator without end.
    /// Returns `nil` once closed, or the error (``KafkaError/Code/timedOut`` at the deadline); the handle may be
    /// destroyed either way (`RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`).
    func closeConsumer(deadline: ContinuousClock.Instant) -> KafkaError? {
        guard let closeQueue = rd_kafka_queue_new(pointer) else {
            return KafkaError(code: .shutdown, message: "consumer close: librdkafka made no queue")
        }
        defer { rd_kafka_queue_destroy(closeQueue) }
        // librdkafka forwards the consumer queue (messages, the final revocation, and the main queue's log lines
        // and errors) to the close queue.
        if let error = rd_kafka_consumer_close_queue(pointer, closeQueue) {
            return KafkaError(consuming: error)
        }
        while rd_kafka_consumer_closed(pointer) == 0 {
            let left = deadline - .now
            guard left > .zero else {
                return KafkaError(
                    code: .timedOut,
                    message: "consumer close did not finish in time (group not left, last offsets not committed)"
                )
            }
            // The event API: a callback-serving poll would abort on the messages still arriving.
            guard let event = rd_kafka_queue_poll(closeQueue, min(Self.milliseconds(left), 100)) else { continue }
            defer { rd_kafka_event_destroy(event) }  // messages fetched meanwhile are dropped with their event
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE {
                callbacks.rebalance(
                    rk: pointer,
                    err: rd_kafka_event_error(event),
                    partitions: rd_kafka_event_topic_partition_list(event)
                )
            } else {
                _ = callbacks.serveLogOrError(event, rk: pointer)
            }
        }
        return nil
    }
}

extension RDKafkaClient {
    /// Whole milliseconds in `duration`, at least 0 and at most `Int32.max`.
    static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(duration.kafkaMilliseconds, 0))
    }
}

/// The name of the topic handle seen last (messages come in runs of one topic).
private struct TopicNameCache {
    private var last: (OpaquePointer, String)? = nil

    mutating func name(of rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if let last, last.0 == rkt { return last.1 }
        let name = String(cString: rd_kafka_topic_name(rkt))
        last = (rkt, name)
        return name
    }
}

/// Storage for message pointers taken from librdkafka in one poll. Used by the poll thread only.
final class ConsumeBuffer {
    private var storage: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>

    init() {
        storage = .allocate(capacity: 1)
        storage.initialize(repeating: nil)
    }

    fileprivate func slots(_ count: Int) -> UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?> {
        let count = max(count, 1)
        if storage.count < count {
            storage.deallocate()
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil)
        }
        return UnsafeMutableBufferPointer(rebasing: storage[0..<count])
    }

    deinit {
        storage.deallocate()
    }
}
