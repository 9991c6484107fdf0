public import Logging
public import ServiceLifecycle
import Synchronization

/// Reads a consumer group, transforms each batch, and writes the outputs and commits the input offsets in one
/// transaction per batch: every input message counts exactly once in the committed output, across failures,
/// rebalances and restarts.
///
/// ```swift
/// var input = KafkaConsumerConfiguration(
///     bootstrapServers: ["localhost:9092"],
///     consumptionStrategy: .group(id: "enricher", topics: ["orders"])
/// )
/// var output = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
/// output.transactionalID = "enricher-\(instanceNumber)"
/// let processor = try KafkaExactlyOnceProcessor(consumer: input, producer: output, logger: logger) { batch in
///     batch.messages.map { KafkaProducerMessage(topic: "orders-enriched", key: $0.key, value: enrich($0.value)) }
/// }
/// try await processor.run()   // or in a ServiceGroup: a graceful shutdown finishes the batch in hand
/// ```
///
/// How it keeps exactly-once:
/// - Each transaction holds the outputs of up to `maxBatch` inputs (the batches the consumer has ready, transformed
///   and sent one after the other, so that sending overlaps reading) and the group's offsets after them, sent with
///   the consumer's group metadata, so the group refuses them from a member that lost its partitions.
///   Read-committed readers see a transaction's outputs once it commits, and never those of an aborted one.
/// - A rebalance waits for the transaction in hand: the revoke hook returns only once it committed or aborted, so
///   the next owner of a partition starts exactly where the committed offsets say.
/// - An aborted transaction (a failed message, commit or coordinator) rewinds the partitions still assigned to the
///   transaction's first offsets, and its input is processed again (the transform runs again for it); after ten
///   aborts in a row the processor stops with the last failure.
/// - A failing transform aborts the transaction, rewinds, and stops the processor with the transform's error.
/// - A fatal error (``KafkaError/Code/fenced``: another instance took the same transactional id) stops the processor
///   with that error.
/// - Killed without closing, the transaction in hand stays open until the broker aborts it
///   (``KafkaProducerConfiguration/transactionTimeout``) or a new producer with the same transactional id fences
///   it; either way it never commits, and the input is processed again by whoever owns it next.
///
/// The consumer's ``KafkaConsumerConfiguration/enableAutoCommit`` is turned off (the transactions commit), and its
/// ``KafkaConsumerConfiguration/isolationLevel`` is read-committed unless set otherwise. The producer needs a
/// ``KafkaProducerConfiguration/transactionalID``, unique per running instance.
public final class KafkaExactlyOnceProcessor<
    Key: KafkaContiguousBytes & Sendable,
    Value: KafkaContiguousBytes & Sendable
