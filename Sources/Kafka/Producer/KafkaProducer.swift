public import Logging
public import ServiceLifecycle

/// Sends messages to Kafka.
///
/// Create one producer per process and share it: it is thread-safe, and many concurrent sends are batched
/// together by librdkafka.
///
/// ```swift
/// let producer = try KafkaProducer(
///     configuration: KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"]),
///     logger: logger
/// )
/// let delivery = try await producer.send(KafkaProducerMessage(topic: "greetings", key: "k", value: "hello"))
/// print("stored at \(delivery.partition) offset \(delivery.offset)")
/// await producer.close()
/// ```
///
/// - Important: Threads. ``send(_:)`` makes only non-blocking librdkafka calls on the caller's task and does not
///   hop onto the actor. A thread owned by the producer serves delivery reports and runs every blocking call
///   (polls, the flush wait, destroy); Swift's cooperative thread pool is never blocked.
///
/// Conforms to `Service`: run it in a `ServiceGroup`, and a graceful shutdown flushes and closes it.
public final actor KafkaProducer: Service {
    /// The producer's configuration type.
    public typealias Configuration = KafkaProducerConfiguration

    @usableFromInline
    nonisolated let core: ProducerCore

    /// Reports of messages queued with ``enqueue(_:)``: all, failures only, or none, as
    /// ``KafkaProducerConfiguration/deliveryReports`` says. Ends once the producer is closed.
    public nonisolated let deliveryReports: KafkaDeliveryReports
    /// librdkafka's statistics, every ``KafkaProducerConfiguration/statisticsInterval``: queue depth, messages
    /// sent, brokers' round trips and latencies. Empty when no interval is set; ends once the producer is closed.
    public nonisolated let statistics: KafkaStatisticsSequence

    /// Creates a producer and starts its poll thread.
    ///
    /// - Parameters:
    ///   - configuration: validated here (see ``KafkaProducerConfiguration/validate()``).
    ///   - logger: receives librdkafka's log lines at mapped levels, with the client id as metadata.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidConfiguration`` naming the key, the value and
    ///   librdkafka's reason.
    public init(configuration: Configuration, logger: Logger) throws(KafkaError) {
        try configuration.validate()
        var logger = logger
        logger[metadataKey: KafkaLoggingKeys.clientID] = "\(configuration.clientID)"
        let client = try RDKafkaClient.make(
            kind: .producer,
            properties: configuration.properties,
            tokenProvider: configuration.security.tokenProvider,
            logger: logger
        )
        let metrics = configuration.metrics.map {
            KafkaMetricsReporter(configuration: $0, clientID: configuration.clientID, clientType: "producer")
        }
        let publisher = StatisticsPublisher(metrics: metrics, logger: logger)
        publisher.attach(to: client)
        self.statistics = publisher.sequence
        let state = ProducerState()
        let reports = KafkaDeliveryReports.Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: 4, highWatermark: 16),
            finishOnDeinit: false,
            delegate: state
        )
        self.deliveryReports = KafkaDeliveryReports(wrapped: reports.sequence)
        self.core = ProducerCore(
            client: client,
            defaultCloseTimeout: configuration.closeTimeout,
            enqueueTimeout: configuration.enqueueTimeout,
            reportMode: configuration.deliveryReports,
            reportSource: reports.source,
            state: state,
            metrics: metrics,
            tracing: configuration.tracing,
            clientID: configuration.clientID,
            transactionalID: configuration.properties.value(for: "transactional.id"),
            transactionTimeout: configuration.properties.value(for: "transaction.timeout.ms")
                .flatMap(Int64.init).map { .milliseconds($0) }
        )
        do {
            try core.startPollThread()
        } catch {
            client.destroy()
            throw error
        }
    }

    deinit {
        core.requestClose()
    }

    /// Sends a message and waits until the broker acknowledged it.
    ///
    /// When librdkafka's local queue is full, waits for room instead of failing.
    ///
    /// - Returns: where the message landed: topic, partition, offset and timestamp.
    /// - Throws: ``KafkaError``: ``KafkaError/Code/messageTimedOut`` when it was not delivered within
    ///   ``KafkaProducerConfiguration/messageTimeout``; ``KafkaError/Code/messageTooLarge``,
    ///   ``KafkaError/Code/unknownPartition`` and other broker errors; ``KafkaError/Code/shutdown`` once
    ///   ``close(timeout:)`` began.
    /// - Important: Cancelling the calling task does not withdraw a message librdkafka already queued: the send
    ///   still waits for its delivery report, so the outcome is never lost.
    @inlinable
    public nonisolated(nonsending) func send<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaDelivery
    {
        try await core.send(message)
    }

    /// Queues a message and returns at once, with the id its delivery report will carry; suspends only while
    /// librdkafka's queue is full (or the ``deliveryReports`` reader is behind).
    ///
    /// The fast way to produce: no task waits per message. Messages queued one after the other keep their order
    /// within a partition. The outcome arrives on ``deliveryReports`` as configured by
    /// ``KafkaProducerConfiguration/deliveryReports``; ``flush(timeout:)`` waits for all of them.
    ///
    /// - Throws: ``KafkaError`` when librdkafka refuses the message (``KafkaError/Code/messageTooLarge``,
    ///   ``KafkaError/Code/unknownPartition``, ...; no report follows), ``KafkaError/Code/shutdown`` once
    ///   ``close(timeout:)`` began.
    /// - Important: If the calling task is cancelled while waiting for room, the wait still ends with the message
    ///   queued: a message is either queued (and reported) or refused with an error, never dropped silently.
    @inlinable
    public nonisolated(nonsending) func enqueue<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaProducerMessageID
    {
        try await core.enqueue(message)
    }

    /// Queues many messages in order; see ``enqueue(_:)``.
    ///
    /// - Returns: the id of each queued message, in order.
    /// - Throws: the first refusal; messages before it are queued (and reported), those after it are not.
    @inlinable
    public nonisolated(nonsending) func enqueue<Messages: Sequence, Key, Value>(
        contentsOf messages: Messages
    ) async throws -> [KafkaProducerMessageID] where Messages.Element == KafkaProducerMessage<Key, Value> {
        try await core.enqueue(contentsOf: messages)
    }

    /// Waits until every message sent so far is delivered or failed.
    /// - Throws: ``KafkaError/Code/timedOut`` when messages are still outstanding after `timeout`.
    public nonisolated func flush(timeout: Duration = .seconds(30)) async throws {
        try await core.flush(timeout: timeout)
    }

    /// Stops taking messages, delivers what is queued (up to `timeout`, default
    /// ``KafkaProducerConfiguration/closeTimeout``), fails what is left (each awaiting send throws), and frees the
    /// handle. Safe to call more than once; later calls wait for the first.
    public func close(timeout: Duration? = nil) async {
        await core.close(timeout: timeout)
    }

    /// Runs until the producer is closed; a graceful shutdown or cancellation of the calling task closes it.
    ///
    /// Calling `run()` is optional: the producer works from ``init(configuration:logger:)`` on. It lets a
    /// `ServiceGroup` manage the producer's lifetime.
    public func run() async throws {
        let core = self.core
        await runUntilClosed(waitUntilClosed: { await core.waitUntilClosed() }, requestClose: { core.requestClose() })
    }
}
