import Kafka
import Logging

func produceThreeWays(bootstrap: String, topic: String, logger: Logger) async throws {
    var config = KafkaProducerConfiguration(bootstrapServers: [bootstrap])
    config.deliveryReports = .failuresOnly  // what deliveryReports carries for enqueue(_:)
    let producer = try KafkaProducer(configuration: config, logger: logger)

    // 1. Awaitable: returns where the message landed, or throws.
    let delivery = try await producer.send(KafkaProducerMessage(topic: topic, key: "order-1", value: "created"))
    print("order-1 stored at partition \(delivery.partition), offset \(delivery.offset)")

    // 2. Fire-and-forget: returns an id at once; outcomes (here: failures only) arrive on deliveryReports.
    let failures = Task {
        for await report in producer.deliveryReports {
            if case .failure(let error) = report.result { print("message \(report.id) failed: \(error)") }
        }
    }
    for i in 0..<1_000 {
        _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, key: "order-\(i)", value: "updated"))
    }

    // 3. Batch: many messages in one call, queued in order.
    let batch = (0..<1_000).map { KafkaProducerMessage(topic: topic, value: "event \($0)") }
    let ids = try await producer.enqueue(contentsOf: batch)
    print("queued \(ids.count) more")

    try await producer.flush(timeout: .seconds(30))  // every queued message delivered (or reported failed)
    await producer.close()  // ends deliveryReports
    await failures.value
}
