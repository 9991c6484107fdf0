import ArgumentParser
import Kafka
import KafkaCLISupport
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct KafkaSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-send",
        abstract: "Send lines (or JSON lines, or whole files) to Kafka, one message each, like kcat -P.",
        discussion: """
            Reads standard input, or the files given, record by record (-D, default newline). Exits 0 once every \
            message was delivered; otherwise prints how many failed and the first reasons with their line numbers, \
            and exits 1. A malformed line (bad JSON, no -K delimiter, a value over message.max.bytes) stops the \
            input there, after delivering every message before it; --skip-bad-lines goes on and counts them.

            Examples:
              printf 'a\\nb\\n' | kafka-send -b localhost:9092 -t greetings
              kafka-send -t users -K: < id-colon-name.txt
              kafka-send -t events -H source=cli -z lz4 events-*.log
              kafka-send -t blobs --file-as-message photo.jpg
              kafka-tail -t orders -o beginning -e -J | kafka-send -J -t orders-copy
              echo '{"key":"k1","payload":null}' | kafka-send -J -t compacted    # a tombstone
              kafka-send -t orders --transactional-id orders-loader < orders.txt   # all or nothing
            """,
        version: versionText(tool: "kafka-send"),
    )

    @OptionGroup var common: CommonOptions

    @Option(
        name: .customShort("t", allowingJoined: true),
        help: ArgumentHelp("Topic to send to (with -J, the default for lines without \"topic\").", valueName: "topic")
    )
    var topic: String?

    @Option(
        name: .customShort("p", allowingJoined: true),
        parsing: .unconditional,
        help: ArgumentHelp("Partition to send to (default: the partitioner picks; -1 as well).", valueName: "partition")
    )
    var partition: String?

    @Option(
        name: .customShort("k", allowingJoined: true),
        help: ArgumentHelp("Key for every message.", valueName: "key")
    )
    var key: String?

    @Option(
        name: .customShort("K", allowingJoined: true),
        help: ArgumentHelp("Split each line into key, delimiter, value.", valueName: "delim")
    )
    var keyDelimiter: String?

    @Option(
        name: .customShort("D", allowingJoined: true),
        help: ArgumentHelp("Message delimiter (multi-byte allowed; \\n \\t \\xNN).", valueName: "delim")
    )
    var delimiter: String = "\\n"

    @Option(
        name: .customShort("H", allowingJoined: true),
        help: ArgumentHelp("Header name=value (name alone: NULL value). Repeatable.", valueName: "name=value")
    )
    var headers: [String] = []

    @Option(
        name: .customShort("z", allowingJoined: true),
        help: ArgumentHelp("Compression codec: none, gzip, snappy, lz4, zstd.", valueName: "codec")
    )
    var codec: String?

    @Option(
        name: .customShort("c", allowingJoined: true),
        help: ArgumentHelp("Stop after this many messages.", valueName: "count")
    )
    var count: Int?

    @Flag(name: .customShort("Z"), help: "Send an empty key or value as NULL (an empty value is a tombstone).")
    var emptyIsNull = false

    @Flag(name: .customShort("l"), help: "Read the files line by line (the default; accepted for kcat users).")
    var lineMode = false

    @Flag(
        name: [.customShort("J"), .customLong("json")],
        help: "Each line is a JSON object {topic, partition, key, payload, headers, ts}."
    )
    var json = false

    @Flag(name: .customLong("file-as-message"), help: "Send each file (or all of stdin) as one message.")
    var fileAsMessage = false

    @Flag(name: .customLong("skip-bad-lines"), help: "Skip malformed lines (and count them) instead of stopping.")
    var skipBadLines = false

    @Option(
        name: .customLong("transactional-id"),
        help: ArgumentHelp(
            "Send the input as one transaction (or one per --transaction-size messages) with this transactional "
                + "id: a failure, a bad line or Ctrl-C aborts the open one.",
            valueName: "id"
        )
    )
    var transactionalID: String?

    @Option(
        name: .customLong("transaction-size"),
        help: ArgumentHelp("With --transactional-id: commit every this many messages.", valueName: "count")
    )
    var transactionSize: Int?

    @Argument(help: "Files to read instead of standard input.")
    var files: [String] = []

    static func main() async {
        do {
            var command = try parseAsRoot()
            if let send = command as? KafkaSend {
                try await send.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: friendlyParseError(error, for: KafkaSend.self))
        }
    }

    func validate() throws {
        if let topic, topic.isEmpty { throw ValidationError("-t needs a topic") }
        if topic == nil && !json { throw ValidationError("-t needs a topic (kafka-send -t TOPIC)") }
        _ = try partitionNumber()
        if let keyDelimiter, keyDelimiter.isEmpty { throw ValidationError("-K needs a delimiter") }
        if keyDelimiter != nil && json {
            throw ValidationError("-K cannot be combined with -J (JSON lines carry their key)")
        }
        if keyDelimiter != nil && fileAsMessage {
            throw ValidationError("-K cannot be combined with --file-as-message")
        }
        if json && fileAsMessage { throw ValidationError("-J cannot be combined with --file-as-message") }
        if fileAsMessage && lineMode { throw ValidationError("-l cannot be combined with --file-as-message") }
        if let count, count < 1 { throw ValidationError("-c needs a count >= 1") }
        if let transactionalID, transactionalID.isEmpty { throw ValidationError("--transactional-id needs an id") }
        if let transactionSize {
            if transactionalID == nil { throw ValidationError("--transaction-size needs --transactional-id") }
            if transactionSize < 1 { throw ValidationError("--transaction-size needs a count >= 1") }
        }
        do {
            if try unescape(delimiter).isEmpty { throw ValidationError("-D needs a delimiter") }
            if let keyDelimiter, try unescape(keyDelimiter).isEmpty { throw ValidationError("-K needs a delimiter") }
            if let codec { _ = try parseCompressionCodec(codec) }
            for header in headers { _ = try parseHeaderArgument(header) }
            _ = try common.librdkafkaProperties()
        } catch let error as CLIError {
            throw ValidationError(error.description)
        }
    }

    private func partitionNumber() throws -> Int32? {
        guard let partition else { return nil }
        guard let number = Int32(partition), number >= -1 else {
            throw ValidationError("partition must be a number (-p \(partition))")
        }
        return number == -1 ? nil : number
    }

    func run() async throws {
        ignoreBrokenPipe()
        let logger = common.makeLogger(label: "kafka-send")
        let interactive = isTerminal(2) && !common.quiet
        let showProgress = interactive || common.verbosity > 0
        let parser: RecordParser
        let recordDelimiter: [UInt8]?
        var config = KafkaProducerConfiguration(bootstrapServers: common.bootstrapServers)
        do {
            let mode: RecordParser.Mode
            if json {
                mode = .json
            } else if let keyDelimiter {
                mode = .keyed(delimiter: try unescape(keyDelimiter))
            } else {
                mode = .plain
            }
            parser = RecordParser(
                mode: mode,
                topic: topic,
                partition: try partitionNumber(),
                fixedKey: key.map { Array($0.utf8) },
                headers: try headers.map { entry in
                    let (name, value) = try parseHeaderArgument(entry)
                    return value.map { KafkaHeader(key: name, value: $0) } ?? KafkaHeader(key: name, value: nil)
                },
                emptyIsNull: emptyIsNull
            )
            recordDelimiter = fileAsMessage ? nil : try unescape(delimiter)
            // kcat's defaults: librdkafka's (no idempotence); -X enable.idempotence=true turns it on. A
            // transactional producer is idempotent.
            var overrides = transactionalID == nil ? ["enable.idempotence": "false"] : [:]
            config.transactionalID = transactionalID
            if let codec {
                switch codec {
                case "gzip": config.compression = .gzip
                case "snappy": config.compression = .snappy
                case "lz4": config.compression = .lz4
                case "zstd": config.compression = .zstd
                default: config.compression = .none
                }
            }
            overrides.merge(try common.librdkafkaProperties()) { _, new in new }
            config.librdkafkaOverrides = overrides
        } catch let error as CLIError {
            printError("kafka-send: \(error)")
            throw ExitCode(2)
        }
        config.clientID = "kafka-send"
        config.statisticsInterval = common.statisticsInterval
        // Every report is read only when the progress line needs the delivered count.
        config.deliveryReports = showProgress ? .all : .failuresOnly
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: config, logger: logger)
        } catch {
            printError("kafka-send: \(error)")
            throw ExitCode(2)
        }

        // Ends with the producer's statistics once the handle is destroyed; awaited before exiting, so the last
        // line is never cut.
        var statisticsPrinter: Task<Void, Never>? = nil
        if common.statisticsInterval != nil {
            let json = json
            statisticsPrinter = Task { await StatisticsPrinter.run(producer.statistics, json: json) }
        }
        if let topic { producer.prepare(topics: [topic]) }
        let state = SharedSendState()
        let start = ContinuousClock.now
        let reportReader = Task {
            for await report in producer.deliveryReports {
                state.withLock { state in
                    switch report.result {
                    case .success: state.tally.delivered += 1
                    case .failure(let error):
                        state.tally.failed += 1
                        if state.reportFailures.count < SendTally.keptProblems {
                            state.reportFailures.append((report.id.rawValue, "\(error)"))
                        }
                    }
                }
            }
        }
        let progress = Task {
            guard showProgress else { return }
            var last = (time: ContinuousClock.now, queued: 0)
            while !Task.isCancelled {
                try? await Task.sleep(for: interactive ? .milliseconds(500) : .seconds(2))
                let now = ContinuousClock.now
                let tally = state.withLock { $0.tally }
                let seconds = (now - last.time).seconds
                let rate = seconds > 0 ? Double(tally.queued - last.queued) / seconds : 0
                last = (now, tally.queued)
                let line = tally.progressLine(messagesPerSecond: rate)
                if interactive {
                    printError("\r\u{1B}[K" + line, newline: false)
                } else {
                    printError("kafka-send: " + line)
                }
            }
        }
        let stop = StopSwitch()
        let signals = Task {
            var seen = 0
            for await signal in await terminationSignals() {
                seen += 1
                // A second Ctrl-C: the user does not want to wait for the delivery.
                if seen > 1 { terminateNow(status: 130) }
                logger.info("\(signal): delivering what was read, then stopping")
                stop.trigger()
            }
        }

        let transactions = transactionalID.map { _ in
            TransactionBatcher(producer: producer, size: transactionSize)
        }
        var outcome = SendOutcome.completed
        do {
            outcome = try await sendAll(
                producer: producer,
                parser: parser,
                delimiter: recordDelimiter,
                state: state,
                stop: stop,
                transactions: transactions
            )
        } catch {
            printError("kafka-send: \(error)")
            outcome = .inputFailed
        }
        if let transactions {
            // The whole input (or its last batch) commits only when it was read to its end without a problem.
            if outcome == .completed {
                do {
                    try await transactions.commit()
                } catch {
                    printError("kafka-send: \(error)")
                    outcome = .transactionFailed
                }
            } else if let failure = await transactions.abort() {
                printError("kafka-send: aborting the open transaction failed: \(failure)")
            }
        }
        // Deliver everything queued: librdkafka fails what it cannot deliver within message.timeout.ms.
        try? await producer.flush(timeout: .seconds(24 * 3600))
        await producer.close()
        await reportReader.value
        await StatisticsPrinter.finish(statisticsPrinter, within: .seconds(1))
        signals.cancel()
        progress.cancel()
        await progress.value
        if interactive { printError("\r\u{1B}[K", newline: false) }

        let (tally, interrupted) = state.withLock { state in
            var tally = state.tally
            let sources: [String?] = files.isEmpty ? [nil] : files
            for (id, reason) in state.reportFailures {
                let position = state.lines.position(of: id).map {
                    InputPosition(source: sources[$0.source], line: $0.line)
                }
                tally.note(position, reason)
            }
            return (tally, stop.isTriggered)
        }
        let aborted = (transactions?.abortedTransactions ?? 0) > 0
        let ok =
            tally.failed == 0 && outcome != .badLine && outcome != .inputFailed && outcome != .transactionFailed
            && !aborted
        if !ok || showProgress || skipBadLines && tally.skipped > 0 {
            let lines = tally.summary(
                topic: topic,
                elapsedSeconds: (ContinuousClock.now - start).seconds,
                interrupted: interrupted
            )
            for line in lines { printError("kafka-send: \(line)") }
            if let transactions { printError("kafka-send: \(transactions.summary)") }
        }
        if !ok { throw ExitCode(1) }
    }

    /// Reads every input and queues its records; returns why it stopped.
    private func sendAll(
        producer: KafkaProducer,
        parser: RecordParser,
        delimiter: [UInt8]?,
        state: SharedSendState,
        stop: StopSwitch,
        transactions: TransactionBatcher?
    ) async throws -> SendOutcome {
        let sources: [String?] = files.isEmpty ? [nil] : files
        var remaining = count ?? Int.max
        var lines = LineNumberMap()
        defer { state.withLock { $0.lines = lines } }
        var preparedTopics: Set<String> = parser.topic.map { [$0] } ?? []
        var lastTopic = parser.topic ?? ""
        for (sourceIndex, source) in sources.enumerated() {
            let fd: Int32
            if let source {
                do {
                    fd = try openForReading(source)
                } catch {
                    printError("kafka-send: \(error)")
                    return .inputFailed
                }
            } else {
                fd = 0
            }
            defer { if source != nil { closeFile(fd) } }
            let reader = RecordReader(fd: fd, delimiter: delimiter)
            stop.onTrigger { reader.stop() }
            var line = 0
            // One message, refilled per record: plain and keyed records change only its key and value.
            var message = parser.template()
            var runStart: (id: UInt64, line: Int) = (0, 0)
            var runLength: UInt64 = 0
            defer {
                if runLength > 0 {
                    lines.record(firstID: runStart.id, line: runStart.line, count: runLength, source: sourceIndex)
                }
            }
            while let chunk = try await reader.next() {
                // Counts are published once per chunk: the per-message path takes no lock.
                var read = 0
                var queued = 0
                defer {
                    state.withLock { state in
                        state.tally.read += read
                        state.tally.queued += queued
                    }
                }
                for range in chunk.records {
                    line += 1
                    read += 1
                    do {
                        try parser.fill(&message, in: chunk, range)
                    } catch {
                        let position = InputPosition(source: source, line: line)
                        if let verdict = badLine(position, error.description, state: state) { return verdict }
                        continue
                    }
                    // (-J lines name their own topics; the common case, one topic, costs a string comparison.)
                    if message.topic != lastTopic {
                        lastTopic = message.topic
                        if preparedTopics.insert(message.topic).inserted { producer.prepare(topics: [message.topic]) }
                    }
                    if let transactions {
                        do {
                            try await transactions.beforeSend()
                        } catch {
                            printError("kafka-send: \(error)")
                            return .transactionFailed
                        }
                    }
                    do {
                        let id = try await producer.enqueue(message).rawValue
                        // Ids and lines advance together: only a break in the run is recorded.
                        if id != runStart.id &+ runLength || line != runStart.line + Int(runLength) {
                            if runLength > 0 {
                                lines.record(
                                    firstID: runStart.id,
                                    line: runStart.line,
                                    count: runLength,
                                    source: sourceIndex
                                )
                            }
                            runStart = (id, line)
                            runLength = 0
                        }
                        runLength += 1
                        queued += 1
                    } catch {
                        let position = InputPosition(source: source, line: line)
                        if let verdict = badLine(position, "\(error)", state: state) { return verdict }
                        continue
                    }
                    if let transactions {
                        do {
                            try await transactions.afterQueued()
                        } catch {
                            printError("kafka-send: \(error)")
                            return .transactionFailed
                        }
                    }
                    remaining -= 1
                    if remaining == 0 { return .completed }
                }
                // The messages were views into the chunk: it must live until the last one was enqueued.
                withExtendedLifetime(chunk) {}
                if stop.isTriggered { return .interrupted }
            }
            if stop.isTriggered { return .interrupted }
        }
        return .completed
    }

    /// Handles a line that cannot be sent: stop (the default), or skip it with `--skip-bad-lines`.
    private func badLine(_ position: InputPosition, _ reason: String, state: SharedSendState) -> SendOutcome? {
        state.withLock { state in
            state.tally.note(position, reason)
            if skipBadLines { state.tally.skipped += 1 }
        }
        return skipBadLines ? nil : .badLine
    }
}
