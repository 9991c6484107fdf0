import Kafka
import KafkaTesting
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// What a processor test records: which transactions committed, and how many inputs they covered.
private final class ProcessorLog: Sendable {
    private struct State {
        var committed: Set<String> = []
        var committedInputs = 0
        var aborted = 0
        var ended = false
    }

    private let state = Mutex(State())

    func record(_ event: KafkaExactlyOnceProcessor<String, String>.Event, instance: String) {
        state.withLock { state in
            switch event {
            case .committed(let transaction, let inputs, _, _):
                state.committed.insert("\(instance)/\(transaction)")
                state.committedInputs += inputs
            case .aborted:
                state.aborted += 1
            }
        }
    }

    /// The processor's events ended: its run returned.
    func end() { state.withLock { $0.ended = true } }
    var ended: Bool { state.withLock { $0.ended } }
    var committedInputs: Int { state.withLock { $0.committedInputs } }
    var aborted: Int { state.withLock { $0.aborted } }
    var committed: Set<String> { state.withLock { $0.committed } }
}

/// A processor `instance` copying `input` to `output`: each output is "instance/transaction/partition/offset/value"
/// on the input's partition. `fault` runs first in every transform (to inject faults or fail).
private func makeProcessor(
    _ cluster: any KafkaTestCluster,
    instance: String,
    group: String,
    input: String,
    output: String,
    transactionalID: String? = nil,
    maxPollInterval: Duration? = nil,
    fault: @escaping @Sendable (KafkaExactlyOnceProcessor<String, String>.Batch) async throws -> Void = { _ in }
) async throws -> KafkaExactlyOnceProcessor<String, String> {
    var consumer = await groupConfig(cluster, group: group, topics: [input])
    if let maxPollInterval { consumer.maxPollInterval = maxPollInterval }
    var producer = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
    producer.transactionalID = transactionalID ?? uniqueName("processor-\(instance)")
    producer.transactionTimeout = .seconds(15)
    return try KafkaExactlyOnceProcessor<String, String>(
        consumer: consumer,
        producer: producer,
        maxBatch: 500,
        maxWait: .milliseconds(20),
        logger: testLogger
    ) { batch in
        try await fault(batch)
        return batch.messages.map { message in
            KafkaProducerMessage(
                topic: output,
                partition: message.partition,
                key: "\(message.partition.rawValue)",
                value: "\(instance)/\(batch.transaction)/\(message.partition.rawValue)/\(message.offset.rawValue)/"
                    + (message.valueString ?? "")
            )
        }
    }
}

/// Fills `topic` (`partitions` partitions) with `count` messages "0", "1", ... spread round-robin.
private func fillNumbered(_ cluster: any KafkaTestCluster, _ topic: String, partitions: Int, count: Int) async throws {
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
        logger: testLogger
    )
    for i in 0..<count {
        _ = try await producer.enqueue(
            KafkaProducerMessage(
                topic: topic,
                partition: KafkaPartition(rawValue: Int32(i % partitions)),
                value: "\(i)"
            )
        )
    }
    try await producer.flush(timeout: .seconds(60))
    await producer.close()
}

/// An output of `makeProcessor`'s transform: the input it came from.
private struct CopiedInput {
    var partition: String
    var inputOffset: Int
    var value: Int
}

/// Every output in `output` (all partitions, in order per partition) written by a transaction in `committed`
/// ("instance/transaction").
private func committedOutputs(
    _ cluster: any KafkaTestCluster,
    output: String,
    committed: Set<String>
) async throws -> [CopiedInput] {
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [cluster.bootstrapServers],
        consumptionStrategy: .topics([output], startingAt: .beginning)
    )
    // On a real broker read_committed already hides aborted transactions; the filter below holds either way.
    config.isolationLevel =
        KafkaTestEnvironment.readCommittedUnavailableReason == nil ? .readCommitted : .readUncommitted
    config.stopAtEndOfPartitions = true
    let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
    var outputs: [CopiedInput] = []
    for try await message in consumer.messages {
        let fields = (message.valueString ?? "").split(separator: "/").map(String.init)
        guard fields.count == 5, committed.contains("\(fields[0])/\(fields[1])") else { continue }
        outputs.append(
            CopiedInput(partition: fields[2], inputOffset: Int(fields[3]) ?? -1, value: Int(fields[4]) ?? -1)
        )
    }
    return outputs
}

