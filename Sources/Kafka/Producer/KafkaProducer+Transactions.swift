// Transactions: a scope (`withTransaction`) and the explicit steps under it.

extension KafkaProducer {
    /// Runs `body` in a transaction: begins one, runs the body (every message sent meanwhile belongs to it),
    /// commits when the body returns, and aborts when the body throws or the task is cancelled.
    ///
    /// ```swift
    /// var config = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
    /// config.transactionalID = "orders-writer-1"
    /// let producer = try KafkaProducer(configuration: config, logger: logger)
    /// try await producer.withTransaction { transaction in
    ///     try await transaction.enqueue(KafkaProducerMessage(topic: "orders", key: "42", value: "created"))
    ///     try await transaction.enqueue(KafkaProducerMessage(topic: "audit", key: "42", value: "order created"))
    /// }  // both messages are committed, or neither is
    /// ```
    ///
    /// The first transaction of a producer initializes transactions (`rd_kafka_init_transactions`): that fences
    /// any older producer with the same ``KafkaProducerConfiguration/transactionalID`` and finishes what it left
    /// open.
    ///
    /// Errors, by what to do about them (``KafkaError/transactionRemedy``):
    /// - ``KafkaError/TransactionRemedy/retry``: the commit kept failing with a retriable error (it was retried until
    ///   `timeout`). The transaction is still open: call ``commitTransaction(timeout:)`` again to finish it, or
    ///   ``abortTransaction(timeout:)``.
    /// - ``KafkaError/TransactionRemedy/abortAndRetryTransaction``: the transaction could not commit (a message of it
    ///   failed, for instance) and was aborted; nothing of it is visible to read-committed consumers. Run the whole
    ///   body again.
    /// - ``KafkaError/TransactionRemedy/recreateProducer``: fatal, e.g. ``KafkaError/Code/fenced`` when a newer
    ///   instance took over the transactional id. The producer refuses all further work; close it.
    ///
    /// - Parameters:
    ///   - timeout: bounds each blocking step: initializing and beginning, the commit (retries included), the
    ///     abort. Default ``KafkaProducerConfiguration/transactionTimeout`` (librdkafka's 60 s).
    ///   - body: sends through the transaction (or the producer), and may add a consumer's offsets with
    ///     ``KafkaTransaction/sendOffsets(_:groupMetadata:timeout:)``.
    /// - Returns: what `body` returned, once the transaction is committed.
    /// - Throws: the body's error after the abort (or `CancellationError` when the task was cancelled), or the
    ///   commit's. When the abort itself fails, its error, with the body's as ``KafkaError/underlying``.
    @discardableResult
    public nonisolated(nonsending) func withTransaction<Result>(
        timeout: Duration? = nil,
        _ body: (KafkaTransaction) async throws -> Result
    ) async throws -> Result {
        let timeout = timeout ?? core.transactionTimeout
        try await beginTransaction(timeout: timeout)
        let result: Result
        do {
            result = try await body(KafkaTransaction(producer: self))
        } catch {
            try await abortAfterFailure(error, timeout: timeout)
            throw error
        }
        if Task.isCancelled {
            let cancelled = CancellationError()
            try await abortAfterFailure(cancelled, timeout: timeout)
            throw cancelled
        }
        do {
            try await commitTransaction(timeout: timeout)
        } catch var error as KafkaError where error.requiresTransactionAbort && !error.isFatal {
            try await abortAfterFailure(error, timeout: timeout)
            error.message += " (the transaction was aborted; run it again)"
            throw error
        }
        return result
    }

    /// Aborts after `failure`; throws the abort's own error (with `failure` underneath) when the abort fails.
    private nonisolated(nonsending) func abortAfterFailure(_ failure: any Error, timeout: Duration) async throws {
        // A fatal failure leaves nothing to abort: the producer is unusable, and the failure says so.
        if let kafkaError = failure as? KafkaError, kafkaError.isFatal { return }
        do {
            try await abortTransaction(timeout: timeout)
        } catch var abortError as KafkaError {
            abortError.underlying = abortError.underlying ?? failure
            abortError.message += " (after: \(failure))"
            throw abortError
        }
    }

    /// Initializes transactions now, instead of at the first ``beginTransaction(timeout:)``: fences older producers
    /// with the same transactional id and finishes what they left open. Returns at once when done already.
    /// - Parameter timeout: default ``KafkaProducerConfiguration/transactionTimeout``. On a retriable timeout, call
    ///   again: the initialization goes on in the background.
    public nonisolated func initializeTransactions(timeout: Duration? = nil) async throws {
        try await core.initializeTransactions(timeout: timeout ?? core.transactionTimeout)
    }

    /// Begins a transaction; the messages sent until ``commitTransaction(timeout:)`` or
    /// ``abortTransaction(timeout:)`` belong to it. Prefer ``withTransaction(timeout:_:)``, which cannot leave one
    /// open.
    /// - Parameter timeout: bounds the initialization of the producer's first transaction.
    /// - Throws: ``KafkaError/Code/invalidUsage`` when one is open already or the producer is not transactional.
    public nonisolated func beginTransaction(timeout: Duration? = nil) async throws {
        try await core.beginTransaction(timeout: timeout ?? core.transactionTimeout)
    }

