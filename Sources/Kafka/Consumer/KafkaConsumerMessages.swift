/// The messages a ``KafkaConsumer`` reads, as an `AsyncSequence` with backpressure.
///
/// Messages are handed over from librdkafka in batches; the iterator returns them one by one. When the loop
/// falls behind (``KafkaConsumerConfiguration/Buffer/highWatermark`` batches waiting), the consumer pauses
/// fetching until the loop catches up, so memory stays bounded whatever the lag.
///
/// Offsets are stored for commit at-least-once: a message counts as processed once the loop asks for the next
/// one (offsets are stored per batch, and for the part of a batch handed out when the loop ends).
///
/// - Important: Iterate it once (a second iterator, or ``KafkaConsumer/batches(maxCount:maxWait:)`` besides it, throws
///   ``KafkaError/Code/invalidUsage``). Leaving the loop (`break`, an error, task cancellation) closes the consumer:
///   it commits what was processed and leaves the group. The sequence keeps the consumer working even if the
///   ``KafkaConsumer`` itself is no longer referenced.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    public typealias Failure = any Error

    let sequence: ConsumerSequence
    let core: ConsumerCore

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: IteratorStorage(handOver: sequence.handOver, core: core))
    }

    /// Returns the consumer's messages one by one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline
        let storage: IteratorStorage

        init(storage: IteratorStorage) {
            self.storage = storage
        }

        /// The next message; `nil` once the consumer is closed (or, with
        /// ``KafkaConsumerConfiguration/stopAtEndOfPartitions``, every partition was read to its end).
        /// - Throws: a fatal ``KafkaError`` that stopped the consumer.
        @inlinable
        public mutating func next() async throws -> KafkaConsumerMessage? {
            if let message = storage.nextBuffered() { return message }
            return try await storage.next()
        }

        /// The next message, on the caller's actor: a message from the current batch is handed over without
        /// leaving it (`for try await` uses this).
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> KafkaConsumerMessage? {
            // Inlined into the caller's loop, a message of the current batch costs one synchronous call and no
            // async one (each async call costs a task-allocator frame).
            if let message = storage.nextBuffered() { return message }
            return try await storage.next()
        }
    }
}

/// The iterator's state. A class so that its `deinit` (the loop ended) stores the progress made in the current
/// batch *before* it ends the hand-over, which starts the consumer's close.
@usableFromInline
final class IteratorStorage {
    private let handOver: BatchHandOver<ConsumerBatch>
    private let core: ConsumerCore
    private var batch: [KafkaConsumerMessage] = []
    private var index = 0
    /// The assignment epoch the batch was taken from librdkafka at, and the one it was last checked against.
    private var fetchEpoch: UInt64 = 0
    private var checkedEpoch: UInt64 = 0
    private var handedOut: UInt64 = 0
    /// `false` for an iterator made after the first (a misuse): its `next()` throws, and it ends nothing.
    private let isTheIterator: Bool

    init(handOver: BatchHandOver<ConsumerBatch>, core: ConsumerCore) {
        self.handOver = handOver
        self.core = core
        self.isTheIterator = handOver.iteratorMade()
    }

    /// The next message of the current batch, when there is one and the assignment did not change since the
    /// batch was last checked; `nil` sends the caller to ``next()``.
    @usableFromInline
    func nextBuffered() -> KafkaConsumerMessage? {
        guard index < batch.count, core.currentEpoch == checkedEpoch else { return nil }
        handedOut &+= 1
        core.reader.handedOut.store(handedOut, ordering: .relaxed)
        defer { index += 1 }
        return batch[index]
    }

    @usableFromInline
    nonisolated(nonsending) func next() async throws -> KafkaConsumerMessage? {
        guard isTheIterator else { throw BatchHandOver<ConsumerBatch>.secondIteration }
        while true {
            while index == batch.count {
                // Every message of the batch was taken, and the reader asks for more: the batch is processed.
                core.reader.processed(upTo: batch.count)
                batch = []
                index = 0
                core.reader.willWait()
                guard let next = try await handOver.next() else { return nil }
                if next.isEnd {
                    handOver.reached(end: next, currentEpoch: core.currentEpoch)
                    continue
                }
                core.reader.gotBatch(count: next.messages.count)
                batch = next.messages
                fetchEpoch = next.epoch
                checkedEpoch = next.epoch
                core.reader.took(batch, handedOutBefore: handedOut, processed: 0)
            }
            let epoch = core.currentEpoch
            if epoch != checkedEpoch {
                // The assignment changed (a revocation or a seek): the loop finished every message handed out so
                // far (it asks for the next), so store them before a revocation's hook commits; then drop what is
                // stale.
                checkedEpoch = epoch
                core.reader.processed(upTo: index)
                core.reader.saw(epoch: epoch)
                batch = Array(batch[..<index]) + core.stillValid(batch[index...], fetchedAt: fetchEpoch)
                core.reader.took(batch, handedOutBefore: handedOut &- UInt64(index), processed: index)
                if index == batch.count { continue }
            }
            handedOut &+= 1
            core.reader.handedOut.store(handedOut, ordering: .relaxed)
            defer { index += 1 }
            return batch[index]
        }
    }

    deinit {
        guard isTheIterator else { return }
        // The loop ended: messages before the last one handed out were processed; the last one may not have been.
        core.reader.ended(processed: max(index - 1, 0))
        core.reader.willWait()  // no reader any more: a revocation need not wait
        handOver.iteratorEnded()  // then the consumer closes
    }
}

