internal import CLibrdkafka

// The transactional producer API and the consumer's group metadata. librdkafka's transaction calls block (up to
// the timeout given) on the coordinator's answers: they run on threads the library owns, never on Swift's
// cooperative pool. Each error object is read and destroyed in `KafkaError(consuming:)`.

extension RDKafkaClient {
    /// `rd_kafka_init_transactions`. Blocking (up to the timeout).
    func initTransactions(timeoutMilliseconds: Int32) throws(KafkaError) {
        if let error = rd_kafka_init_transactions(pointer, timeoutMilliseconds) {
            throw transactionError(consuming: error, "initializing transactions")
        }
    }

    /// `rd_kafka_begin_transaction`. Non-blocking.
    func beginTransaction() throws(KafkaError) {
        if let error = rd_kafka_begin_transaction(pointer) {
            throw transactionError(consuming: error, "beginning a transaction")
        }
    }

    /// `rd_kafka_send_offsets_to_transaction` with group metadata read back from its serialized form (or made from
    /// the group id). Blocking (up to the timeout).
    func sendOffsetsToTransaction(
        _ offsets: [(KafkaTopicPartition, KafkaOffset)],
        groupMetadata: KafkaConsumerGroupMetadata,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) {
        let metadata = try Self.makeGroupMetadata(groupMetadata)
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        let list = RDKafkaTopicPartitionList(offsets)
        if let error = rd_kafka_send_offsets_to_transaction(pointer, list.pointer, metadata, timeoutMilliseconds) {
            throw transactionError(consuming: error, "sending offsets to the transaction")
        }
    }

    /// `rd_kafka_commit_transaction`: delivers what is outstanding, then commits. Blocking (up to the timeout).
    func commitTransaction(timeoutMilliseconds: Int32) throws(KafkaError) {
        if let error = rd_kafka_commit_transaction(pointer, timeoutMilliseconds) {
            throw transactionError(consuming: error, "committing the transaction")
        }
    }

    /// `rd_kafka_abort_transaction`: purges what is outstanding, then aborts. Blocking (up to the timeout).
    func abortTransaction(timeoutMilliseconds: Int32) throws(KafkaError) {
        if let error = rd_kafka_abort_transaction(pointer, timeoutMilliseconds) {
            throw transactionError(consuming: error, "aborting the transaction")
        }
    }

    /// The fatal error librdkafka raised on this handle, if any (`rd_kafka_fatal_error`).
    func raisedFatalError() -> KafkaError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(pointer, &buffer, buffer.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError.librdkafka(err, message: String(nulTerminated: buffer), isFatal: true)
    }

    /// A transaction call's error, named by the step; a `_FATAL` code is replaced by the fatal error's own code
    /// and reason (librdkafka returns `_FATAL` for every call after the first).
    private func transactionError(consuming error: OpaquePointer, _ step: String) -> KafkaError {
        var kafkaError = KafkaError(consuming: error)
        if kafkaError.isFatal || kafkaError.code == .fatal, let fatal = raisedFatalError() {
            kafkaError.code = fatal.code
            kafkaError.message = fatal.message
            kafkaError.isFatal = true
        }
        kafkaError.message = "\(step): \(kafkaError.message)"
        return kafkaError
    }

    /// A librdkafka group metadata object for `metadata`; the caller destroys it.
    private static func makeGroupMetadata(
        _ metadata: KafkaConsumerGroupMetadata
    ) throws(KafkaError) -> OpaquePointer {
        guard let serialized = metadata.serialized else {
            guard let made = rd_kafka_consumer_group_metadata_new(metadata.groupID) else {
                throw KafkaError(code: .invalidUsage, message: "no group metadata for group '\(metadata.groupID)'")
            }
            return made
        }
        var made: OpaquePointer?
        let error = serialized.withUnsafeBytes { bytes in
            rd_kafka_consumer_group_metadata_read(&made, bytes.baseAddress, bytes.count)
        }
        if let error { throw KafkaError(consuming: error) }
        guard let made else {
            throw KafkaError(code: .invalidUsage, message: "unreadable group metadata of group '\(metadata.groupID)'")
        }
        return made
    }

    /// A consumer's current group metadata (member id, generation), serialized. Blocking (librdkafka's main thread
    /// answers it); poll thread.
    func groupMetadata(groupID: String) throws(KafkaError) -> KafkaConsumerGroupMetadata {
        guard let metadata = rd_kafka_consumer_group_metadata(pointer) else {
            throw KafkaError(
                code: .invalidUsage,
                message: "group metadata: this consumer is not a member of a group (it has no group.id)"
            )
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        var buffer: UnsafeMutableRawPointer?
        var size = 0
        if let error = rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size) {
            throw KafkaError(consuming: error)
        }
        guard let buffer else { return KafkaConsumerGroupMetadata(groupID: groupID) }
        defer { rd_kafka_mem_free(nil, buffer) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: size))
        return KafkaConsumerGroupMetadata(groupID: groupID, serialized: bytes)
    }
}