    /// Delivers the open transaction's outstanding messages, then commits it; a retriable failure is retried until
    /// `timeout`.
    /// - Throws: see ``withTransaction(timeout:_:)`` for what each ``KafkaError/transactionRemedy`` asks; after an
    ///   ``KafkaError/TransactionRemedy/abortAndRetryTransaction`` error, call ``abortTransaction(timeout:)``.
    public nonisolated func commitTransaction(timeout: Duration? = nil) async throws {
        let timeout = timeout ?? core.transactionTimeout
        try await retrying(until: ContinuousClock.now.advanced(by: timeout)) { remaining in
            try await core.commitTransaction(timeout: remaining)
        }
    }

    /// Purges the open transaction's outstanding messages (their sends fail, their reports say so) and aborts it;
    /// a retriable failure is retried until `timeout`.
    public nonisolated func abortTransaction(timeout: Duration? = nil) async throws {
        let timeout = timeout ?? core.transactionTimeout
        try await retrying(until: ContinuousClock.now.advanced(by: timeout)) { remaining in
            try await core.abortTransaction(timeout: remaining)
        }
    }

    /// Adds a consumer group's offsets to the open transaction: they become the group's committed offsets if, and
    /// only if, the transaction commits. See ``KafkaTransaction/sendOffsets(_:groupMetadata:timeout:)``.
    public nonisolated func sendOffsetsToTransaction(
        _ offsets: [KafkaTopicPartition: KafkaOffset],
        groupMetadata: KafkaConsumerGroupMetadata,
        timeout: Duration? = nil
    ) async throws {
        try await core.sendOffsetsToTransaction(
            offsets.map { ($0.key, $0.value) },
            groupMetadata: groupMetadata,
            timeout: timeout ?? core.transactionTimeout
        )
    }

    /// Runs `attempt` with the time left until `deadline`, again after a retriable failure (not an abortable or
    /// fatal one) while time is left, 100 ms apart.
    private nonisolated func retrying(
        until deadline: ContinuousClock.Instant,
        _ attempt: (Duration) async throws -> Void
    ) async throws {
        while true {
            do {
                return try await attempt(max(deadline - .now, .milliseconds(1)))
            } catch let error as KafkaError
                where error.transactionRemedy == .retry
                && ContinuousClock.now.advanced(by: .milliseconds(100)) < deadline
            {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// The open transaction of a ``KafkaProducer/withTransaction(timeout:_:)`` scope: sends through it belong to it,
/// and so do the consumer offsets given to ``sendOffsets(_:groupMetadata:timeout:)``.
///
/// Every message the producer sends while the transaction is open belongs to it, whichever value it was sent
/// through: this one names the scope's work and adds the offsets.
public struct KafkaTransaction: Sendable {
    /// The transactional producer.
    public let producer: KafkaProducer

    /// Sends a message in the transaction and waits for its delivery (a delivered message is still invisible to
    /// read-committed consumers until the commit). See ``KafkaProducer/send(_:)``.
    @discardableResult
    public func send<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws -> KafkaDelivery {
        try await producer.send(message)
    }

    /// Queues a message in the transaction; the commit waits for its delivery. See ``KafkaProducer/enqueue(_:)``.
    @discardableResult
    public func enqueue<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws -> KafkaProducerMessageID
    {
        try await producer.enqueue(message)
    }

    /// Queues many messages in the transaction. See ``KafkaProducer/enqueue(contentsOf:)``.
    @discardableResult
    public func enqueue<Messages: Sequence, Key, Value>(
        contentsOf messages: Messages
    ) async throws -> [KafkaProducerMessageID] where Messages.Element == KafkaProducerMessage<Key, Value> {
        try await producer.enqueue(contentsOf: messages)
    }

    /// Adds a consumer group's offsets (each the offset of the next message to read in its partition) to the
    /// transaction: the group commits them if, and only if, the transaction commits.
    ///
    /// The consumer must not commit by itself (``KafkaConsumerConfiguration/enableAutoCommit`` `false`).
    /// - Parameters:
    ///   - offsets: per partition, the offset of the next message to read.
    ///   - groupMetadata: from ``KafkaConsumer/groupMetadata()`` of the consumer that read the input, so the group
    ///     refuses the offsets of a member that lost its partitions in a rebalance.
    ///   - timeout: default ``KafkaProducerConfiguration/transactionTimeout``.
    public func sendOffsets(
        _ offsets: [KafkaTopicPartition: KafkaOffset],
        groupMetadata: KafkaConsumerGroupMetadata,
        timeout: Duration? = nil
    ) async throws {
        try await producer.sendOffsetsToTransaction(offsets, groupMetadata: groupMetadata, timeout: timeout)
    }

    /// Adds the offsets after `messages` (per partition, the last message's offset + 1) to the transaction: the
    /// input they came from counts as processed if, and only if, the transaction commits.
    public func sendOffsets(
        after messages: some Sequence<KafkaConsumerMessage>,
        groupMetadata: KafkaConsumerGroupMetadata,
        timeout: Duration? = nil
    ) async throws {
        let offsets = KafkaTransaction.offsets(after: messages)
        guard !offsets.isEmpty else { return }
        try await sendOffsets(offsets, groupMetadata: groupMetadata, timeout: timeout)
    }

    /// Per partition, the offset after the highest message of `messages`.
    package static func offsets(after messages: some Sequence<KafkaConsumerMessage>) -> [KafkaTopicPartition:
        KafkaOffset]
    {
        var offsets: [KafkaTopicPartition: KafkaOffset] = [:]
        for message in messages {
            let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            let next = KafkaOffset(rawValue: message.offset.rawValue + 1)
            if let current = offsets[partition], current >= next { continue }
            offsets[partition] = next
        }
        return offsets
    }
}