/// Batches of a ``KafkaConsumer``'s messages: see ``KafkaConsumer/batches(maxCount:maxWait:)``.
///
/// Offsets are stored at-least-once per batch: a batch counts as processed once the loop asks for the next one.
public struct KafkaConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = [KafkaConsumerMessage]
    public typealias Failure = any Error

    let sequence: ConsumerSequence
    let core: ConsumerCore
    let maxCount: Int
    let maxWait: Duration

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            storage: BatchIteratorStorage(handOver: sequence.handOver, core: core, maxCount: maxCount, maxWait: maxWait)
        )
    }

    /// Returns the consumer's messages in batches of at most `maxCount`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let storage: BatchIteratorStorage

        fileprivate init(storage: BatchIteratorStorage) {
            self.storage = storage
        }

        /// The next batch (never empty); `nil` once the consumer is closed.
        /// - Throws: a fatal ``KafkaError`` that stopped the consumer.
        public mutating func next() async throws -> [KafkaConsumerMessage]? {
            try await storage.next()
        }

        /// The next batch, on the caller's actor.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [KafkaConsumerMessage]? {
            try await storage.next()
        }

        /// The next batch if the consumer has one ready, without waiting; `nil` when none is (the end included,
        /// which ``next()`` reports).
        mutating func nextIfReady() -> [KafkaConsumerMessage]? {
            storage.nextIfReady()
        }
    }
}

private final class BatchIteratorStorage {
    private let handOver: BatchHandOver<ConsumerBatch>
    private let core: ConsumerCore
    private let maxCount: Int
    private var pending: ArraySlice<KafkaConsumerMessage> = []
    private var fetchEpoch: UInt64 = 0
    private var checkedEpoch: UInt64 = 0
    private var lastHandedOut: [KafkaConsumerMessage] = []
    private var handedOut: UInt64 = 0
    /// `false` for an iterator made after the first (a misuse): its `next()` throws, and it ends nothing.
    private let isTheIterator: Bool

    init(handOver: BatchHandOver<ConsumerBatch>, core: ConsumerCore, maxCount: Int, maxWait: Duration) {
        self.handOver = handOver
        self.core = core
        self.maxCount = max(maxCount, 1)
        self.isTheIterator = handOver.iteratorMade()
        // The poll thread fills batches up to this; a refused second iterator must not change the first's batches.
        if isTheIterator { core.setBatchTarget(count: self.maxCount, wait: maxWait) }
    }

    deinit {
        guard isTheIterator else { return }
        core.reader.willWait()  // no reader any more: a revocation need not wait
        handOver.iteratorEnded()  // then the consumer closes
    }

    nonisolated(nonsending) func next() async throws -> [KafkaConsumerMessage]? {
        guard isTheIterator else { throw BatchHandOver<ConsumerBatch>.secondIteration }
        // The reader asks for more: the batch handed out last is processed.
        core.reader.markProcessed(lastHandedOut[...])
        lastHandedOut = []
        while true {
            if pending.isEmpty {
                core.reader.willWait()
                guard let next = try await handOver.next() else { return nil }
                if !accept(next) { continue }
            }
            if let batch = handOutPending() { return batch }
        }
    }

    /// ``next()`` without waiting: a batch from what is handed over already, else `nil`.
    func nextIfReady() -> [KafkaConsumerMessage]? {
        guard isTheIterator else { return nil }
        while true {
            if pending.isEmpty {
                guard let next = handOver.nextIfReady() else { return nil }
                if !accept(next) { continue }
            }
            core.reader.markProcessed(lastHandedOut[...])
            lastHandedOut = []
            if let batch = handOutPending() { return batch }
        }
    }

    /// Makes `next` (from the hand-over) the pending messages; `false` for an end marker, handled here.
    private func accept(_ next: ConsumerBatch) -> Bool {
        if next.isEnd {
            handOver.reached(end: next, currentEpoch: core.currentEpoch)
            return false
        }
        core.reader.gotBatch(count: next.messages.count)
        pending = next.messages[...]
        fetchEpoch = next.epoch
        checkedEpoch = next.epoch
        return true
    }

    /// Up to `maxCount` of the pending messages, those of partitions revoked or moved since the fetch left out;
    /// `nil` when none is left.
    private func handOutPending() -> [KafkaConsumerMessage]? {
        let epoch = core.currentEpoch
        if epoch != checkedEpoch {
            checkedEpoch = epoch
            core.reader.saw(epoch: epoch)  // the last batch is stored already
            pending = core.stillValid(pending, fetchedAt: fetchEpoch)[...]
        }
        guard !pending.isEmpty else { return nil }
        let take = pending.prefix(maxCount)
        pending = pending.dropFirst(take.count)
        lastHandedOut = Array(take)
        handedOut &+= 1
        core.reader.handedOut.store(handedOut, ordering: .relaxed)
        return lastHandedOut
    }
}

/// The consumer's one sequence of batches, shared by ``KafkaConsumer``, ``KafkaConsumerMessages`` and
/// ``KafkaConsumerBatches``: when the last of them goes without an iterator ever made, the consumer closes.
final class ConsumerSequence: Sendable {
    let handOver: BatchHandOver<ConsumerBatch>

    init(handOver: BatchHandOver<ConsumerBatch>) {
        self.handOver = handOver
    }

    deinit {
        handOver.sequenceEnded()
    }
}
