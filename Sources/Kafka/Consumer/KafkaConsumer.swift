public import Logging
import NIOCore
public import ServiceLifecycle

/// Reads messages from Kafka, as a member of a consumer group or from fixed partitions.
///
/// ```swift
/// var config = KafkaConsumerConfiguration(
///     bootstrapServers: ["localhost:9092"],
///     consumptionStrategy: .group(id: "billing", topics: ["orders"])
/// )
/// config.autoOffsetReset = .earliest
/// let consumer = try KafkaConsumer(configuration: config, logger: logger)
/// for try await message in consumer.messages {
///     print(message.topic, message.partition, message.offset, message.valueString ?? "<null>")
/// }
/// ```
///
/// - Important: Threads. A thread owned by the consumer makes every librdkafka call: polls, rebalance callbacks,
///   pause/resume, and the blocking close. Swift's cooperative thread pool is never blocked. Leaving the
///   ``messages`` loop, ``close()``, or a graceful shutdown of ``run()`` close it: processed offsets are committed,
///   the group is left, the handle is freed. Dropping the consumer and its ``messages`` (without iterating) closes
///   it too; a ``messages`` loop keeps it open while it runs.
public final actor KafkaConsumer: Service {
    /// The consumer's configuration type.
    public typealias Configuration = KafkaConsumerConfiguration

    /// The messages read, in order per partition. Iterate it (or ``batches(maxCount:maxWait:)``) once.
    public nonisolated let messages: KafkaConsumerMessages

    /// Rebalances, partition ends, background commit failures, consumer errors and a stalled loop, as they happen.
    ///
    /// Observing only: to act *inside* a rebalance (commit before partitions are revoked), pass a
    /// ``KafkaRebalanceHandler``. Holds the latest 1,000 events when nobody reads it; finishes when the consumer is
    /// closed. Iterate it once.
    public nonisolated let events: AsyncStream<KafkaConsumerEvent>
    /// librdkafka's statistics, every ``KafkaConsumerConfiguration/statisticsInterval``: lag, fetch queues,
    /// brokers' round trips, the group's state. Empty when no interval is set; ends once the consumer is closed.
    public nonisolated let statistics: KafkaStatisticsSequence

    nonisolated let core: ConsumerCore
    private nonisolated let sequence: ConsumerSequence

    /// Creates a consumer, and starts its poll thread, which subscribes or assigns right away.
    ///
    /// - Parameters:
    ///   - configuration: validated here (see ``KafkaConsumerConfiguration/validate()``).
    ///   - rebalanceHandler: hooks that run inside each rebalance (commit before a revocation completes, seek
    ///     after an assignment); see ``KafkaRebalanceHandler``.
    ///   - logger: receives librdkafka's log lines at mapped levels, with the client id as metadata.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidConfiguration`` naming the key, the value and
    ///   librdkafka's reason.
    public init(
        configuration: Configuration,
        rebalanceHandler: KafkaRebalanceHandler? = nil,
        logger: Logger
    ) throws(KafkaError) {
        try configuration.validate()
        var logger = logger
        logger[metadataKey: KafkaLoggingKeys.clientID] = "\(configuration.clientID)"
        var properties = configuration.properties
        if let groupID = configuration.consumptionStrategy.groupID {
            logger[metadataKey: KafkaLoggingKeys.groupID] = "\(groupID)"
        } else if properties.value(for: "group.id") == nil {
            // librdkafka's assign() needs a group id even when no group is joined; this one is never joined.
            properties.set("group.id", "swift-kafka-unjoined-\(UInt64.random(in: 0...UInt64.max))")
        }
        let client = try RDKafkaClient.make(
            kind: .consumer,
            properties: properties,
            tokenProvider: configuration.security.tokenProvider,
            logger: logger
        )
        let metrics = configuration.metrics.map {
            KafkaMetricsReporter(configuration: $0, clientID: configuration.clientID, clientType: "consumer")
        }
        let publisher = StatisticsPublisher(metrics: metrics, logger: logger)
        publisher.attach(to: client)
        self.statistics = publisher.sequence
        let (events, eventSink) = AsyncStream.makeStream(
            of: KafkaConsumerEvent.self,
            bufferingPolicy: .bufferingNewest(1_000)
        )
        let core = ConsumerCore(
            client: client,
            configuration: configuration,
            rebalanceHandler: rebalanceHandler,
            events: eventSink,
            metrics: metrics
        )
        let handOver = BatchHandOver<ConsumerBatch>(
            lowWatermark: configuration.buffer.lowWatermark,
            highWatermark: configuration.buffer.highWatermark,
            onDemand: { [core] in core.produceMore() },
            onTerminate: { [core] in core.requestClose() }
        )
        let sequence = ConsumerSequence(handOver: handOver)
        client.callbacks.setObserver { [core] notification in core.notified(notification) }
        client.callbacks.setStartOffsetsProvider { [core] partitions in core.startOffsets(assigning: partitions) }
        self.core = core
        self.events = events
        self.sequence = sequence
        self.messages = KafkaConsumerMessages(sequence: sequence, core: core)
        do {
            try KafkaThread.detach(name: "kafka-consumer") { core.runPollLoop(source: handOver) }
        } catch {
            client.destroy()
            throw error
        }
    }

    /// The messages in batches of at most `maxCount`, for bulk processing: an alternative to ``messages`` (iterate
    /// one of them, once).
    ///
    /// A batch holds what librdkafka has ready, filled up to `maxCount` by waiting at most `maxWait` after its first
    /// message; a batch is never empty. Offsets are stored at-least-once per batch: a batch counts as processed once
    /// the loop asks for the next one.
    ///
    /// ```swift
    /// for try await batch in consumer.batches(maxCount: 500, maxWait: .milliseconds(50)) {
    ///     try await database.insert(batch.map(Row.init))
    /// }
    /// ```
    public nonisolated func batches(maxCount: Int = 1_000, maxWait: Duration = .milliseconds(100))
        -> KafkaConsumerBatches
    {
        KafkaConsumerBatches(sequence: sequence, core: core, maxCount: maxCount, maxWait: maxWait)
    }

    /// Messages fetched and not yet taken by the loop: those handed to the consumer's buffer, and those in
    /// librdkafka's consumer queue (its prefetch). For tests and diagnostics of backpressure.
    package nonisolated var bufferedMessageCounts: (handedOver: Int, inLibrdkafka: Int) {
        core.bufferedCounts()
    }

    /// librdkafka messages this consumer handed out and has not destroyed yet: a message is destroyed once no
    /// ``KafkaConsumerMessage`` (or ``KafkaBytes``) of its poll is left, in the buffer, in the loop or in the
    /// application. For tests and diagnostics of memory.
    package nonisolated var liveMessageCount: Int {
        core.client.leases.liveMessageCount
    }

    /// How often the consumer restarted fetching that librdkafka 2.0.2 had left idle for up to a second after its
    /// queue reached `queued.min.messages` or `queued.max.messages.kbytes`. For tests and diagnostics.
    package nonisolated var fetchRestartCount: Int {
        core.fetchRestarts.load(ordering: .relaxed)
    }

    /// How often the poll thread handed the end over to the loop (``KafkaConsumerConfiguration/stopAtEndOfPartitions``):
    /// once every partition was read to its end, and again each time a seek or a rebalance moved the assignment
    /// and it was read to its end again. For tests and diagnostics.
    package nonisolated var endsHandedOver: Int {
        core.endsHandedOver.load(ordering: .relaxed)
    }

    /// Whether the librdkafka handle is freed: after ``close()``, once no message read from this consumer is held any
    /// more. For tests and diagnostics.
    package nonisolated var isHandleFreed: Bool {
        core.client.isDestroyed.load(ordering: .acquiring)
    }

    /// Commits what the loop finished with, leaves the group, frees the handle, and ends ``messages``, within
    /// ``KafkaConsumerConfiguration/closeTimeout`` (default 30 s). Safe to call more than once; later calls wait for
    /// the first. What kept the close from completing cleanly (a hook or the group coordinator too slow) is logged;
    /// ``close(timeout:)`` throws it instead.
    ///
    /// Messages read before stay valid: their keys and values live in librdkafka's memory (see ``KafkaBytes``), so
    /// the handle is freed once the last message still held is released, on a thread of the library.
    ///
    /// It need not wait for the loop: a message counts as finished once the loop asked for the one after it, so the
    /// message the loop is handling when the close begins is not committed (the group's next member reads it
    /// again: at-least-once), and the loop gets no further message, whether it calls `close()` itself or a
    /// graceful shutdown or another task does.
    ///
    /// - Important: Inside one of this consumer's ``KafkaRebalanceHandler`` hooks it cannot wait (the close waits for
    ///   the hook): it starts the close, which goes on once the hook returns, and returns at once.
    public func close() async {
        if let error = await core.close(timeout: nil) {
            core.logger.warning("consumer close: \(error)")
        }
    }

    /// Commits what the loop finished with, leaves the group, frees the handle, and ends ``messages``, giving up on
    /// what is left at `timeout`: the handle is freed then anyway, and the group notices the member's absence after
    /// its session timeout. A later call with an earlier deadline brings the close's deadline forward.
    ///
    /// - Throws: ``KafkaError`` ``KafkaError/Code/timedOut`` when the revoke hook, the last commit or leaving the
    ///   group did not finish in time (the consumer is closed all the same);
    ///   ``KafkaError/Code/invalidUsage`` inside one of this consumer's own rebalance hooks, where the close cannot
    ///   be waited for (it is started, and goes on once the hook returns).
    public func close(timeout: Duration) async throws {
        if let error = await core.close(timeout: timeout) { throw error }
    }

    /// Runs until the consumer is closed; a graceful shutdown or cancellation of the calling task closes it.
    ///
    /// Calling `run()` is optional: the consumer works from ``init(configuration:rebalanceHandler:logger:)`` on. It lets a
    /// `ServiceGroup` manage the consumer's lifetime.
    ///
    /// - Throws: ``KafkaError/Code/invalidUsage`` inside one of this consumer's rebalance hooks (the close waits for
    ///   the hook, so the hook cannot wait for the close).
    public func run() async throws {
        let core = self.core
        if core.isInOwnHook { throw ConsumerCore.hookWaitError("run()") }
        await runUntilClosed(
            waitUntilClosed: { try? await core.waitUntilClosed() },
            requestClose: { core.requestClose() }
        )
    }
}
