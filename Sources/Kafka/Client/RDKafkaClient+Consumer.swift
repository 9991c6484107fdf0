internal import CLibrdkafka
import NIOCore

/// What one poll of the consumer queue returned, translated and with every librdkafka message freed.
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
        defer {
            for i in 0..<count {
                rd_kafka_message_destroy(slots[i])
                slots[i] = nil
            }
        }
        var batch = Self.translate(UnsafeMutableBufferPointer(rebasing: slots[0..<count]))
        batch.remaining = Int(rd_kafka_queue_length(queue))
        return batch
    }

    /// Keys and values are copied into buffers of about this size, shared by the messages they hold. Small enough
    /// that malloc recycles them while the loop frees earlier ones (a buffer per poll, megabytes at a time, went back
    /// to the kernel and was faulted in again: the batch loop at 1,000-byte messages ran ~20 % faster with 64 KiB),
    /// and that a message kept by the application holds little memory alive.
    static let copyChunkBytes = 64 * 1024

    /// Copies the messages' keys and values into shared buffers (``copyChunkBytes`` each) and hands out slices.
    private static func translate(_ slots: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>) -> ConsumedBatch {
        var batch = ConsumedBatch()
        batch.messages.reserveCapacity(slots.count)
        var topics = TopicNameCache()
        func payloadSize(_ slot: UnsafeMutablePointer<rd_kafka_message_t>?) -> Int {
            guard let m = slot?.pointee, m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return 0 }
            return m.key_len + m.len
        }
        var start = 0
        while start < slots.count {
            // The next chunk: the messages whose keys and values fit in copyChunkBytes (at least one message).
            var end = start
            var bytes = 0
            while end < slots.count {
                let size = payloadSize(slots[end])
                if end > start && bytes + size > copyChunkBytes { break }
                bytes += size
                end += 1
            }
            batch.payloadBytes += bytes
            // Copy every key and value of the chunk first, then hand out slices: writing after a slice exists
            // would make the buffer copy itself on each write (it is no longer uniquely referenced).
            var storage = ByteBufferAllocator().buffer(capacity: bytes)
            for case let message? in slots[start..<end] where message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                if let key = message.pointee.key {
                    storage.writeBytes(UnsafeRawBufferPointer(start: key, count: message.pointee.key_len))
                }
                if let payload = message.pointee.payload {
                    storage.writeBytes(UnsafeRawBufferPointer(start: payload, count: message.pointee.len))
                }
            }
            var cursor = storage.readerIndex
            translateMessages(slots[start..<end], storage: storage, cursor: &cursor, into: &batch, topics: &topics)
            start = end
        }
        return batch
    }

    @inline(__always)
    private static func translateMessages(
        _ slots: Slice<UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>>,
        storage: ByteBuffer,
        cursor: inout Int,
        into batch: inout ConsumedBatch,
        topics: inout TopicNameCache
    ) {
        for case let message? in slots {
            let m = message.pointee
            let topic = topics.name(of: m.rkt)
            let partition = KafkaPartition(rawValue: m.partition)
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
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
            func slice(_ pointer: UnsafeMutableRawPointer?, _ length: Int) -> ByteBuffer? {
                guard pointer != nil else { return nil }
                defer { cursor += length }
                return storage.getSlice(at: cursor, length: length)
            }
            if !batch.partitionEnds.isEmpty {
                batch.partitionEnds.removeAll { $0.0.partition == partition && $0.0.topic == topic }
            }
            let key = slice(m.key, m.key_len)
            let value = slice(m.payload, m.len)
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let ts = rd_kafka_message_timestamp(message, &type)
            batch.messages.append(
                KafkaConsumerMessage(
                    topic: topic,
                    partition: partition,
                    offset: KafkaOffset(rawValue: m.offset),
                    key: key,
                    value: value,
                    headers: Self.headers(of: message),
                    timestamp: ts >= 0 ? KafkaTimestamp(millisecondsSinceEpoch: ts) : nil,
                    timestampType: type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .createTime
                )
            )
        }
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var list: OpaquePointer? = nil
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        // The list is borrowed: it belongs to the message.
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(rd_kafka_header_cnt(list))
        var index = 0
        var name: UnsafePointer<CChar>? = nil
        var value: UnsafeRawPointer? = nil
        var size = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let key = name.map { String(cString: $0) } ?? ""
            let bytes = value.map { ByteBuffer(bytes: UnsafeRawBufferPointer(start: $0, count: size)) }
            headers.append(KafkaHeader(key: key, value: bytes))
            index += 1
        }
        return headers
    }

    /// Subscribes to `topics` as a member of the configured group. Non-blocking.
    func subscribe(topics: [String]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(topics.map { (KafkaTopicPartition(topic: $0, partition: .unassigned), .invalid) })
        let err = rd_kafka_subscribe(pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(err, message: "subscribe to \(topics) failed: \(String(cString: rd_kafka_err2str(err)))")
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

    /// Commits what is stored (with auto-commit), leaves the group, and stops the consumer. Blocking (serves the
    /// final revocation and log lines on the calling thread); poll thread only, after `guard.closeAndWait()`.
    ///
    /// - Important: `rd_kafka_consumer_close` ends its wait early (with `_TIMED_OUT`, skipping the LeaveGroup) if
    ///   the consumer queue is yielded meanwhile; ``wakeUp()`` goes through ``guard``, so once the guard is
    ///   closed no yield can land.
    func closeConsumer() -> KafkaError? {
        let err = rd_kafka_consumer_close(pointer)
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.librdkafka(err, message: "consumer close")
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