/// Checks that the committed outputs in `output` hold each of the `count` inputs exactly once, in per-partition
/// input order.
private func checkExactlyOnce(
    _ cluster: any KafkaTestCluster,
    output: String,
    count: Int,
    committed: Set<String>,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    var seen: [Int: Int] = [:]
    var lastInputOffset: [String: Int] = [:]
    var outOfOrder = 0
    for copy in try await committedOutputs(cluster, output: output, committed: committed) {
        seen[copy.value, default: 0] += 1
        if let last = lastInputOffset[copy.partition], copy.inputOffset <= last { outOfOrder += 1 }
        lastInputOffset[copy.partition] = copy.inputOffset
    }
    let missing = (0..<count).filter { seen[$0] == nil }
    let duplicated = seen.filter { $0.value > 1 }.map(\.key)
    #expect(
        missing.isEmpty,
        "inputs missing from the committed output: \(missing.prefix(10))",
        sourceLocation: sourceLocation
    )
    #expect(duplicated.isEmpty, "inputs committed twice: \(duplicated.prefix(10))", sourceLocation: sourceLocation)
    #expect(outOfOrder == 0, "outputs out of per-partition input order", sourceLocation: sourceLocation)
    #expect(seen.count == count, sourceLocation: sourceLocation)
}

/// Runs `processor` in a task, recording its events in `log` under `instance`.
private func start(
    _ processor: KafkaExactlyOnceProcessor<String, String>,
    instance: String,
    log: ProcessorLog
) -> (run: Task<Void, any Error>, events: Task<Void, Never>) {
    let events = Task {
        for await event in processor.events { log.record(event, instance: instance) }
        log.end()
    }
    return (Task { try await processor.run() }, events)
}

