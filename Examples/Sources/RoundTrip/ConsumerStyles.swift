import Kafka
import Logging

/// Reads `topic` (already holding messages) as a consumer group member that commits its progress itself: in a
/// rebalance hook before partitions are taken away, and after each batch.
func consumeWithCommits(bootstrap: String, topic: String, expected: Int, logger: Logger) async throws {
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [bootstrap],
        consumptionStrategy: .group(id: "order-auditors", topics: [topic])
    )
    config.autoOffsetReset = .earliest
    config.enableAutoCommit = false  // commit explicitly below
    config.assignmentStrategies = [.cooperativeSticky]

    // Runs inside the rebalance, before the partitions go to another member: commit what was processed.
    let hooks = KafkaRebalanceHandler(
        onAssigned: { context in print("assigned \(context.partitions)") },
        onRevoked: { context in
            do { try await context.commit() } catch { print("commit on revoke failed: \(error)") }
        }
    )
    let consumer = try KafkaConsumer(configuration: config, rebalanceHandler: hooks, logger: logger)

    // Observe what happens besides messages (rebalances, errors, a stalled loop).
    let events = Task {
        for await event in consumer.events { print("event: \(event)") }
    }

    // Bulk processing: up to 500 messages at a time, waiting at most 50 ms to fill a batch.
    var read = 0
    for try await batch in consumer.batches(maxCount: 500, maxWait: .milliseconds(50)) {
        read += batch.count
        try await consumer.commit()  // offsets of every batch before this one (at-least-once)
        if read >= expected { break }  // leaving the loop commits what is processed and leaves the group
    }
    let lag = try? await consumer.lag()
    print("read \(read) messages; lag \(lag ?? [:])")
    await consumer.close()
    await events.value  // events finish once the consumer is closed
}
