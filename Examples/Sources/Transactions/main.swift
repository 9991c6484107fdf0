// Transactions on an embedded cluster (or the cluster at $KAFKA_BOOTSTRAP_SERVERS): a scoped transaction that
// commits, one that aborts, and an exactly-once processor turning orders into invoices. Shown in the README.
import Kafka
import KafkaTesting
import Logging
import Synchronization

let logger = Logger(label: "billing")
let cluster = try makeKafkaTestCluster(brokers: 1)
let suffix = Int.random(in: 0..<1_000_000)
let orders = "orders-\(suffix)"
let invoices = "invoices-\(suffix)"
try await cluster.createTopic(orders, partitions: 2, replicationFactor: 1)
try await cluster.createTopic(invoices, partitions: 2, replicationFactor: 1)

// 1. A transactional producer: both orders of a transaction are written, or neither is.
var writerConfiguration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
writerConfiguration.transactionalID = "order-writer-\(suffix)"
let writer = try KafkaProducer(configuration: writerConfiguration, logger: logger)
for batch in 0..<5 {
    try await writer.withTransaction { transaction in
        try await transaction.enqueue(
            KafkaProducerMessage(topic: orders, key: "customer-\(batch)", value: "order \(batch)a")
        )
        try await transaction.enqueue(
            KafkaProducerMessage(topic: orders, key: "customer-\(batch)", value: "order \(batch)b")
        )
    }
}
struct PaymentDeclined: Error {}
do {
    try await writer.withTransaction { transaction in
        try await transaction.enqueue(KafkaProducerMessage(topic: orders, key: "customer-9", value: "order 9a"))
        throw PaymentDeclined()  // aborts: read_committed consumers never see order 9a
    }
} catch is PaymentDeclined {
    print("transaction aborted: payment declined")
}
await writer.close()

// 2. An exactly-once processor: each order becomes one invoice; the invoices and the group's offsets commit in one
// transaction per batch.
var input = KafkaConsumerConfiguration(
    bootstrapServers: [cluster.bootstrapServers],
    consumptionStrategy: .group(id: "invoicer-\(suffix)", topics: [orders])
)
input.autoOffsetReset = .earliest
var output = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
output.transactionalID = "invoicer-\(suffix)-1"
let processor = try KafkaExactlyOnceProcessor<String, String>(consumer: input, producer: output, logger: logger) {
    batch in
    batch.messages.map { order in
        KafkaProducerMessage(
            topic: invoices,
            key: order.keyString ?? "",
            value: "invoice for \(order.valueString ?? "")"
        )
    }
}
let run = Task { try await processor.run() }
let committedInputs = Atomic<Int>(0)
let events = Task {
    for await event in processor.events {
        print("processor: \(event)")
        if case .committed(_, let count, _, _) = event { committedInputs.add(count, ordering: .relaxed) }
    }
}
// Ten orders committed. The embedded cluster may hold the aborted order 9a too (it keeps aborted messages visible,
// having no aborted-transaction index) unless the abort purged it before it was sent: a moment more for it.
while committedInputs.load(ordering: .relaxed) < 10 { try await Task.sleep(for: .milliseconds(50)) }
try await Task.sleep(for: .seconds(1))
processor.stop()
try await run.value
await events.value
print("invoiced \(committedInputs.load(ordering: .relaxed)) orders exactly once")
await cluster.shutdown()