>:
    Service, Sendable
{
    /// Input for the transform: a batch of a transaction (a transaction takes the batches the consumer has ready,
    /// up to `maxBatch` input messages).
    public struct Batch: Sendable {
        /// The messages, in the order read (per partition, in offset order).
        public let messages: [KafkaConsumerMessage]
        /// This processor's number for the transaction the batch belongs to, counting from 1; input processed again
        /// after an abort gets a new number.
        public let transaction: Int
    }

    /// What the processor did, for monitoring and tests: read it from ``events``.
    public enum Event: Sendable, CustomStringConvertible {
        /// Transaction `transaction` committed `outputs` messages for `inputs` input messages; `offsets` are the
        /// group's committed offsets it set (the next offset to read per partition).
        case committed(transaction: Int, inputs: Int, outputs: Int, offsets: [KafkaTopicPartition: KafkaOffset])
        /// Transaction `transaction` was aborted for `reason`; its inputs are read again.
        case aborted(transaction: Int, reason: String)

        public var description: String {
            switch self {
            case .committed(let transaction, let inputs, let outputs, _):
                return "transaction \(transaction) committed: \(inputs) inputs, \(outputs) outputs"
            case .aborted(let transaction, let reason):
                return "transaction \(transaction) aborted: \(reason)"
            }
        }
    }

    /// The consumer reading the input (for its events, lag, and so on; the processor owns its loop).
    public let consumer: KafkaConsumer
    /// The transactional producer writing the output.
    public let producer: KafkaProducer
    /// Commits and aborts, as they happen. Buffers the newest 1,000; ends when ``run()`` returns.
    public let events: AsyncStream<Event>

    private let eventSink: AsyncStream<Event>.Continuation
    private let transform: @Sendable (Batch) async throws -> [KafkaProducerMessage<Key, Value>]
    private let enqueue: @Sendable (KafkaProducer, [KafkaProducerMessage<Key, Value>]) async throws -> Void
    private let maxBatch: Int
    private let maxWait: Duration
    private let logger: Logger
    private let state: SharedProcessorState
    private let stopRequested = Atomic<Bool>(false)
    private let step = Atomic<Int>(0)

    /// Creates the consumer and the transactional producer.
    ///
    /// - Parameters:
    ///   - consumer: a group consumer's configuration (``KafkaConsumerConfiguration/ConsumptionStrategy/group(id:topics:)``).
    ///   - producer: with a ``KafkaProducerConfiguration/transactionalID``.
    ///   - maxBatch: the most input messages per transaction (the transform gets them in batches of at most 1,000).
    ///     Default 500.
    ///   - maxWait: how long a batch waits to fill after its first message. Default 100 ms. A transaction then
    ///     takes the further batches the consumer has ready, without waiting.
    ///   - logger: for both clients and the processor's own lines.
    ///   - transform: the outputs of a batch; it may return none. It runs again for a batch processed again after
    ///     an abort, so it must not have effects outside the transaction.
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` without a group or a transactional id, or what the
    ///   clients' creation throws.
    @inlinable
    public convenience init(
        consumer: KafkaConsumerConfiguration,
        producer: KafkaProducerConfiguration,
        maxBatch: Int = 500,
        maxWait: Duration = .milliseconds(100),
        logger: Logger,
        transform: @escaping @Sendable (Batch) async throws -> [KafkaProducerMessage<Key, Value>]
    ) throws(KafkaError) {
        // Made here, in the caller's module, so that the send path is specialized for the output's key and value
        // types (unspecialized generic code costs about a microsecond per message).
        try self.init(
            consumer: consumer,
            producer: producer,
            maxBatch: maxBatch,
            maxWait: maxWait,
            logger: logger,
            transform: transform,
            enqueue: { producer, messages in _ = try await producer.enqueue(contentsOf: messages) }
        )
    }

    @usableFromInline
    init(
        consumer: KafkaConsumerConfiguration,
        producer: KafkaProducerConfiguration,
        maxBatch: Int,
        maxWait: Duration,
        logger: Logger,
        transform: @escaping @Sendable (Batch) async throws -> [KafkaProducerMessage<Key, Value>],
        enqueue: @escaping @Sendable (KafkaProducer, [KafkaProducerMessage<Key, Value>]) async throws -> Void
    ) throws(KafkaError) {
        guard consumer.consumptionStrategy.groupID != nil else {
            throw KafkaError.invalidConfiguration(
                key: "group.id",
                value: nil,
                reason: "an exactly-once processor reads as a member of a consumer group (.group(id:topics:))"
            )
        }
        guard producer.transactionalID != nil else {
            throw KafkaError.invalidConfiguration(
                key: "transactional.id",
                value: nil,
                reason: "an exactly-once processor writes with a transactional producer: set transactionalID"
            )
        }
        guard maxBatch >= 1 else {
            throw KafkaError.invalidConfiguration(key: "maxBatch", value: "\(maxBatch)", reason: "must be at least 1")
        }
        var consumer = consumer
        consumer.enableAutoCommit = false
        let state = SharedProcessorState()
        // Before a rebalance takes partitions away, the transaction in hand ends (commits or aborts), so the next
        // owner starts at the offsets it committed. Bounded by the consumer's rebalance hook deadline.
        let hooks = KafkaRebalanceHandler(onRevoked: { _ in
            state.requestCommit()
            await state.waitUntilIdle()
        })
        self.consumer = try KafkaConsumer(configuration: consumer, rebalanceHandler: hooks, logger: logger)
        do {
            self.producer = try KafkaProducer(configuration: producer, logger: logger)
        } catch {
            let created = self.consumer
            Task { await created.close() }
            throw error
        }
        (self.events, self.eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1_000))
        self.transform = transform
        self.enqueue = enqueue
        self.maxBatch = maxBatch
        self.maxWait = maxWait
        self.logger = logger
        self.state = state
    }

    /// Processes batches until a graceful shutdown, the task's cancellation or ``stop()``; then finishes the batch
    /// in hand, closes both clients, and returns.
    ///
    /// - Throws: the transform's error (its transaction aborted, its input rewound for the next run), or a fatal
    ///   producer error such as ``KafkaError/Code/fenced``.
    public func run() async throws {
        defer { eventSink.finish() }
        let loop = Task { try await self.processBatches() }
        state.setLoop(loop)
        let result = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await loop.result
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
        await closeClients()
        if case .failure(let error) = result {
            // Stopping while waiting for input cancels that wait: not a failure.
            if error is CancellationError, stopRequested.load(ordering: .acquiring) { return }
            throw error
        }
    }

    /// Asks ``run()`` to return after the batch in hand (at once when none is).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        state.cancelLoopIfIdle()
    }

    private func closeClients() async {
        await producer.close()
        await consumer.close()
    }

    private func processBatches() async throws {
        var transaction = 0
        var consecutiveAborts = 0
        // Consumer batches smaller than a transaction: while one is being sent, the next is read and transformed,
        // so the commit waits only for the last one's delivery.
        let chunk = min(maxBatch, 1_000)
        var iterator = consumer.batches(maxCount: chunk, maxWait: maxWait).makeAsyncIterator()
        while !stopRequested.load(ordering: .acquiring) {
            enter(.waitingForInput)
            guard let first = try await state.nextBatch(from: &iterator) else { return }
            defer { state.finishBatch() }
            transaction += 1
            try await process(
                first,
                more: { iterator.nextIfReady() },
                transaction: transaction,
                consecutiveAborts: &consecutiveAborts
            )
        }
    }

    /// One transaction: `first`, then further batches the consumer has ready (`more`), up to `maxBatch` inputs
    /// or until a rebalance or a stop asks for the commit. Any failure aborts it and rewinds its input, which the
    /// consumer then hands out again: a failed step of the transaction is then retried (up to
    /// ``maximumConsecutiveAborts`` in a row); a failed transform, or a fatal error, is thrown.
    /// After this many aborted transactions in a row (none committed between them), the processor stops with the
    /// last failure: a failure that does not pass (an output message the broker always refuses, say) must not
    /// loop forever.
    static var maximumConsecutiveAborts: Int { 10 }

    private struct TransformFailed: Error {
        let error: any Error
    }

    private func process(
        _ first: [KafkaConsumerMessage],
        more: () -> [KafkaConsumerMessage]?,
        transaction: Int,
        consecutiveAborts: inout Int
    ) async throws {
        var inputs: [KafkaConsumerMessage] = []
        var outputs = 0
        var offsets: [KafkaTopicPartition: KafkaOffset] = [:]
        do {
            enter(.beginning)
            try await producer.beginTransaction()
            var batch = first
            while true {
                inputs.append(contentsOf: batch)
                enter(.transforming)
                let produced: [KafkaProducerMessage<Key, Value>]
                do {
                    produced = try await transform(Batch(messages: batch, transaction: transaction))
                } catch {
                    throw TransformFailed(error: error)
                }
                outputs += produced.count
                enter(.sending)
                try await enqueue(producer, produced)
                if inputs.count >= maxBatch || state.commitRequested || stopRequested.load(ordering: .acquiring) {
                    break
                }
                guard let next = more() else { break }
                batch = next
            }
            offsets = KafkaTransaction.offsets(after: inputs)
            enter(.sendingOffsets)
            try await producer.sendOffsetsToTransaction(offsets, groupMetadata: consumer.groupMetadata())
            enter(.committing)
            try await commitRetrying()
        } catch let error as KafkaError where error.isFatal {
            logger.error("exactly-once processor stops: \(error)")
            eventSink.yield(.aborted(transaction: transaction, reason: "\(error)"))
            throw error
        } catch {
            if inputs.isEmpty { inputs = first }
            enter(.aborting)
            let abortFailure = await abortQuietly()
            eventSink.yield(.aborted(transaction: transaction, reason: "\(error)"))
            if let abortFailure { throw abortFailure }
            enter(.rewinding)
            await rewind(inputs)
            if let failed = error as? TransformFailed {
                // The input is rewound for the next run.
                throw failed.error
            }
            // A step of the transaction failed (a message of it, the coordinator, or a send refused once the
            // transaction had failed): the input is read again, up to a limit for a failure that does not pass.
            consecutiveAborts += 1
            guard consecutiveAborts <= Self.maximumConsecutiveAborts else {
                logger.error("\(consecutiveAborts) transactions in a row aborted; the processor stops: \(error)")
                throw error
            }
            logger.warning("transaction \(transaction) aborted; its input is read again: \(error)")
            return
        }
        consecutiveAborts = 0
        eventSink.yield(.committed(transaction: transaction, inputs: inputs.count, outputs: outputs, offsets: offsets))
    }

    /// Commits, again while it fails retriably (the commit resumes where it stopped).
    private func commitRetrying() async throws {
        while true {
            do {
                return try await producer.commitTransaction()
            } catch let error as KafkaError where error.transactionRemedy == .retry {
                logger.debug("commit still in doubt, continuing it: \(error)")
            }
        }
    }

    /// Aborts the open transaction; returns a failure only when it leaves the producer unusable.
    private func abortQuietly() async -> KafkaError? {
        do {
            try await producer.abortTransaction()
            return nil
        } catch let error as KafkaError where error.isFatal {
            return error
        } catch {
            // No transaction was open (the begin failed), or the abort timed out: librdkafka finishes it before the
            // next begin, or the broker at its transaction timeout. Either way it never commits.
            logger.warning("aborting: \(error)")
            return nil
        }
    }

    /// Seeks each partition of `messages` still assigned back to its first message in them: the consumer hands
    /// them out again.
    private func rewind(_ messages: [KafkaConsumerMessage]) async {
        var first: [KafkaTopicPartition: KafkaOffset] = [:]
        for message in messages {
            let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            if first[partition] == nil { first[partition] = message.offset }
        }
        // One seek for all: a partition revoked meanwhile fails alone (its next owner reads it from the committed
        // offset), and the others are rewound.
        do {
            try await consumer.core.seek(first.map { ($0.key, $0.value) }, timeout: .seconds(10))
        } catch {
            logger.debug("rewinding \(first.count) partitions: \(error)")
        }
    }

    /// What the loop is doing, for diagnostics and tests: `waiting for input`, `transforming`, `committing`, ...
    package var currentStep: String {
        Step(rawValue: step.load(ordering: .relaxed))?.description ?? "unknown"
    }

    enum Step: Int, CustomStringConvertible {
        case starting, waitingForInput, beginning, transforming, sending, sendingOffsets, committing, aborting
        case rewinding, stopped

        var description: String {
            switch self {
            case .starting: return "starting"
            case .waitingForInput: return "waiting for input"
            case .beginning: return "beginning a transaction"
            case .transforming: return "transforming"
            case .sending: return "sending outputs"
            case .sendingOffsets: return "sending offsets"
            case .committing: return "committing"
            case .aborting: return "aborting"
            case .rewinding: return "rewinding"
            case .stopped: return "stopped"
            }
        }
    }

    private func enter(_ next: Step) {
        step.store(next.rawValue, ordering: .relaxed)
    }
}

/// Whether the processor's loop holds a batch (from receiving it to the end of its transaction), so that a revoke
/// hook can wait for it to end and a stop can cancel a loop that only waits for input.
final class SharedProcessorState: Sendable {
    private struct State {
        var busy = false
        /// A revocation waits: the transaction in hand commits with what it has.
        var commitRequested = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var loop: Task<Void, any Error>?
        var stopping = false
    }

    private let state = Mutex(State())

    func setLoop(_ loop: Task<Void, any Error>) {
        let cancelNow = state.withLock { state in
            state.loop = loop
            return state.stopping && !state.busy
        }
        if cancelNow { loop.cancel() }
    }

    /// Waits for the next batch and marks the loop busy with it; `nil` at the end.
    func nextBatch(from iterator: inout KafkaConsumerBatches.AsyncIterator) async throws -> [KafkaConsumerMessage]? {
        guard let batch = try await iterator.next() else { return nil }
        let stopping = state.withLock { state in
            if !state.stopping {
                state.busy = true
                state.commitRequested = false  // a revocation that came while idle had nothing to wait for
            }
            return state.stopping
        }
        return stopping ? nil : batch
    }

    func finishBatch() {
        let waiters = state.withLock { state in
            state.busy = false
            state.commitRequested = false
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Asks the transaction in hand to commit with what it has (a revocation waits for it).
    func requestCommit() {
        state.withLock { $0.commitRequested = true }
    }

    var commitRequested: Bool { state.withLock { $0.commitRequested } }

    /// Returns once no batch is in hand.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.busy else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Marks the processor stopping; cancels the loop when it only waits for input.
    func cancelLoopIfIdle() {
        let loop = state.withLock { state -> Task<Void, any Error>? in
            state.stopping = true
            return state.busy ? nil : state.loop
        }
        loop?.cancel()
    }
}
