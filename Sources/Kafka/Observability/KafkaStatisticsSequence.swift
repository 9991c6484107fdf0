import Logging
import Synchronization

/// The statistics snapshots a client emits every `statisticsInterval`, newest last.
///
/// Enable them with ``KafkaProducerConfiguration/statisticsInterval`` or
/// ``KafkaConsumerConfiguration/statisticsInterval``; without an interval the sequence is empty. It ends when the
/// client is closed.
///
/// ```swift
/// var configuration = KafkaConsumerConfiguration(bootstrapServers: ["localhost:9092"], consumptionStrategy: ...)
/// configuration.statisticsInterval = .seconds(5)
/// let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
/// Task {
///     for await statistics in consumer.statistics {
///         for topic in statistics.topics {
///             for partition in topic.partitions {
///                 print(topic.name, partition.partition, partition.consumerLag ?? -1)
///             }
///         }
///     }
/// }
/// ```
///
/// - Important: Bounded: a reader that falls behind misses the oldest snapshots, never the newest (at most
///   ``bufferedSnapshots`` wait). Iterate it from one task at a time.
public struct KafkaStatisticsSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaStatistics
    public typealias Failure = Never

    /// How many snapshots wait for a reader before the oldest is dropped.
    public static let bufferedSnapshots = 4

    let stream: AsyncStream<KafkaStatistics>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var wrapped: AsyncStream<KafkaStatistics>.Iterator

        /// The next snapshot, or `nil` once the client is closed.
        public mutating func next() async -> KafkaStatistics? {
            await wrapped.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(wrapped: stream.makeAsyncIterator())
    }
}

/// Decodes each statistics document the client's poll thread hands over, and passes the snapshot to the
/// ``KafkaStatisticsSequence`` and to the metrics reporter.
final class StatisticsPublisher: Sendable {
    let sequence: KafkaStatisticsSequence
    private let continuation: AsyncStream<KafkaStatistics>.Continuation
    private let metrics: KafkaMetricsReporter?
    private let logger: Logger

    init(metrics: KafkaMetricsReporter?, logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(
            of: KafkaStatistics.self,
            bufferingPolicy: .bufferingNewest(KafkaStatisticsSequence.bufferedSnapshots)
        )
        self.sequence = KafkaStatisticsSequence(stream: stream)
        self.continuation = continuation
        self.metrics = metrics
        self.logger = logger
    }

    /// Registers with `client`; the sequence ends when the client is destroyed.
    func attach(to client: RDKafkaClient) {
        client.callbacks.setStatisticsHandler(
            { [self] json in publish(json: json) },
            onFinish: { [self] in finish() }
        )
    }

    func publish(json: String) {
        let statistics: KafkaStatistics
        do {
            statistics = try KafkaStatistics(json: json)
        } catch {
            logger.warning("librdkafka statistics could not be decoded: \(error)")
            return
        }
        metrics?.record(statistics)
        continuation.yield(statistics)
    }

    func finish() {
        continuation.finish()
    }
}
