import ArgumentParser
import Kafka
import KafkaCLISupport
import Logging
import Synchronization

/// The consuming mode of `kafka-tail`: reads, prints, commits what was printed, stops as asked.
struct TailRun: Sendable {
    let command: KafkaTail
    let admin: KafkaAdminClient
    let properties: [String: String]
    let logger: Logger

    func run() async throws {
        // Bounds the exit (the last commit and the close): the budget counts from the first stop.
        let exitDeadline = ExitDeadline(budget: .milliseconds(Int64(command.closeTimeout * 1_000)))
        let selection = try parseOffsetSelection(command.offsets)
        let inGroup = command.group != nil
        let topics = try await resolveTopics()
        let control = TailControl()

        var config: KafkaConsumerConfiguration
        var rebalance: KafkaRebalanceHandler? = nil
        if let group = command.group {
            config = KafkaConsumerConfiguration(
                bootstrapServers: command.common.bootstrapServers,
                consumptionStrategy: .group(id: group, topics: topics)
            )
            config.autoOffsetReset = selection.start == .offset(.beginning) ? .earliest : .latest
            rebalance = groupRebalanceHandler(start: selection.start, control: control)
        } else {
            config = KafkaConsumerConfiguration(
                bootstrapServers: command.common.bootstrapServers,
                consumptionStrategy: try await fixedStrategy(topics: topics, start: selection.start ?? .offset(.end))
            )
            config.autoOffsetReset = selection.start == .offset(.beginning) ? .earliest : .latest
        }
        config.clientID = "kafka-tail"
        config.isolationLevel = try command.isolationLevel()
        config.statisticsInterval = command.common.statisticsInterval
        config.closeTimeout = exitDeadline.budget
        config.stopAtEndOfPartitions = command.exitAtEnd
        // A deeper prefetch than librdkafka's default: with many partitions, 2.0.2's consumer queue otherwise hits
        // queued.min.messages (counted over all partitions) and backs off fetching for a second at a time. kcat's
        // per-partition queues do not. The memory bound stays queued.max.messages.kbytes. -X overrides it.
        config.librdkafkaOverrides = ["queued.min.messages": "1000000"].merging(properties) { _, given in given }
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: config, rebalanceHandler: rebalance, logger: logger)
        } catch {
            printError("kafka-tail: \(error)")
            throw ExitCode(2)
        }

        // Ends with the consumer's statistics, once the handle is destroyed; awaited before exiting, so the last
        // line is never cut.
        var statisticsPrinter: Task<Void, Never>? = nil
        if command.common.statisticsInterval != nil {
            let json = command.json
            statisticsPrinter = Task { await StatisticsPrinter.run(consumer.statistics, json: json) }
        }
        let output = OutputFormatter(command: command)
        let brokers = command.json ? await leaderMap(topics: topics) : [:]
        let counter = PrintedCounter()
        let reading = Task {
            try await readLoop(
                consumer: consumer,
                output: output,
                brokers: brokers,
                stopAt: selection.stopAt,
                control: control,
                counter: counter,
                exitDeadline: exitDeadline
            )
        }
        let signals = Task {
            var seen = 0
            for await signal in await terminationSignals() {
                seen += 1
                // A second Ctrl-C: the user does not want to wait for the commit or the close.
                if seen > 1 { terminateNow(status: 130) }
                logger.info("\(signal): stopping")
                exitDeadline.start()
                if control.requestStop() {
                    // The loop waits for messages: everything printed is final. Commit it, then end the wait; in a
                    // task of its own, so that a second signal is seen meanwhile.
                    Task {
                        if inGroup { await commitPrinted(consumer, control, deadline: exitDeadline) }
                        reading.cancel()
                    }
                }
            }
        }
        let progress = Task {
            guard command.common.verbosity > 0, isTerminal(2) else { return }
            var last = (time: ContinuousClock.now, count: 0)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                let now = ContinuousClock.now
                let total = counter.value
                let seconds =
                    Double((now - last.time).components.seconds) + Double((now - last.time).components.attoseconds)
                    / 1e18
                let rate = seconds > 0 ? Double(total - last.count) / seconds : 0
                last = (now, total)
                let behind = (try? await consumer.lag(timeout: .seconds(1)))?.values.reduce(0, +)
                printError(
                    "\r\u{1B}[Kkafka-tail: \(Int(rate)) msg/s, printed \(total)" + (behind.map { ", lag \($0)" } ?? ""),
                    newline: false
                )
            }
        }
        let result = await reading.result
        progress.cancel()
        do {
            try await consumer.close(timeout: exitDeadline.remaining())
        } catch {
            printError("kafka-tail: closing the consumer: \(error)")
        }
        await StatisticsPrinter.finish(statisticsPrinter, within: .seconds(1))
        signals.cancel()
        if command.common.verbosity > 0, isTerminal(2) { printError("") }
        switch result {
        case .success(let outcome):
            if outcome == .commitFailed { throw ExitCode(1) }
        case .failure(let error):
            if error is CancellationError || control.isStopping { return }
            throw error
        }
    }

    enum LoopOutcome { case finished, stopped, commitFailed }

    /// Reads batches and prints them until the end (-e), a count (-c), every partition's stop time (e@ts), a closed
    /// stdout, or a stop request.
    private func readLoop(
        consumer: KafkaConsumer,
        output: OutputFormatter,
        brokers: [KafkaTopicPartition: Int32],
        stopAt: KafkaTimestamp?,
        control: TailControl,
        counter: PrintedCounter,
        exitDeadline: ExitDeadline
    ) async throws -> LoopOutcome {
        let inGroup = command.group != nil
        var remaining = command.count ?? Int.max
        var timestampStop = stopAt.map { TimestampStop(stopAt: $0) }
        let maxCount = 1_000
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256 * 1024)
        let unbuffered = command.unbuffered

        /// Writes what is buffered; `false` when stdout is closed.
        func flush() -> Bool {
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer.isEmpty || buffer.withUnsafeBytes { writeAll(fd: 1, $0) }
        }
        func finish(_ outcome: LoopOutcome) async -> LoopOutcome {
            _ = flush()
            guard inGroup else { return outcome }
            let ok = await commitPrinted(consumer, control, deadline: exitDeadline)
            return ok || !command.commitOnExit ? outcome : .commitFailed
        }

        var batches = consumer.batches(maxCount: maxCount, maxWait: .zero).makeAsyncIterator()
        while true {
            guard control.willWait() else { return await finish(.stopped) }
            // About to wait for messages (none is buffered): show what was rendered, or a full last batch would
            // stay unseen until more arrive.
            if !buffer.isEmpty, consumer.bufferedMessageCounts.handedOver == 0, !flush() {
                return await finish(.stopped)
            }
            let next: [KafkaConsumerMessage]?
            do {
                next = try await batches.next()
            } catch {
                _ = flush()  // a stop (SIGINT) cancels the wait: what was rendered is still printed
                throw error
            }
            guard let batch = next else { break }
            guard control.didReceive() else { return await finish(.stopped) }
            var printed: [KafkaTopicPartition: Int64] = [:]
            var printedCount = 0
            var stop = false
            var newlyStopped: [KafkaTopicPartition] = []
            for message in batch {
                if timestampStop != nil {
                    switch timestampStop?.check(message) {
                    case .print?: break
                    case .drop?: continue
                    case .partitionStopped?, nil:
                        newlyStopped.append(KafkaTopicPartition(topic: message.topic, partition: message.partition))
                        continue
                    }
                }
                output.render(
                    message,
                    broker: brokers[KafkaTopicPartition(topic: message.topic, partition: message.partition)] ?? -1,
                    into: &buffer
                )
                printed[KafkaTopicPartition(topic: message.topic, partition: message.partition)] =
                    message.offset.rawValue
                remaining -= 1
                printedCount += 1
                if unbuffered || buffer.count >= 64 * 1024 {
                    guard flush() else { stop = true; break }
                }
                if remaining == 0 {
                    stop = true
                    break
                }
            }
            counter.add(printedCount)
            // Caught up (a batch that is not full): show what we have.
            if batch.count < maxCount || stop {
                if !flush() { stop = true }
            }
            control.recordPrinted(printed)
            if stop { return await finish(.stopped) }
            if let timestampStop, !newlyStopped.isEmpty {
                if command.exitAtEnd {
                    // Jump to the end: the partition reports its end soon, and -e counts it as done.
                    for partition in newlyStopped { try? await consumer.seek(partition, to: .end) }
                }
                let assignment = (try? await consumer.assignment()) ?? []
                if timestampStop.allStopped(assignment) { return await finish(.finished) }
            }
        }
        _ = flush()
        return .finished
    }

    /// Commits the offsets of what was printed; `false` (with the reason on stderr) when the commit failed.
    @discardableResult
    private func commitPrinted(
        _ consumer: KafkaConsumer,
        _ control: TailControl,
        deadline: ExitDeadline
    ) async -> Bool {
        let offsets = control.printedOffsets
        guard !offsets.isEmpty else { return true }
        do {
            try await consumer.commit(offsets, timeout: deadline.remaining())
            return true
        } catch {
            printError("kafka-tail: could not commit what was printed: \(error)")
            return false
        }
    }

    /// The topics to read: names as given, `^regex` ones matched against the cluster's topics (without -G; the
    /// group subscription takes regexes as they are).
    private func resolveTopics() async throws -> [String] {
        let patterns = command.topics.map(TopicPattern.init)
        guard command.group == nil, patterns.contains(where: \.isRegex) else { return command.topics }
        let all = try await admin.metadata().topics.map(\.name).sorted()
        var names: [String] = []
        for pattern in patterns {
            for name in pattern.isRegex ? pattern.matches(in: all) : [pattern.text] where !names.contains(name) {
                names.append(name)
            }
        }
        if names.isEmpty { throw KafkaTailError("no topic matches \(command.topics.joined(separator: ", "))") }
        return names
    }

    /// What to read without a group: every partition of the topics (or -p), from the start position.
    private func fixedStrategy(topics: [String], start: StartPosition) async throws
        -> KafkaConsumerConfiguration.ConsumptionStrategy
    {
        let only = command.partition.flatMap { Int32($0) }
        switch start {
        case .offset(let offset):
            guard let only else { return .topics(topics, startingAt: offset) }
            var map: [KafkaTopicPartition: KafkaOffset] = [:]
            for topic in topics {
                map[KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: only))] = offset
            }
            return .partitions(map)
        case .timestamp(let timestamp):
            let list = try await command.partitions(of: topics, admin: admin)
            let offsets = try await admin.offsets(at: timestamp, for: list)
            var map: [KafkaTopicPartition: KafkaOffset] = [:]
            for partition in list {
                let offset = offsets[partition] ?? .end
                map[partition] = offset.rawValue >= 0 ? offset : .end
            }
            return .partitions(map)
        }
    }

    /// In group mode: -o moves each partition at its first assignment in this run (later assignments continue
    /// from the committed offsets); revoked partitions are no longer ours to commit.
    private func groupRebalanceHandler(start: StartPosition?, control: TailControl) -> KafkaRebalanceHandler {
        let positioned = Mutex<Set<KafkaTopicPartition>>([])
        let admin = self.admin
        let logger = self.logger
        return KafkaRebalanceHandler(
            onAssigned: { context in
                guard let start, start != .offset(.stored) else { return }
                let fresh = positioned.withLock { seen in
                    let fresh = context.partitions.filter { !seen.contains($0) }
                    seen.formUnion(fresh)
                    return fresh
                }
                guard !fresh.isEmpty else { return }
                var targets: [KafkaTopicPartition: KafkaOffset] = [:]
                switch start {
                case .offset(let offset):
                    for partition in fresh { targets[partition] = offset }
                case .timestamp(let timestamp):
                    let offsets = (try? await admin.offsets(at: timestamp, for: fresh)) ?? [:]
                    for partition in fresh {
                        let offset = offsets[partition] ?? .end
                        targets[partition] = offset.rawValue >= 0 ? offset : .end
                    }
                }
                for (partition, offset) in targets {
                    do {
                        try await context.seek(partition, to: offset)
                    } catch {
                        logger.warning("could not move \(partition) to \(offset): \(error)")
                    }
                }
            },
            onRevoked: { context in control.forget(context.partitions) },
            onLost: { context in control.forget(context.partitions) }
        )
    }

    /// Each partition's leader, for the `broker` member of -J (the broker messages are fetched from).
    private func leaderMap(topics: [String]) async -> [KafkaTopicPartition: Int32] {
        let named = topics.filter { !TopicPattern($0).isRegex }
        guard let metadata = try? await admin.metadata(topics: named.count == topics.count ? named : nil) else {
            return [:]
        }
        var map: [KafkaTopicPartition: Int32] = [:]
        for topic in metadata.topics {
            for partition in topic.partitions {
                map[KafkaTopicPartition(topic: topic.name, partition: partition.id)] = partition.leader
            }
        }
        return map
    }
}
