public import Logging
public import ServiceLifecycle
import NIOCore

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

    /// The messages read, in order per partition. Iterate it once.
    public nonisolated let messages: KafkaConsumerMessages

    private nonisolated let core: ConsumerCore

    /// Creates a consumer, and starts its poll thread, which subscribes or assigns right away.
    ///
    /// - Parameters:
    ///   - configuration: validated here (see ``KafkaConsumerConfiguration/validate()``).
    ///   - logger: receives librdkafka's log lines at mapped levels, with the client id as metadata.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidConfiguration`` naming the key, the value and
    ///   librdkafka's reason.
    public init(configuration: Configuration, logger: Logger) throws(KafkaError) {
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
        let client = try RDKafkaClient.make(kind: .consumer, properties: properties, logger: logger)
        let core = ConsumerCore(client: client, configuration: configuration)
        let sequence = KafkaConsumerMessages.Producer.makeSequence(
            backPressureStrategy: .init(
                lowWatermark: configuration.buffer.lowWatermark,
                highWatermark: configuration.buffer.highWatermark
            ),
            finishOnDeinit: true,
            delegate: ConsumerDemand(core: core)
        )
        client.callbacks.setRebalanceObserver { [core] notification in core.rebalanced(notification) }
        self.core = core
        self.messages = KafkaConsumerMessages(wrapped: sequence.sequence, core: core)
        let source = sequence.source
        do {
            try KafkaThread.detach(name: "kafka-consumer") { core.runPollLoop(source: source) }
        } catch {
            client.destroy()
            throw error
        }
    }

    /// Commits the stored offsets, leaves the group, frees the handle, and ends ``messages`` (after the messages
    /// already handed over). Safe to call more than once; later calls wait for the first.
    public func close() async {
        await core.close()
    }

    /// Runs until the consumer is closed; a graceful shutdown or cancellation of the calling task closes it.
    ///
    /// Calling `run()` is optional: the consumer works from ``init(configuration:logger:)`` on. It lets a
    /// `ServiceGroup` manage the consumer's lifetime.
    public func run() async throws {
        let core = self.core
        await runUntilClosed(waitUntilClosed: { await core.waitUntilClosed() }, requestClose: { core.requestClose() })
    }
}
