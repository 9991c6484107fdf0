public import Kafka
import Synchronization

/// What `kafka-tail`'s reading loop shares with its signal handler: whether the loop is waiting for messages,
/// whether a stop was asked for, and the offsets printed so far (to commit exactly those).
///
/// The protocol: the loop calls ``willWait()`` before it asks for the next batch and ``didReceive()`` after; a
/// batch received once a stop was asked for is not printed. ``requestStop()`` tells the signal handler whether the
/// loop was waiting (then the handler commits ``printedOffsets`` and ends the loop) or busy (then the loop stops
/// after the batch in hand, and commits itself).
public final class TailControl: Sendable {
    private struct State {
        var waiting = false
        var stopping = false
        var printed: [KafkaTopicPartition: Int64] = [:]
    }
    private let state = Mutex(State())

    /// Nothing printed, no stop asked for.
    public init() {}

    /// Records the offsets of messages printed (the latest per partition). Loop only.
    public func recordPrinted(_ offsets: [KafkaTopicPartition: Int64]) {
        guard !offsets.isEmpty else { return }
        state.withLock { state in state.printed.merge(offsets) { max($0, $1) } }
    }

    /// Forgets partitions this consumer no longer owns (revoked in a rebalance): their offsets are not ours to
    /// commit any more.
    public func forget(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for partition in partitions { state.printed.removeValue(forKey: partition) }
        }
    }

    /// The offsets to commit for what was printed: the offset after the last printed message of each partition.
    public var printedOffsets: [KafkaTopicPartition: KafkaOffset] {
        state.withLock { state in state.printed.mapValues { KafkaOffset(rawValue: $0 + 1) } }
    }

    /// The loop is about to wait for messages. Returns `false` when it should stop instead.
    public func willWait() -> Bool {
        state.withLock { state in
            state.waiting = true
            return !state.stopping
        }
    }

    /// The loop got messages. Returns `false` when a stop was asked for meanwhile (do not print them).
    public func didReceive() -> Bool {
        state.withLock { state in
            state.waiting = false
            return !state.stopping
        }
    }

    /// Whether a stop was asked for.
    public var isStopping: Bool {
        state.withLock { $0.stopping }
    }

    /// Asks the loop to stop. Returns `true` when the loop was waiting for messages (so it prints nothing more, and
    /// the caller must end the wait), `false` when it is busy and will stop by itself.
    public func requestStop() -> Bool {
        state.withLock { state in
            state.stopping = true
            return state.waiting
        }
    }
}
