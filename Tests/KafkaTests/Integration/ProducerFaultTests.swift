import Kafka
import KafkaTesting
import Synchronization
import Testing

/// Producer correctness while faults are injected into the embedded (librdkafka 2.0.2 mock) cluster.
///
/// Each test sends a known sequence of numbered messages (the value is the message's number), injects a fault
/// while they flow, reads the whole topic back and compares it with the delivery reports: nothing reported
/// delivered is missing, every report points at a copy of its message, nothing that failed was stored, and within
/// each partition the messages are stored in send order. Duplicates are counted; the mock can store a batch twice
/// when the answer to an appended Produce request is lost and the idempotent producer re-sends it (see
/// `../shared/bench/README.md`), so they are asserted absent only where no answer can be lost, and elsewhere
/// asserted to be re-sends of messages that were in flight during the fault.
///
/// These tests build an ``EmbeddedCluster`` themselves: they never touch a real broker. They run one at a time so
/// that the ordering assertions of the slow-broker test do not compete with the others for the two cores.
@Suite("Producer under injected faults", .tags(.mockOnly), .serialized, .timeLimit(.minutes(3)))
struct ProducerFaultTests {
    @Test("a partition leader's broker goes down mid-stream and comes back: nothing lost, order kept")
    func brokerDownAndUp() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("fault-broker-down")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 3)
        // Broker 1 leads partitions 0 and 3; the others stay reachable the whole time. Broker 1 answers 100 ms
        // late, so that when it goes down it almost surely holds Produce requests it appended but did not answer:
        // the case where an idempotent producer must re-send without knowing whether the first copy was stored.
        try await placeLeaders(cluster, topic: topic, leaders: [1, 2, 3, 1])
        try await cluster.setRoundTripTime(broker: 1, .milliseconds(100))

        // Connection errors to the stopped broker are expected here: keep the log quiet.
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: quietLogger)
        let reports = ReportCollector.start(reading: producer)
        let count = 20_000
        let window = 2_000
        let run = try await produceNumbered(producer, reports: reports, count: count, window: window) { i in
            KafkaProducerMessage(topic: topic, partition: KafkaPartition(i % 4), key: "k\(i % 4)", value: "\(i)")
        } faults: { progress in
            try await progress.wait(until: count / 3)
            let from = progress.count
            try await cluster.setBrokerDown(1)
            // Sends to partitions 1 and 2 go on until the window is full of messages waiting for 0 and 3.
            try await Task.sleep(for: .milliseconds(1_500))
            try await cluster.setBrokerUp(1)
            return [FaultWindow(from: from, to: progress.count)]
        }
        await producer.close()

        let stored = try await readTopic(cluster, topic: topic)
        await cluster.shutdown()
        let verdict = Verdict(topic: topic, outcomes: run.outcomes, stored: stored)
        expectIntact(verdict, expectedFailures: [])
        // A Produce request the broker appended before going down gets no answer, and the idempotent producer
        // re-sends it: the 2.0.2 mock may then store it twice. Only messages that were not yet acknowledged while
        // the broker was down (at most `window` before the fault, at most `window` after it ended) may repeat.
        let zone = run.faults.map { $0.zone(window: window) }
        let outside = verdict.duplicates.keys.filter { n in !zone.contains { $0.contains(n) } }.sorted()
        #expect(outside.isEmpty, "duplicates of messages sent away from the fault: \(sample(outside))")
        report("broker down", verdict, faults: run.faults, elapsed: clock.now - start)
    }

    @Test("partition leadership moves twice mid-stream: nothing lost, nothing repeated, order kept")
    func leaderMovesTwice() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("fault-leader-move")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 3)
        try await placeLeaders(cluster, topic: topic, leaders: [1, 2, 3, 1])

        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        let reports = ReportCollector.start(reading: producer)
        let count = 20_000
        let window = 2_000
        let run = try await produceNumbered(producer, reports: reports, count: count, window: window) { i in
            KafkaProducerMessage(topic: topic, partition: KafkaPartition(i % 4), key: "k\(i % 4)", value: "\(i)")
        } faults: { progress in
            var faults: [FaultWindow] = []
            try await progress.wait(until: count / 3)
            var from = progress.count
            try await placeLeaders(cluster, topic: topic, leaders: [2, 3, 1, 2])
            faults.append(FaultWindow(from: from, to: progress.count))
            try await progress.wait(until: 2 * count / 3)
            from = progress.count
            try await placeLeaders(cluster, topic: topic, leaders: [3, 1, 2, 3])
            faults.append(FaultWindow(from: from, to: progress.count))
            return faults
        }
        await producer.close()

        let stored = try await readTopic(cluster, topic: topic)
        await cluster.shutdown()
        let verdict = Verdict(topic: topic, outcomes: run.outcomes, stored: stored)
        expectIntact(verdict, expectedFailures: [])
        // The old leader refuses the Produce request without appending (NOT_LEADER_FOR_PARTITION), so a re-send
        // cannot repeat anything.
        #expect(verdict.duplicates.isEmpty, "duplicates: \(sample(verdict.duplicates.keys.sorted()))")
        report("leader moves", verdict, faults: run.faults, elapsed: clock.now - start)
    }

    @Test("retriable Produce errors mid-stream are retried: nothing lost, nothing repeated, order kept")
    func retriableProduceErrors() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("fault-produce-errors")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 3)

        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        let reports = ReportCollector.start(reading: producer)
        let count = 20_000
        let window = 2_000
        // Keyed, not pinned: the partitioner spreads the 64 keys, and order must hold per partition all the same.
        let run = try await produceNumbered(producer, reports: reports, count: count, window: window) { i in
            KafkaProducerMessage(topic: topic, key: "key-\(i % 64)", value: "\(i)")
        } faults: { progress in
            var faults: [FaultWindow] = []
            // Each pushed error fails the next Produce request (whichever broker gets it), one error per request.
            for (at, errors) in [
                (count / 4, [KafkaError.Code.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas]),
                (count / 2, [.requestTimedOut, .requestTimedOut, .notEnoughReplicas, .notLeaderForPartition]),
                (3 * count / 4, [.notEnoughReplicas, .notLeaderForPartition, .requestTimedOut]),
            ] {
                try await progress.wait(until: at)
                let from = progress.count
                try await cluster.pushRequestErrors(.produce, errors)
                faults.append(FaultWindow(from: from, to: progress.count))
            }
            return faults
        }
        await producer.close()

        let stored = try await readTopic(cluster, topic: topic)
        await cluster.shutdown()
        let verdict = Verdict(topic: topic, outcomes: run.outcomes, stored: stored)
        // librdkafka 2.0.2's mock fails an injected request before storing it, yet may already have stored a later
        // in-flight batch of the same partition; the re-sent earlier batch is then answered DUPLICATE_SEQUENCE_NUMBER,
        // which librdkafka reports as delivered (offset unknown) although the mock never stored it. A real broker
        // answers OUT_OF_ORDER_SEQUENCE to the later batch instead. Seen in about one run in five: such messages are
        // counted apart (and bounded to the requests that failed), everything else must hold.
        expectIntact(verdict, expectedFailures: [], allowAcknowledgedAsDuplicate: true)
        // Only messages that were in flight around an injected error may be affected.
        let zone = run.faults.map { $0.zone(window: window) }
        let outside = verdict.acknowledgedAsDuplicateButMissing.filter { n in !zone.contains { $0.contains(n) } }
        #expect(outside.isEmpty, "acknowledged as duplicates but missing, far from any fault: \(sample(outside))")
        // Keys spread over the partitions, and a key always lands in the same one.
        var partitionOfKey: [Int: Set<KafkaPartition>] = [:]
        for (i, outcome) in run.outcomes.enumerated() {
            if case .success(let delivery) = outcome { partitionOfKey[i % 64, default: []].insert(delivery.partition) }
        }
        #expect(Set(partitionOfKey.values.flatMap { $0 }).count == 4, "64 keys spread over all 4 partitions")
        #expect(partitionOfKey.values.allSatisfy { $0.count == 1 }, "each key stays in one partition")
        // The mock fails injected requests before appending anything, so a re-send cannot repeat anything.
        #expect(verdict.duplicates.isEmpty, "duplicates: \(sample(verdict.duplicates.keys.sorted()))")
        report("retriable errors", verdict, faults: run.faults, elapsed: clock.now - start)
    }

    @Test("an oversize message fails alone with messageTooLarge naming its topic; the others are delivered")
    func oversizeMessage() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("fault-oversize")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)

        var configuration = producerConfiguration(cluster)
        configuration.librdkafkaOverrides["message.max.bytes"] = "10000"
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        let reports = ReportCollector.start(reading: producer)
        // 5,000 rather than 20,000: message.max.bytes also caps each batch at 10 kB, and a no-fault test needs no
        // more than a few hundred batches to show that one rejected message does not disturb the stream.
        let count = 5_000
        let oversized = 2_345
        let padding = String(repeating: "x", count: 12_000)
        let run = try await produceNumbered(producer, reports: reports, count: count, window: 1_000) { i in
            KafkaProducerMessage(
                topic: topic,
                partition: KafkaPartition(i % 4),
                key: "k\(i % 4)",
                value: i == oversized ? "\(i):\(padding)" : "\(i)"
            )
        } faults: { _ in
            [FaultWindow]()
        }

        // The public, awaiting send reports the same for a message over the limit, and the producer goes on.
        let sendError = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 1, key: "k1", value: padding))
        }
        #expect(sendError?.code == .messageTooLarge)
        #expect(sendError?.topic == topic)
        let after = try await producer.send(
            KafkaProducerMessage(topic: topic, partition: 1, key: "k1", value: "\(count)")
        )
        #expect(after.topic == topic && after.partition == 1)
        await producer.close()

        let failure = try #require(failureOf(run.outcomes[oversized]) as? KafkaError, "the oversize message failed")
        #expect(failure.code == .messageTooLarge)
        #expect(failure.topic == topic)
        #expect(failure.partition == KafkaPartition(oversized % 4))
        #expect(!failure.isRetriable && !failure.isFatal)
        #expect("\(failure)".contains(topic), "the description names the topic: \(failure)")

        let stored = try await readTopic(cluster, topic: topic)
        await cluster.shutdown()
        let outcomes = run.outcomes + [.success(after)]
        let verdict = Verdict(topic: topic, outcomes: outcomes, stored: stored)
        expectIntact(verdict, expectedFailures: [oversized])
        #expect(verdict.duplicates.isEmpty, "duplicates: \(sample(verdict.duplicates.keys.sorted()))")
        report("oversize", verdict, faults: [], elapsed: clock.now - start)
    }

    @Test("a slow broker holds back only its own partition: the others are all delivered first")
    func slowBrokerDoesNotBlockOtherPartitions() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let cluster = try EmbeddedCluster(brokers: 3)
        let topic = uniqueName("fault-slow-broker")
        try await cluster.createTopic(topic, partitions: 4, replicationFactor: 1)
        // Partition 0 on broker 1, which answers every request 500 ms late; 1, 2 and 3 on the fast brokers.
        try await placeLeaders(cluster, topic: topic, leaders: [1, 2, 3, 2])
        try await cluster.setRoundTripTime(broker: 1, .milliseconds(500))

        var configuration = producerConfiguration(cluster)
        // Batches of at most 1,000 messages: the slow partition's 5,000 need at least 5 requests, each answered
        // 500 ms late (the mock answers one connection's requests one after the other); the fast partitions'
        // requests take a few milliseconds.
        configuration.librdkafkaOverrides["batch.num.messages"] = "1000"
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        let reports = ReportCollector.start(reading: producer)
        let count = 20_000
        let slow = KafkaPartition(0)
        // All queued at once, interleaved over the partitions: one in four goes to the slow partition.
        var ids: [KafkaPartition: [(number: Int, id: KafkaProducerMessageID)]] = [:]
        for i in 0..<count {
            let partition = KafkaPartition(i % 4)
            let id = try await producer.enqueue(
                KafkaProducerMessage(topic: topic, partition: partition, key: "k\(i % 4)", value: "\(i)")
            )
            ids[partition, default: []].append((i, id))
        }
        let slowDelivered = Counter()
        let slowCount = ids[slow]?.count ?? 0
        // One reader per partition, each awaiting its partition's reports in send order.
        let (outcomes, slowDeliveredWhenFastDone) = await withTaskGroup(
            of: (KafkaPartition, [(Int, Result<KafkaDelivery, any Error>)]).self
        ) { group in
            for (partition, messages) in ids {
                group.addTask {
                    var results: [(Int, Result<KafkaDelivery, any Error>)] = []
                    for (number, id) in messages {
                        results.append((number, await reports.outcome(of: id)))
                        if partition == slow { slowDelivered.advance() }
                    }
                    return (partition, results)
                }
            }
            var outcomes = [Result<KafkaDelivery, any Error>?](repeating: nil, count: count)
            var fastDone = 0
            var slowDeliveredWhenFastDone = -1
            for await (partition, results) in group {
                for (number, result) in results { outcomes[number] = result }
                if partition != slow {
                    fastDone += 1
                    if fastDone == 3 { slowDeliveredWhenFastDone = slowDelivered.count }
                }
            }
            return (outcomes.map { $0 ?? .failure(MissingOutcome()) }, slowDeliveredWhenFastDone)
        }
        await producer.close()
        // No point in reading back through the slow broker.
        try await cluster.setRoundTripTime(broker: 1, .zero)

        #expect(slowDeliveredWhenFastDone >= 0)
        #expect(
            slowDeliveredWhenFastDone < slowCount,
            "when the fast partitions were all delivered, \(slowDeliveredWhenFastDone) of \(slowCount) slow ones were"
        )
        let stored = try await readTopic(cluster, topic: topic)
        await cluster.shutdown()
        let verdict = Verdict(topic: topic, outcomes: outcomes, stored: stored)
        expectIntact(verdict, expectedFailures: [])
        #expect(verdict.duplicates.isEmpty, "duplicates: \(sample(verdict.duplicates.keys.sorted()))")
        report(
            "slow broker (\(slowDeliveredWhenFastDone)/\(slowCount) slow delivered when fast done)",
            verdict,
            faults: [],
            elapsed: clock.now - start
        )
    }
}

