import Kafka
import Logging
import Synchronization

/// `kafka-bench pipeline`: reads `n` messages of `input` as a new consumer group, copies each value to `output`
/// (same partition), in batches of `batch`; `transactional` through `KafkaExactlyOnceProcessor` (one transaction per
/// batch, offsets included), otherwise at-least-once (auto-commit, outputs enqueued per batch). The timer runs from
/// the first batch to the last output delivered (committed, for transactions). Returns the seconds.
func runPipeline(
    bootstrap: String,
    input: String,
    output: String,
    n: Int,
    batch: Int,
    transactional: Bool,
    properties: [String: String],
    logger: Logger
) async throws -> Double {
    var consumer = KafkaConsumerConfiguration(
        bootstrapServers: [bootstrap],
        consumptionStrategy: .group(id: "kafka-bench-pipeline-\(UInt32.random(in: 0...UInt32.max))", topics: [input])
    )
    consumer.autoOffsetReset = .earliest
    consumer.librdkafkaOverrides = properties
    var producer = KafkaProducerConfiguration(bootstrapServers: [bootstrap])
    producer.librdkafkaOverrides = properties
    producer.linger = .milliseconds(5)
    @Sendable func copy(_ message: KafkaConsumerMessage) -> KafkaProducerMessage<Never, [UInt8]> {
        KafkaProducerMessage(topic: output, partition: message.partition, value: message.value.map { Array($0) } ?? [])
    }
    let started = StartTime()
    @Sendable func markStart() { started.mark() }

    if transactional {
        producer.transactionalID = "kafka-bench-pipeline-\(UInt32.random(in: 0...UInt32.max))"
        let processor = try KafkaExactlyOnceProcessor<Never, [UInt8]>(
            consumer: consumer,
            producer: producer,
            maxBatch: batch,
            maxWait: .milliseconds(100),
            logger: logger
        ) { batch in
            markStart()
            return batch.messages.map(copy)
        }
        let run = Task { try await processor.run() }
        var committed = 0
        var end = 0.0
        for await event in processor.events {
            if case .committed(_, let inputs, _, _) = event { committed += inputs }
            if case .aborted(let transaction, let reason) = event {
                logger.warning("transaction \(transaction) aborted: \(reason)")
            }
            if committed >= n {
                end = now()
                processor.stop()
            }
        }
        try await run.value
        return end - (started.value ?? end)
    }

    producer.idempotence = true
    let sender = try KafkaProducer(configuration: producer, logger: logger)
    let reader = try KafkaConsumer(configuration: consumer, logger: logger)
    var copied = 0
    for try await messages in reader.batches(maxCount: batch, maxWait: .milliseconds(100)) {
        markStart()
        _ = try await sender.enqueue(contentsOf: messages.map(copy))
        copied += messages.count
        if copied >= n { break }
    }
    try await sender.flush(timeout: .seconds(120))
    let end = now()
    await sender.close()
    await reader.close()
    return end - (started.value ?? end)
}

/// When the first batch arrived.
final class StartTime: Sendable {
    private let time = Mutex<Double?>(nil)
    func mark() { time.withLock { if $0 == nil { $0 = now() } } }
    var value: Double? { time.withLock { $0 } }
}
