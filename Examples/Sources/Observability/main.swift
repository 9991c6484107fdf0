// A service with metrics and tracing bootstrapped, producing orders and consuming them on an embedded cluster (or
// the cluster at $KAFKA_BOOTSTRAP_SERVERS). In-process backends stand in for Prometheus and an OpenTelemetry
// collector: the spans (one trace from the request to the work done on each order) and the metrics are printed at
// the end. Shown in the README.
import InMemoryTracing
import Kafka
import KafkaTesting
import Logging
import Metrics
import MetricsTestKit
import Tracing

// In a real service: MetricsSystem.bootstrap(PrometheusMetricsFactory(...)) and
// InstrumentationSystem.bootstrap(OTelTracer(...)) from swift-otel.
let metrics = TestMetrics()
MetricsSystem.bootstrap(metrics)
let tracer = InMemoryTracer()
InstrumentationSystem.bootstrap(tracer)

let logger = Logger(label: "orders-service")
let cluster = try makeKafkaTestCluster(brokers: 1)
let topic = "orders-\(Int.random(in: 0..<1_000_000))"
try await cluster.createTopic(topic, partitions: 2, replicationFactor: 1)

// Producer: metrics, tracing and statistics on.
var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
producerConfiguration.clientID = "orders-api"
producerConfiguration.metrics = KafkaConfiguration.Metrics(dimensions: [("service", "orders")])
producerConfiguration.tracing = KafkaConfiguration.Tracing()
let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)

// An incoming request: its span is the parent of the sends made while handling it.
try await withSpan("POST /orders", ofKind: .server) { _ in
    for order in 1...6 {
        _ = try await producer.send(
            KafkaProducerMessage(topic: topic, key: "customer-\(order % 3)", value: "order \(order)")
        )
    }
}
await producer.close()

// Consumer: each order is processed in a span that continues the producer's trace.
var consumerConfiguration = KafkaConsumerConfiguration(
    bootstrapServers: [cluster.bootstrapServers],
    consumptionStrategy: .group(id: "billing", topics: [topic])
)
consumerConfiguration.clientID = "billing"
consumerConfiguration.autoOffsetReset = .earliest
consumerConfiguration.enableAutoCommit = false
consumerConfiguration.metrics = KafkaConfiguration.Metrics(dimensions: [("service", "billing")])
consumerConfiguration.tracing = KafkaConfiguration.Tracing()
consumerConfiguration.statisticsInterval = .milliseconds(200)
let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
var processed = 0
for try await message in consumer.messages {
    try await consumer.withProcessingSpan(of: message) { _ in
        try await withSpan("charge card") { span in
            span.attributes["order"] = message.valueString ?? ""
        }
    }
    processed += 1
    guard processed == 6 else { continue }
    try await consumer.commit(message)
    // librdkafka's statistics: what the client received, and the lag of the partition just committed.
    for await statistics in consumer.statistics {
        guard let lag = statistics.partition(message.partition, of: topic)?.consumerLag else { continue }
        print(
            "statistics: \(statistics.messagesReceived) messages received; "
                + "\(topic)[\(message.partition)] lag \(lag) after the commit"
        )
        break
    }
    break
}
await consumer.close()
await cluster.shutdown()

// What a tracing backend would show: one trace, from the request to each card charge.
print("\ntraces:")
let spans = tracer.finishedSpans
for traceID in Set(spans.map(\.traceID)).sorted() {
    let trace = spans.filter { $0.traceID == traceID }
    func show(_ parent: String?, depth: Int) {
        for span in trace where span.parentSpanID == parent {
            print(String(repeating: "  ", count: depth + 1) + "\(span.operationName) [\(span.kind)]")
            show(span.spanID, depth: depth + 1)
        }
    }
    print("  trace \(traceID): \(trace.count) spans")
    show(nil, depth: 0)
}

// What a metrics backend would scrape.
print("\nmetrics:")
for counter in metrics.counters.sorted(by: { $0.label < $1.label }) where counter.totalValue > 0 {
    print("  \(counter.label)\(counter.dimensions.map { "\($0.0)=\($0.1)" }) = \(counter.totalValue)")
}
for timer in metrics.timers {
    print("  \(timer.label)\(timer.dimensions.map { "\($0.0)=\($0.1)" }): \(timer.values.count) recorded")
}