@Suite("Exactly-once processor", .timeLimit(.minutes(5)))
struct ExactlyOnceProcessorTests {
    @Test("20,000 inputs over 4 partitions, with aborted transactions: the committed output holds each once, in order")
    func exactlyOnceThroughAborts() async throws {
        try await withKafkaTestCluster { cluster in
            let input = uniqueName("eos-in")
            let output = uniqueName("eos-out")
            try await cluster.createTopic(input, partitions: 4, replicationFactor: 1)
            try await cluster.createTopic(output, partitions: 4, replicationFactor: 1)
            let count = 20_000
            try await fillNumbered(cluster, input, partitions: 4, count: count)
            let embedded = cluster as? EmbeddedCluster
            let log = ProcessorLog()
            let processor = try await makeProcessor(
                cluster,
                instance: "a",
                group: uniqueName("eos-group"),
                input: input,
                output: output
            ) { batch in
                // Transactions 3 and 9 fail to deliver a message: their commits fail, they are aborted, and their
                // input is read again.
                if [3, 9].contains(batch.transaction), let embedded {
                    try await embedded.pushRequestErrors(.produce, [.messageTooLarge])
                }
            }
            let (run, events) = start(processor, instance: "a", log: log)
            do {
                try await waitUntil("all inputs committed", timeout: .seconds(120)) {
                    log.committedInputs >= count || log.ended
                }
                if log.committedInputs < count {
                    // The processor stopped by itself: its error says why.
                    try await run.value
                    Issue.record("the processor stopped after \(log.committedInputs) inputs, without an error")
                }
            } catch {
                Issue.record(
                    "processor stuck \(processor.currentStep): \(log.committedInputs) inputs committed, \(log.aborted) aborts"
                )
                throw error
            }
            processor.stop()
            try await run.value
            await events.value
            #expect(log.committedInputs == count, "each input committed once")
            if embedded != nil { #expect(log.aborted >= 2, "the injected failures aborted transactions") }
            try await checkExactlyOnce(cluster, output: output, count: count, committed: log.committed)
        }
    }

    @Test("a failing transform aborts its transaction and stops the processor with its error")
    func failingTransformStops() async throws {
        try await withKafkaTestCluster { cluster in
            let input = uniqueName("eos-fail-in")
            let output = uniqueName("eos-fail-out")
            try await cluster.createTopic(input, partitions: 1, replicationFactor: 1)
            try await cluster.createTopic(output, partitions: 1, replicationFactor: 1)
            try await fillNumbered(cluster, input, partitions: 1, count: 100)
            let log = ProcessorLog()
            let processor = try await makeProcessor(
                cluster,
                instance: "f",
                group: uniqueName("eos-fail-group"),
                input: input,
                output: output
            ) { batch in
                if batch.messages.contains(where: { $0.valueString == "42" }) { throw BodyFailed() }
            }
            let (run, events) = start(processor, instance: "f", log: log)
            await #expect(throws: BodyFailed.self) { try await run.value }
            await events.value
            #expect(log.aborted == 1)
            // Nothing of the failed batch is in the committed output.
            let committedValues = try await committedOutputs(cluster, output: output, committed: log.committed).map(
                \.value
            )
            #expect(!committedValues.contains(42))
            #expect(committedValues == Array(0..<committedValues.count), "the batches before it, in order")
        }
    }

    @Test("stop() ends a processor that waits for input, at once and without error")
    func stopWhileIdle() async throws {
        try await withKafkaTestCluster { cluster in
            let input = uniqueName("eos-idle-in")
            try await cluster.createTopic(input, partitions: 1, replicationFactor: 1)
            let processor = try await makeProcessor(
                cluster,
                instance: "i",
                group: uniqueName("eos-idle-group"),
                input: input,
                output: uniqueName("eos-idle-out")
            )
            let run = Task { try await processor.run() }
            try await Task.sleep(for: .milliseconds(500))
            let stopped = ContinuousClock.now
            processor.stop()
            try await run.value
            #expect(ContinuousClock.now - stopped < .seconds(20))
        }
    }

    @Test("in a ServiceGroup, a graceful shutdown mid-stream ends the processor cleanly: what committed is whole")
    func gracefulShutdown() async throws {
        try await withKafkaTestCluster { cluster in
            let input = uniqueName("eos-svc-in")
            let output = uniqueName("eos-svc-out")
            try await cluster.createTopic(input, partitions: 2, replicationFactor: 1)
            try await cluster.createTopic(output, partitions: 2, replicationFactor: 1)
            try await fillNumbered(cluster, input, partitions: 2, count: 5_000)
            let log = ProcessorLog()
            let processor = try await makeProcessor(
                cluster,
                instance: "s",
                group: uniqueName("eos-svc-group"),
                input: input,
                output: output
            ) { _ in try await Task.sleep(for: .milliseconds(10)) }
            let events = Task { for await event in processor.events { log.record(event, instance: "s") } }
            let group = ServiceGroup(configuration: .init(services: [.init(service: processor)], logger: testLogger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await waitUntil("some transactions committed", timeout: .seconds(60)) { log.committedInputs >= 500 }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await events.value
            let committedInputs = log.committedInputs
            #expect(committedInputs >= 500)
            // Every committed transaction's outputs are there, each input once.
            var values: [Int: Int] = [:]
            for copy in try await committedOutputs(cluster, output: output, committed: log.committed) {
                values[copy.value, default: 0] += 1
            }
            #expect(values.count == committedInputs)
            #expect(values.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a configuration without a group or a transactional id is refused, naming it")
    func configurationErrors() throws {
        let producer = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        let consumer = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        #expect {
            _ = try KafkaExactlyOnceProcessor<String, String>(
                consumer: consumer,
                producer: producer,
                logger: testLogger
            ) {
                _ in []
            }
        } throws: { error in
            (error as? KafkaError)?.configurationKey == "transactional.id"
        }
        var transactional = producer
        transactional.transactionalID = "x"
        let unassigned = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .partitions([KafkaTopicPartition(topic: "t", partition: 0): .beginning])
        )
        #expect {
            _ = try KafkaExactlyOnceProcessor<String, String>(
                consumer: unassigned,
                producer: transactional,
                logger: testLogger
            ) { _ in [] }
        } throws: { error in
            (error as? KafkaError)?.configurationKey == "group.id"
        }
    }

    @Test(
        "two instances, one leaves mid-stream and another joins: each input committed exactly once, in order",
        TransactionTraits.needsTransactionalOffsets
    )
    func rebalancesMidStream() async throws {
        try await withKafkaTestCluster { cluster in
            let input = uniqueName("eos-rb-in")
            let output = uniqueName("eos-rb-out")
            try await cluster.createTopic(input, partitions: 4, replicationFactor: 1)
            try await cluster.createTopic(output, partitions: 4, replicationFactor: 1)
            let count = 20_000
            try await fillNumbered(cluster, input, partitions: 4, count: count)
            let group = uniqueName("eos-rb-group")
            let log = ProcessorLog()
            // Slow transforms, so that the rebalances happen mid-stream.
            let slow: @Sendable (KafkaExactlyOnceProcessor<String, String>.Batch) async throws -> Void = { _ in
                try await Task.sleep(for: .milliseconds(20))
            }
            let a = try await makeProcessor(
                cluster,
                instance: "a",
                group: group,
                input: input,
                output: output,
                fault: slow
            )
            let b = try await makeProcessor(
                cluster,
                instance: "b",
                group: group,
                input: input,
                output: output,
                fault: slow
            )
            let runA = start(a, instance: "a", log: log)
            let runB = start(b, instance: "b", log: log)
            try await waitUntil("a quarter committed", timeout: .seconds(120)) { log.committedInputs >= count / 4 }
            a.stop()
            try await runA.run.value
            let c = try await makeProcessor(cluster, instance: "c", group: group, input: input, output: output)
            let runC = start(c, instance: "c", log: log)
            try await waitUntil("all inputs committed", timeout: .seconds(180)) { log.committedInputs >= count }
            b.stop()
            c.stop()
            try await runB.run.value
            try await runC.run.value
            #expect(log.committedInputs == count)
            try await checkExactlyOnce(cluster, output: output, count: count, committed: log.committed)
        }
    }

    @Test(
        "an instance killed without closing, its transaction open: a new instance with its id fences it; nothing lost or doubled",
        TransactionTraits.needsTransactionalOffsets,
        TransactionTraits.needsFencing
    )
    func killedInstanceIsFenced() async throws {
        try await withKafkaTestCluster { cluster in
            let input = uniqueName("eos-kill-in")
            let output = uniqueName("eos-kill-out")
            try await cluster.createTopic(input, partitions: 2, replicationFactor: 1)
            try await cluster.createTopic(output, partitions: 2, replicationFactor: 1)
            let count = 5_000
            try await fillNumbered(cluster, input, partitions: 2, count: count)
            let group = uniqueName("eos-kill-group")
            let id = uniqueName("eos-kill-id")
            let log = ProcessorLog()
            let hang = Atomic<Bool>(false)
            let release = Atomic<Bool>(false)
            // The zombie: after its third transaction it hangs in the transform, its transaction open, as a
            // process killed mid-batch would leave it.
            let zombie = try await makeProcessor(
                cluster,
                instance: "z",
                group: group,
                input: input,
                output: output,
                transactionalID: id,
                // A member stuck in its transform leaves the group after this (its partitions go to the new
                // instance), as a killed process's session would expire.
                maxPollInterval: .seconds(10)
            ) { batch in
                if batch.transaction >= 4 {
                    hang.store(true, ordering: .releasing)
                    while !release.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(100)) }
                }
            }
            let runZombie = start(zombie, instance: "z", log: log)
            try await waitUntil("the zombie hangs", timeout: .seconds(60)) { hang.load(ordering: .acquiring) }
            let next = try await makeProcessor(
                cluster,
                instance: "n",
                group: group,
                input: input,
                output: output,
                transactionalID: id
            )
            let runNext = start(next, instance: "n", log: log)
            try await waitUntil("all inputs committed", timeout: .seconds(240)) { log.committedInputs >= count }
            next.stop()
            try await runNext.run.value
            // Released, the zombie's commit is refused: fenced, it stops with the fatal error.
            release.store(true, ordering: .releasing)
            await #expect {
                try await runZombie.run.value
            } throws: { error in
                (error as? KafkaError)?.isFatal == true
            }
            try await checkExactlyOnce(cluster, output: output, count: count, committed: log.committed)
        }
    }
}
