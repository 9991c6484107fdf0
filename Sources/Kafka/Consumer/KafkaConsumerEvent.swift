/// Something that happened to a ``KafkaConsumer`` besides messages: rebalances, partition ends, errors, a stalled
/// loop. Read them from ``KafkaConsumer/events``.
public enum KafkaConsumerEvent: Sendable, CustomStringConvertible {
    /// These partitions were assigned to this consumer (a group rebalance, or the fixed assignment at start).
    case assigned([KafkaTopicPartition])
    /// These partitions were taken away in an orderly rebalance. No message of them is handed out after this
    /// event, not even one already buffered.
    case revoked([KafkaTopicPartition])
    /// These partitions were lost: the group moved on without this consumer (e.g. it was evicted after the
    /// session timeout), so offsets can no longer be committed for them.
    case lost([KafkaTopicPartition])
    /// The consumer read `partition` up to its end, `offset` being the offset the next message will get.
    /// Reported when ``KafkaConsumerConfiguration/reportPartitionEnds`` is set.
    case partitionEnd(KafkaTopicPartition, offset: KafkaOffset)
    /// A commit done in the background (auto-commit, ``KafkaConsumer/commitAsync()``) failed.
    case commitFailed(KafkaError)
    /// A consumer error that did not stop the consumer (e.g. a broker went away, a topic does not exist).
    case error(KafkaError)
    /// The ``KafkaConsumer/messages`` (or ``KafkaConsumer/batches(maxCount:maxWait:)``) loop has held one message
    /// (or batch) for longer than ``KafkaConsumerConfiguration/maxPollInterval`` without asking for the next.
    ///
    /// As Kafka's contract has it, a group member then leaves its group: ``revoked(_:)`` follows, and the
    /// partitions move to the other members, which read on from the last commit (the messages the loop finished
    /// with are committed first; the one in its hands is not, so another member reads it again). The member
    /// rejoins once the loop asks for its next message. Without a group, the stall is only reported.
    case pollIntervalExceeded(Duration)

    public var description: String {
        switch self {
        case .assigned(let partitions): return "assigned \(partitions)"
        case .revoked(let partitions): return "revoked \(partitions)"
        case .lost(let partitions): return "lost \(partitions)"
        case .partitionEnd(let partition, let offset): return "end of \(partition) at \(offset.rawValue)"
        case .commitFailed(let error): return "commit failed: \(error)"
        case .error(let error): return "error: \(error)"
        case .pollIntervalExceeded(let duration): return "loop held a message for more than \(duration)"
        }
    }
}

/// Code that runs inside a consumer group rebalance, before it completes.
///
/// The consumer's poll thread waits for each hook to return before it goes on, so:
/// - ``onRevoked`` runs *before* the partitions are given up: commit (``KafkaRebalanceContext/commit(timeout:)``) or flush
///   state for them there, and the next owner starts exactly after it. From the moment the hook starts, no message
///   of those partitions is handed out any more.
/// - ``onAssigned`` runs as the partitions are assigned, before any of their messages is fetched: load state, or
///   ``KafkaRebalanceContext/seek(_:to:timeout:)`` to where your own store says to start (in a group, such a seek becomes
///   the assignment's start offset, so the committed offset cannot overtake it).
/// - ``onLost`` runs when the partitions were already taken away (the member was evicted): do not commit, drop
///   their state.
///
/// Each hook runs under a deadline, ``KafkaConsumerConfiguration/rebalanceHookTimeout`` (and the close's deadline
/// during a close): past it, the hook's task is cancelled and the rebalance goes on without it (reported on
/// ``KafkaConsumer/events`` as ``KafkaError/Code/timedOut``). Keep hooks short: messages do not flow while a hook
/// runs. A hook may commit, seek and look up committed offsets; it may call ``KafkaConsumer/close()`` (which then
/// only starts the close, as the close waits for the hook), while ``KafkaConsumer/close(timeout:)`` and
/// ``KafkaConsumer/run()`` throw ``KafkaError/Code/invalidUsage`` there.
///
/// ```swift
/// let hooks = KafkaRebalanceHandler(onRevoked: { context in
///     try? await context.commit()
/// })
/// let consumer = try KafkaConsumer(configuration: config, rebalanceHandler: hooks, logger: logger)
/// ```
public struct KafkaRebalanceHandler: Sendable {
    /// Called after partitions are assigned, before their messages are handed out.
    public var onAssigned: @Sendable (KafkaRebalanceContext) async -> Void
    /// Called before partitions are revoked, after their last message was handed out.
    public var onRevoked: @Sendable (KafkaRebalanceContext) async -> Void
    /// Called when partitions were lost (no commit possible any more).
    public var onLost: @Sendable (KafkaRebalanceContext) async -> Void

    public init(
        onAssigned: @escaping @Sendable (KafkaRebalanceContext) async -> Void = { _ in },
        onRevoked: @escaping @Sendable (KafkaRebalanceContext) async -> Void = { _ in },
        onLost: @escaping @Sendable (KafkaRebalanceContext) async -> Void = { _ in }
    ) {
        self.onAssigned = onAssigned
        self.onRevoked = onRevoked
        self.onLost = onLost
    }
}

/// What a ``KafkaRebalanceHandler`` hook gets: the partitions concerned, and the consumer calls that are safe
/// inside a rebalance.
public struct KafkaRebalanceContext: Sendable {
    /// The partitions assigned, revoked or lost.
    public let partitions: [KafkaTopicPartition]
    let core: ConsumerCore

    /// Commits every offset stored so far (the messages the loop has finished with) and waits for the result, at
    /// most `timeout`.
    /// - Throws: as ``KafkaConsumer/commit(timeout:)``.
    public func commit(timeout: Duration = .seconds(10)) async throws {
        try await core.commit(nil, timeout: timeout)
    }

    /// Commits the given offsets (each the offset of the next message to read) and waits for the result, at most
    /// `timeout`.
    /// - Throws: as ``KafkaConsumer/commit(timeout:)``.
    public func commit(_ offsets: [KafkaTopicPartition: KafkaOffset], timeout: Duration = .seconds(10)) async throws {
        try await core.commit(offsets.map { ($0.key, $0.value) }, timeout: timeout)
    }

    /// The group's committed offsets for `partitions` (default: the partitions of this rebalance).
    public func committed(_ partitions: [KafkaTopicPartition]? = nil) async throws -> [KafkaTopicPartition: KafkaOffset]
    {
        try await core.committed(partitions ?? self.partitions, timeout: .seconds(10))
    }

    /// Starts reading `partition` at `offset` (in ``KafkaRebalanceHandler/onAssigned``).
    public func seek(
        _ partition: KafkaTopicPartition,
        to offset: KafkaOffset,
        timeout: Duration = .seconds(10)
    ) async throws {
        try await core.seek([(partition, offset)], timeout: timeout)
    }
}
