import CoreMetrics
import Synchronization

/// Reports one client's metrics through swift-metrics: from each statistics snapshot (gauges, and counters
/// advanced by the difference to the previous snapshot), and from the events the client counts per batch
/// (delivery outcomes, commits, rebalances). The names are listed in the Observability article.
final class KafkaMetricsReporter: Sendable {
    private let prefix: String
    private let base: [(String, String)]
    private let factory: any MetricsFactory
    private let state = Mutex(State())
    // Made once, for the client type that reports them: the served-batch path only increments them.
    private let delivered: Counter?
    private let failed: Counter?
    private let commitsSucceeded: Counter?
    private let commitsFailed: Counter?
    private let commitDuration: CoreMetrics.Timer?

    /// Counter totals last seen and the gauges made per broker and partition (destroyed when those disappear).
    private struct State: ~Copyable {
        var totals: [String: Int64] = [:]
        var brokerGauges: [Int32: [String: Gauge]] = [:]
        var partitionGauges: [KafkaTopicPartition: [String: Gauge]] = [:]
    }

    init(configuration: KafkaConfiguration.Metrics, clientID: String, clientType: String) {
        self.prefix = configuration.labelPrefix
        self.base = [("client_id", clientID), ("client_type", clientType)] + configuration.dimensions
        let factory = configuration.factory ?? MetricsSystem.factory
        self.factory = factory
        let base = self.base
        let prefix = self.prefix
        let producer = clientType == "producer"
        delivered =
            producer
            ? Counter(label: "\(prefix)_producer_messages_delivered_total", dimensions: base, factory: factory) : nil
        failed =
            producer
            ? Counter(label: "\(prefix)_producer_messages_failed_total", dimensions: base, factory: factory) : nil
        commitsSucceeded =
            producer
            ? nil
            : Counter(
                label: "\(prefix)_consumer_commits_total",
                dimensions: base + [("result", "success")],
                factory: factory
            )
        commitsFailed =
            producer
            ? nil
            : Counter(
                label: "\(prefix)_consumer_commits_total",
                dimensions: base + [("result", "failure")],
                factory: factory
            )
        commitDuration =
            producer
            ? nil
            : CoreMetrics.Timer(
                label: "\(prefix)_consumer_commit_duration_seconds",
                dimensions: base,
                factory: factory
            )
    }

    private func label(_ name: String) -> String { "\(prefix)_\(name)" }

    // MARK: Counted as they happen

    /// Delivery reports served: `delivered` succeeded, `failed` did not.
    func deliveries(delivered: Int, failed: Int) {
        if delivered > 0 { self.delivered?.increment(by: delivered) }
        if failed > 0 { self.failed?.increment(by: failed) }
    }

    /// A commit finished after `duration`, successfully or not.
    func commit(duration: Duration, succeeded: Bool) {
        (succeeded ? commitsSucceeded : commitsFailed)?.increment()
        commitDuration?.recordNanoseconds(duration.nanoseconds)
    }

    /// A commit started without waiting (or an automatic one) failed.
    func commitFailed() {
        commitsFailed?.increment()
    }

    /// A rebalance event of `kind` (`assigned`, `revoked`, `lost`) for `partitions` partitions.
    func rebalance(kind: String, partitions: Int) {
        Counter(label: label("consumer_rebalances_total"), dimensions: base + [("kind", kind)], factory: factory)
            .increment()
        if kind == "lost" {
            Counter(label: label("consumer_partitions_lost_total"), dimensions: base, factory: factory)
                .increment(by: partitions)
        }
    }

    // MARK: From statistics

    /// Records a statistics snapshot (on the poll thread).
    func record(_ statistics: KafkaStatistics) {
        state.withLock { state in
            gauge("queue_messages", base).record(statistics.queuedMessages)
            gauge("queue_bytes", base).record(statistics.queuedBytes)
            advance(&state, "messages_sent_total", base, to: statistics.messagesSent)
            advance(&state, "message_bytes_sent_total", base, to: statistics.messageBytesSent)
            advance(&state, "messages_received_total", base, to: statistics.messagesReceived)
            advance(&state, "message_bytes_received_total", base, to: statistics.messageBytesReceived)
            recordBrokers(statistics.brokers, &state)
            recordPartitions(statistics.topics, &state)
            if let group = statistics.consumerGroup {
                gauge("consumer_assigned_partitions", base).record(group.assignmentSize)
            }
        }
    }

    private func recordBrokers(_ brokers: [KafkaStatistics.Broker], _ state: inout State) {
        var seen: Set<Int32> = []
        // The brokers themselves: not the bootstrap entries (-1), nor the logical coordinator connections.
        for broker in brokers where broker.nodeID >= 0 && broker.source != "internal" && broker.source != "logical" {
            seen.insert(broker.nodeID)
            let dimensions = base + [("broker", String(broker.nodeID))]
            var gauges = state.brokerGauges[broker.nodeID] ?? [:]
            func set(_ name: String, _ value: Double) {
                let gauge = gauges[name] ?? gauge(name, dimensions)
                gauges[name] = gauge
                gauge.record(value)
            }
            set("broker_connected", broker.state == "UP" ? 1 : 0)
            set("broker_requests_in_flight", Double(broker.requestsInFlight))
            set("broker_rtt_average_seconds", broker.roundTrip.average.seconds)
            set("broker_rtt_p99_seconds", broker.roundTrip.p99.seconds)
            set("broker_throttle_average_seconds", broker.throttle.average.seconds)
            set("broker_produce_latency_average_seconds", broker.internalLatency.average.seconds)
            state.brokerGauges[broker.nodeID] = gauges
            advance(&state, "broker_request_timeouts_total", dimensions, to: broker.requestTimeouts)
        }
        for gone in state.brokerGauges.keys where !seen.contains(gone) {
            state.brokerGauges.removeValue(forKey: gone)?.values.forEach { $0.destroy() }
        }
    }

    private func recordPartitions(_ topics: [KafkaStatistics.Topic], _ state: inout State) {
        var seen: Set<KafkaTopicPartition> = []
        for topic in topics {
            for partition in topic.partitions where partition.isDesired {
                let key = KafkaTopicPartition(topic: topic.name, partition: partition.partition)
                seen.insert(key)
                let dimensions = base + [("topic", topic.name), ("partition", String(partition.partition.rawValue))]
                var gauges = state.partitionGauges[key] ?? [:]
                func set(_ name: String, _ value: Int64?) {
                    guard let value else { return }
                    let gauge = gauges[name] ?? gauge(name, dimensions)
                    gauges[name] = gauge
                    gauge.record(value)
                }
                set("consumer_lag", partition.consumerLag)
                set("consumer_fetch_queue_messages", partition.fetchQueueMessages)
                set("producer_partition_queue_messages", partition.queuedMessages)
                state.partitionGauges[key] = gauges
            }
        }
        for gone in state.partitionGauges.keys where !seen.contains(gone) {
            state.partitionGauges.removeValue(forKey: gone)?.values.forEach { $0.destroy() }
        }
    }

    private func gauge(_ name: String, _ dimensions: [(String, String)]) -> Gauge {
        Gauge(label: label(name), dimensions: dimensions, factory: factory)
    }

    /// Advances a counter by the growth of a librdkafka total since the last snapshot.
    private func advance(_ state: inout State, _ name: String, _ dimensions: [(String, String)], to total: Int64) {
        let key = "\(name)|\(dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ","))"
        let previous = state.totals[key] ?? 0
        state.totals[key] = total
        guard total > previous else { return }
        Counter(label: label(name), dimensions: dimensions, factory: factory).increment(by: total - previous)
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in seconds, as a `Double`.
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
