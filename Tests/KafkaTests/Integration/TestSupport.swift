import Kafka
import KafkaTesting
import Logging
import Synchronization
import Testing

private let counter = Atomic<Int>(0)

/// A name no other test (or earlier run against a real broker) uses.
func uniqueName(_ prefix: String) -> String {
    let n = counter.add(1, ordering: .relaxed).newValue
    return "\(prefix)-\(UInt32.random(in: 0...UInt32.max))-\(n)"
}

/// A logger for tests: warnings and above, to stderr.
let testLogger: Logger = {
    var logger = Logger(label: "kafka.tests", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .warning
    return logger
}()

/// A logger that drops everything (for tests that provoke librdkafka's connection errors on purpose).
let quietLogger = Logger(label: "kafka.tests.quiet", factory: { _ in SwiftLogNoOpLogHandler() })

extension Tag {
    /// Needs the embedded cluster's fault injection: never runs against a real broker.
    @Tag static var mockOnly: Self
}

/// A group member reading `topics` from the beginning, with timeouts that keep rebalances quick on the mock and on
/// a real broker alike, under `groupProtocol`.
func groupConfig(
    _ cluster: any KafkaTestCluster,
    group: String,
    topics: [String],
    protocol groupProtocol: KafkaConsumerConfiguration.GroupProtocol = .classic
) async -> KafkaConsumerConfiguration {
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [cluster.bootstrapServers],
        consumptionStrategy: .group(id: group, topics: topics)
    )
    config.autoOffsetReset = .earliest
    config.groupProtocol = groupProtocol
    if groupProtocol == .classic {
        // librdkafka 2.0.2's mock coordinator waits for the session timeout less one second before it ends any
        // rebalance of a group that has members: 6 s (a real broker's minimum) keeps rebalances quick on both.
        config.sessionTimeout = .seconds(6)
        // Members hear of a rebalance at their next heartbeat.
        config.heartbeatInterval = .milliseconds(500)
    } else if let embedded = cluster as? EmbeddedCluster {
        // The consumer protocol's heartbeat interval is the broker's (embedded cluster: 3 s; Apache Kafka: 5 s);
        // members hear of a rebalance at their next heartbeat.
        try? await embedded.setConsumerGroupHeartbeatInterval(.milliseconds(500))
    }
    return config
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where the consumer group protocol (KIP-848) can be tested
    /// (`KafkaTestEnvironment.consumerGroupProtocolUnavailableReason`); otherwise it is skipped with the reason.
    static var needsConsumerGroupProtocol: Self {
        let reason = KafkaTestEnvironment.consumerGroupProtocolUnavailableReason
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? ""))
    }
}

/// Waits until `condition` holds, checking every 20 ms; records an issue and throws after `timeout`.
func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out after \(timeout) waiting for: \(what)", sourceLocation: sourceLocation)
            throw WaitTimedOut(what: what)
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

struct WaitTimedOut: Error {
    var what: String
}

/// A new one-partition topic holding `count` messages whose values are their offsets ("0", "1", ...).
func filledTopic(_ cluster: any KafkaTestCluster, prefix: String, count: Int) async throws -> String {
    let topic = uniqueName(prefix)
    try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
        logger: testLogger
    )
    for i in 0..<count {
        _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "\(i)"))
    }
    try await producer.flush(timeout: .seconds(30))
    await producer.close()
    return topic
}

/// Sends `count` messages "`prefix` 0", "`prefix` 1", ... to partition 0 of `topic` over `security`, reads the
/// partition back from the beginning over the same settings, and checks that every message came back, in order.
func secureRoundTrip(
    _ bootstrap: String,
    _ topic: String,
    _ security: KafkaConfiguration.Security,
    count: Int,
    prefix: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    var producerConfig = KafkaProducerConfiguration(bootstrapServers: [bootstrap])
    producerConfig.security = security
    let producer = try KafkaProducer(configuration: producerConfig, logger: testLogger)
    for i in 0..<count {
        _ = try await producer.enqueue(
            KafkaProducerMessage(topic: topic, partition: 0, key: "k\(i)", value: "\(prefix) \(i)")
        )
    }
    try await producer.flush(timeout: .seconds(30))
    await producer.close()
    var consumerConfig = KafkaConsumerConfiguration(
        bootstrapServers: [bootstrap],
        consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
    )
    consumerConfig.security = security
    consumerConfig.stopAtEndOfPartitions = true
    let consumer = try KafkaConsumer(configuration: consumerConfig, logger: testLogger)
    var values: [String] = []
    for try await message in consumer.messages { values.append(message.valueString ?? "") }
    #expect(values == (0..<count).map { "\(prefix) \($0)" }, sourceLocation: sourceLocation)
}