extension ProducerFaultTests {
    // MARK: Producing a numbered sequence

    /// A count shared between tasks, e.g. how far the producing loop got (the messages it has queued so far).
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)

        var count: Int { value.load(ordering: .acquiring) }

        func advance() { value.add(1, ordering: .releasing) }

        /// Waits until the count reaches `n`.
        func wait(until n: Int) async throws {
            while count < n { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    /// The messages queued while a fault was in effect: from its start (`from` messages queued) to its end.
    struct FaultWindow: Sendable, CustomStringConvertible {
        var from: Int
        var to: Int

        /// The messages a fault can have caught in flight. The producing loop waits for message `i - window` before
        /// queueing message `i`, so every message below `from - window` was acknowledged before the fault began; and
        /// every message up to `to` is acknowledged before message `to + window` is queued.
        func zone(window: Int) -> ClosedRange<Int> { max(0, from - window)...(to + window) }

        var description: String { "\(from)..\(to)" }
    }

    struct NumberedRun<Faults> {
        /// The outcome of message `i` at index `i`.
        var outcomes: [Result<KafkaDelivery, any Error>]
        var faults: Faults
    }

    struct MissingOutcome: Error {}

    /// Hands each delivery report (``KafkaProducerConfiguration/deliveryReports`` = `.all`) to whoever waits for
    /// the message's outcome, whether the report came before or after the wait began.
    final class ReportCollector: Sendable {
        typealias Outcome = Result<KafkaDelivery, any Error>

        private struct State {
            var arrived: [KafkaProducerMessageID: Outcome] = [:]
            var waiting: [KafkaProducerMessageID: CheckedContinuation<Outcome, Never>] = [:]
            var ended = false
        }

        private let state = Mutex(State())

        private init() {}

        /// Starts reading `producer`'s reports; the reading ends when the producer is closed.
        static func start(reading producer: KafkaProducer) -> ReportCollector {
            let collector = ReportCollector()
            Task { await collector.read(producer.deliveryReports) }
            return collector
        }

        private func read(_ reports: KafkaDeliveryReports) async {
            for await report in reports {
                let outcome = report.result.mapError { $0 as any Error }
                let waiter = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
                    if let waiter = state.waiting.removeValue(forKey: report.id) { return waiter }
                    state.arrived[report.id] = outcome
                    return nil
                }
                waiter?.resume(returning: outcome)
            }
            let orphans = state.withLock { state -> [CheckedContinuation<Outcome, Never>] in
                state.ended = true
                defer { state.waiting = [:] }
                return Array(state.waiting.values)
            }
            for waiter in orphans { waiter.resume(returning: .failure(MissingOutcome())) }
        }

        /// Waits for the report of message `id`; a failure with ``MissingOutcome`` if the reports ended without it.
        func outcome(of id: KafkaProducerMessageID) async -> Outcome {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let ready: Outcome? = state.withLock { state in
                    if let outcome = state.arrived.removeValue(forKey: id) { return outcome }
                    if state.ended { return .failure(MissingOutcome()) }
                    state.waiting[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Queues messages `0..<count` in order with ``KafkaProducer/enqueue(_:)``, keeping at most `window` of them
    /// unacknowledged, while `faults` runs alongside (it sees how far the loop got, e.g. to inject a fault a third
    /// of the way in). Waits for every delivery report.
    func produceNumbered<Faults: Sendable>(
        _ producer: KafkaProducer,
        reports: ReportCollector,
        count: Int,
        window: Int,
        message: (Int) -> KafkaProducerMessage<String, String>,
        faults: @escaping @Sendable (Counter) async throws -> Faults
    ) async throws -> NumberedRun<Faults> {
        let progress = Counter()
        async let injected = faults(progress)
        var ids: [KafkaProducerMessageID?] = []
        ids.reserveCapacity(count)
        var outcomes = [Result<KafkaDelivery, any Error>?](repeating: nil, count: count)
        var acknowledged = 0
        for i in 0..<count {
            while i - acknowledged >= window {
                if let id = ids[acknowledged] { outcomes[acknowledged] = await reports.outcome(of: id) }
                acknowledged += 1
            }
            do {
                ids.append(try await producer.enqueue(message(i)))
            } catch {
                // Refused before it was queued (e.g. too large): no report will come.
                ids.append(nil)
                outcomes[i] = .failure(error)
            }
            progress.advance()
        }
        while acknowledged < count {
            if let id = ids[acknowledged] { outcomes[acknowledged] = await reports.outcome(of: id) }
            acknowledged += 1
        }
        return NumberedRun(outcomes: outcomes.map { $0 ?? .failure(MissingOutcome()) }, faults: try await injected)
    }

    /// Configuration shared by the tests: the defaults (idempotence, acks=all), every delivery report, and a
    /// message timeout short enough that a message stuck by a fault fails inside the test's time limit instead of
    /// hanging it.
    func producerConfiguration(_ cluster: EmbeddedCluster) -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.messageTimeout = .seconds(60)
        configuration.deliveryReports = .all
        return configuration
    }

    /// Makes broker `leaders[p]` the leader of partition `p`.
    func placeLeaders(_ cluster: EmbeddedCluster, topic: String, leaders: [Int]) async throws {
        for (partition, broker) in leaders.enumerated() {
            try await cluster.setPartitionLeader(topic: topic, partition: partition, broker: broker)
        }
    }

    // MARK: Reading back and judging

    /// One stored message: its offset and the number it carries (`-1`: not a number of ours).
    struct StoredRecord: Sendable {
        var offset: Int64
        var number: Int
    }

    /// Reads every partition of `topic` from the beginning to its end, in offset order.
    func readTopic(_ cluster: EmbeddedCluster, topic: String) async throws -> [KafkaPartition: [StoredRecord]] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            consumptionStrategy: .topics([topic], startingAt: .beginning)
        )
        configuration.stopAtEndOfPartitions = true
        let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger)
        var stored: [KafkaPartition: [StoredRecord]] = [:]
        for try await message in consumer.messages {
            let number = message.valueString.flatMap { Int($0.prefix { $0 != ":" }) } ?? -1
            stored[message.partition, default: []].append(StoredRecord(offset: message.offset.rawValue, number: number))
        }
        await consumer.close()
        return stored
    }

    /// What the topic holds, compared with what the delivery reports said.
    struct Verdict {
        var delivered = 0
        /// Messages whose send failed.
        var failed: [Int] = []
        /// Reported delivered, yet not in the topic.
        var lost: [Int] = []
        /// In the topic, yet reported failed (or not a message of this run).
        var phantoms: [Int] = []
        /// A report whose topic, partition or offset does not hold its message.
        var misplaced: [String] = []
        /// Within a partition, a message stored (first) before one that was sent earlier.
        var outOfOrder: [String] = []
        /// Within a partition, a report whose offset is not above that of a message sent earlier.
        var reportsOutOfOrder: [String] = []
        /// Number → how many extra copies the topic holds.
        var duplicates: [Int: Int] = [:]
        /// Reported delivered without an offset (the broker answered DUPLICATE_SEQUENCE_NUMBER to a re-send, which
        /// librdkafka takes as "already stored") and not in the topic. See `retriableProduceErrors`.
        var acknowledgedAsDuplicateButMissing: [Int] = []
        var storedCount = 0

        init(topic: String, outcomes: [Result<KafkaDelivery, any Error>], stored: [KafkaPartition: [StoredRecord]]) {
            var copies: [Int: [(partition: KafkaPartition, offset: Int64)]] = [:]
            for (partition, records) in stored {
                storedCount += records.count
                var seen = Set<Int>()
                var highest = -1
                var lastOffset: Int64 = -1
                for record in records {
                    if record.offset <= lastOffset {
                        outOfOrder.append("p\(partition): offset \(record.offset) read after \(lastOffset)")
                    }
                    lastOffset = record.offset
                    copies[record.number, default: []].append((partition, record.offset))
                    // A repeated copy is a re-send; the order that counts is that of the first copies.
                    guard seen.insert(record.number).inserted else { continue }
                    if record.number < highest {
                        outOfOrder.append("p\(partition): \(record.number) at offset \(record.offset) after \(highest)")
                    }
                    highest = max(highest, record.number)
                }
            }
            var lastReported: [KafkaPartition: (number: Int, offset: Int64)] = [:]
            for (number, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(let delivery) where delivery.offset == .invalid && copies[number] == nil:
                    delivered += 1
                    acknowledgedAsDuplicateButMissing.append(number)
                case .success(let delivery):
                    delivered += 1
                    if let last = lastReported[delivery.partition], delivery.offset.rawValue <= last.offset {
                        reportsOutOfOrder.append(
                            "\(number) reported at \(delivery) after \(last.number) at offset \(last.offset)"
                        )
                    }
                    lastReported[delivery.partition] = (number, delivery.offset.rawValue)
                    if delivery.topic != topic {
                        misplaced.append("\(number) reported in topic \(delivery.topic)")
                    }
                    guard let found = copies[number] else {
                        lost.append(number)
                        continue
                    }
                    if !found.contains(where: {
                        $0.partition == delivery.partition && $0.offset == delivery.offset.rawValue
                    }) {
                        let places = found.map { "p\($0.partition)@\($0.offset)" }
                        misplaced.append("\(number) reported at \(delivery), stored at \(places)")
                    }
                case .failure:
                    failed.append(number)
                    if copies[number] != nil { phantoms.append(number) }
                }
            }
            phantoms += copies.keys.filter { $0 < 0 || $0 >= outcomes.count }
            for (number, found) in copies where found.count > 1 {
                duplicates[number] = found.count - 1
            }
        }
    }

    /// Expects the topic to hold every delivered message, where its report says, in send order per partition, and
    /// exactly `expectedFailures` to have failed.
    func expectIntact(
        _ verdict: Verdict,
        expectedFailures: [Int],
        allowAcknowledgedAsDuplicate: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if !allowAcknowledgedAsDuplicate {
            #expect(
                verdict.acknowledgedAsDuplicateButMissing.isEmpty,
                "acknowledged as duplicates but not stored: \(sample(verdict.acknowledgedAsDuplicateButMissing))",
                sourceLocation: sourceLocation
            )
        }
        #expect(
            verdict.failed == expectedFailures,
            "failed sends: \(sample(verdict.failed))",
            sourceLocation: sourceLocation
        )
        #expect(
            verdict.lost.isEmpty,
            "reported delivered but lost: \(sample(verdict.lost))",
            sourceLocation: sourceLocation
        )
        #expect(
            verdict.phantoms.isEmpty,
            "stored but not delivered: \(sample(verdict.phantoms))",
            sourceLocation: sourceLocation
        )
        #expect(verdict.misplaced.isEmpty, "\(sample(verdict.misplaced))", sourceLocation: sourceLocation)
        #expect(verdict.outOfOrder.isEmpty, "\(sample(verdict.outOfOrder))", sourceLocation: sourceLocation)
        #expect(
            verdict.reportsOutOfOrder.isEmpty,
            "\(sample(verdict.reportsOutOfOrder))",
            sourceLocation: sourceLocation
        )
    }

    func failureOf(_ outcome: Result<KafkaDelivery, any Error>) -> (any Error)? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    /// The first few elements, for failure messages that stay readable.
    func sample<T>(_ items: [T], limit: Int = 10) -> String {
        let head = items.prefix(limit).map { "\($0)" }.joined(separator: ", ")
        return items.count > limit ? "[\(head), … \(items.count) in all]" : "[\(head)]"
    }

    /// One line per test, for the record of what the mock did (duplicates in particular).
    func report(_ name: String, _ verdict: Verdict, faults: [FaultWindow], elapsed: Duration) {
        let duplicated = verdict.duplicates.keys.sorted()
        let range = duplicated.isEmpty ? "" : " (numbers \(duplicated.first ?? 0)...\(duplicated.last ?? 0))"
        print(
            "ProducerFaultTests[\(name)]: \(verdict.delivered) delivered, \(verdict.failed.count) failed, "
                + "\(verdict.storedCount) stored, \(verdict.duplicates.values.reduce(0, +)) duplicate copies of "
                + "\(duplicated.count) messages\(range), faults while queueing \(faults), took \(elapsed)"
        )
    }
}
