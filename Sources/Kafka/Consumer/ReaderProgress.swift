import Synchronization

/// The loop's progress, shared between its iterator (which writes it, on the per-message path, without locks but
/// one per batch) and the poll thread (which reads it for revocations, closes and the liveness watch).
///
/// Offsets are stored at-least-once: a message counts as finished once the loop asks for the one after it. A close
/// or a stall takes over storing from the iterator (``storeFinished(closing:)``), because it cannot wait for the loop
/// to ask for more (the loop may be what called `close()`, or be stuck).
final class ReaderProgress: Sendable {
    private let client: RDKafkaClient
    /// Whether offsets are stored (a group member).
    private let storesOffsets: Bool
    /// Wakes the poll thread when it waits for the loop.
    private let signal: ThreadSignal

    /// Messages (or batches) handed to the loop so far.
    let handedOut = Atomic<UInt64>(0)
    /// Whether the loop is waiting for its next batch (or has ended): then everything it took is finished.
    let waiting = Atomic<Bool>(true)
    /// The latest assignment epoch the loop's iterator has seen, after storing the offsets of every message the
    /// loop finished with.
    let seenEpoch = Atomic<UInt64>(0)
    /// Messages handed to the sequence's buffer and not yet taken by the loop's iterator.
    let bufferedMessages = Atomic<Int>(0)
    /// The batch the per-message loop is working through.
    private let cursor = Mutex(ReaderCursor())

    init(client: RDKafkaClient, storesOffsets: Bool, signal: ThreadSignal) {
        self.client = client
        self.storesOffsets = storesOffsets
        self.signal = signal
    }

    // MARK: The loop's iterator

    /// The loop is about to wait for its next batch (or ended): everything it took is finished. Wakes a poll thread
    /// that waits for it (a revocation).
    func willWait() {
        waiting.store(true, ordering: .sequentiallyConsistent)
        signal.signalIfWaiting()
    }

    /// The loop got a batch of `count` messages from the buffer.
    func gotBatch(count: Int) {
        waiting.store(false, ordering: .relaxed)
        bufferedMessages.wrappingSubtract(count, ordering: .relaxed)
    }

    /// The loop's iterator saw assignment `epoch`, after storing what it finished with. Wakes a poll thread that
    /// waits for it (a revocation).
    func saw(epoch: UInt64) {
        seenEpoch.store(epoch, ordering: .sequentiallyConsistent)
        signal.signalIfWaiting()
    }

    /// Stores, per partition, the offset after the last of `messages`: they were processed (at-least-once).
    /// One non-blocking `rd_kafka_offsets_store` per call.
    func markProcessed(_ messages: ArraySlice<KafkaConsumerMessage>) {
        guard storesOffsets, !messages.isEmpty else { return }
        var next: [KafkaTopicPartition: KafkaOffset] = [:]
        messages.recordNextOffsets(into: &next)
        client.storeOffsets(next.map { ($0.key, $0.value) })
    }

    /// The per-message loop's iterator took `messages` as its batch, after `handedOutBefore` messages in all; the
    /// first `processed` of them are stored already.
    func took(_ messages: [KafkaConsumerMessage], handedOutBefore: UInt64, processed: Int) {
        cursor.withLock { cursor in
            cursor.messages = messages
            cursor.handedOutBefore = handedOutBefore
            cursor.stored = processed
        }
    }

    /// The per-message loop finished with the first `count` messages of its batch: stores their offsets, unless a
    /// close took over (it stored what the loop had finished with when it began).
    func processed(upTo count: Int) {
        cursor.withLock { cursor in
            guard !cursor.closing, count > cursor.stored, count <= cursor.messages.count else { return }
            markProcessed(cursor.messages[cursor.stored..<count])
            cursor.stored = count
        }
    }

    /// The per-message loop ended, having finished with the first `processed` messages of its batch (not with the
    /// last one it took): stores them; a close that follows stores nothing more.
    func ended(processed: Int) {
        self.processed(upTo: processed)
        cursor.withLock { $0.closing = true }
    }

    // MARK: The poll thread

    /// Stores the offsets of every message the per-message loop finished with: all it took but the one in its
    /// hands, or all of them if it is waiting for more. `closing` (a close begins): from here on the loop stores
    /// nothing.
    func storeFinished(closing: Bool) {
        cursor.withLock { cursor in
            guard !cursor.closing else { return }  // the loop ended and stored its progress itself
            if closing { cursor.closing = true }
            let handedOut = self.handedOut.load(ordering: .acquiring)
            guard handedOut > cursor.handedOutBefore else { return }
            var finished = Int(handedOut - cursor.handedOutBefore)
            if !waiting.load(ordering: .acquiring) { finished -= 1 }
            finished = min(finished, cursor.messages.count)
            guard finished > cursor.stored else { return }
            markProcessed(cursor.messages[cursor.stored..<finished])
            cursor.stored = finished
        }
    }

    /// Whether the loop waits for its next batch, or has seen `epoch` (stored what it finished with before it).
    func hasCaughtUp(with epoch: UInt64) -> Bool {
        waiting.load(ordering: .sequentiallyConsistent) || seenEpoch.load(ordering: .sequentiallyConsistent) >= epoch
    }

    /// Lets go of the loop's batch (a closed consumer's messages are freed once nobody holds them).
    func releaseBatch() {
        cursor.withLock { $0.messages = [] }
    }
}
