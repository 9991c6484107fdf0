import ArgumentParser
import Kafka
import KafkaCLISupport
import Logging

@main
struct KafkaTail: AsyncParsableCommand, Sendable {
    static let configuration = CommandConfiguration(
        commandName: "kafka-tail",
        abstract: "Print the messages of Kafka topics (like kcat -C), list metadata (-L), offsets (-Q), a group's lag.",
        discussion: """
            Without -G, reads every partition of the topics (or the one given with -p) from -o (default: end). With \
            -G, joins the consumer group and reads its share; -o then overrides the committed offsets at the first \
            assignment, -e exits once every assigned partition was read to its end, and what was printed is \
            committed, also on Ctrl-C or SIGTERM. A closed stdout (| head) ends it quietly.

            Output: the payload per line by default; -f for kcat's format tokens (%s %S %R %k %K %T %h %t %p %o, \
            \\n \\t \\xNN escapes, plus %d{strftime}); -J for kcat's JSON envelope (bytes that are not UTF-8 in \
            base64, with "key_encoding"/"payload_encoding"/"headers_encoding": "base64").

            Examples:
              kafka-tail -b localhost:9092 -t orders -o beginning -e
              kafka-tail -t orders -o -10 -e -f 'p%p @%o %k: %s\\n'
              kafka-tail -t orders -o beginning -e -J | kafka-send -J -t orders-copy
              kafka-tail -G audit orders payments -o beginning
              kafka-tail -t '^orders-.*' -o beginning -e
              kafka-tail -t orders -o s@1700000000000 -o e@1700003600000
              kafka-tail -L                          # brokers, topics, partitions, leaders, replicas, ISRs
              kafka-tail -Q -t orders                # low/high watermarks per partition
              kafka-tail --lag -G audit -t orders
              kafka-tail --reset-offsets earliest -G audit -t orders --execute
            """,
        version: versionText(tool: "kafka-tail"),
    )

    @OptionGroup var common: CommonOptions

    @Option(
        name: .customShort("t", allowingJoined: true),
        help: ArgumentHelp("Topic to read, or ^regex. Repeatable.", valueName: "topic")
    )
    var topicOptions: [String] = []

    @Argument(help: "More topics (as kcat -G takes them).")
    var topicArguments: [String] = []

    @Option(
        name: .customShort("p", allowingJoined: true),
        help: ArgumentHelp("Only this partition (without -G).", valueName: "partition")
    )
    var partition: String?

    @Option(
        name: .customShort("o", allowingJoined: true),
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Start at beginning, end, stored, N, -N (N before the end), s@ts; stop at e@ts. Default: end (-G: stored).",
            valueName: "offset"
        )
    )
    var offsets: [String] = []

    @Flag(name: .customShort("e"), help: "Exit once every assigned partition was read to its end.")
    var exitAtEnd = false

    @Option(
        name: .customShort("c", allowingJoined: true),
        help: ArgumentHelp("Exit after printing this many messages.", valueName: "count")
    )
    var count: Int?

    @Option(
        name: .customShort("G", allowingJoined: true),
        help: ArgumentHelp(
            "Consumer group to join (or, with --lag and --reset-offsets, to inspect).",
            valueName: "group"
        )
    )
    var group: String?

    @Flag(name: .customShort("u"), help: "Unbuffered output: write each message as it arrives.")
    var unbuffered = false

    @Option(
        name: .customShort("f", allowingJoined: true),
        help: ArgumentHelp("Output format (kcat's tokens, see above).", valueName: "format")
    )
    var format: String?

    @Flag(
        name: [.customShort("J"), .customLong("json")],
        help: "One JSON object per message (kcat's envelope); JSON for -L, -Q, --lag."
    )
    var json = false

    @Option(
        name: .customShort("K", allowingJoined: true),
        help: ArgumentHelp("Print the key, this delimiter, then the payload.", valueName: "delim")
    )
    var keyDelimiter: String?

    @Option(
        name: .customShort("D", allowingJoined: true),
        help: ArgumentHelp("Message delimiter on output (default \\n).", valueName: "delim")
    )
    var delimiter: String?

    @Flag(name: .customShort("Z"), help: "Print NULL keys and values as NULL (instead of nothing).")
    var printNull = false

    @Flag(name: .customShort("L"), help: "List metadata: brokers, topics, partitions, leaders, replicas, ISRs.")
    var listMetadata = false

    @Flag(name: .customShort("Q"), help: "Query offsets: low/high watermarks per partition (by time with -o s@ts).")
    var queryOffsets = false

    @Flag(name: .customLong("lag"), help: "Show the committed offset and lag per partition of group -G.")
    var lag = false

    @Option(
        name: .customLong("reset-offsets"),
        help: ArgumentHelp(
            "Set group -G's offsets: earliest, latest, OFFSET, @timestamp or +N/-N (dry run without --execute).",
            valueName: "target"
        )
    )
    var resetOffsets: String?

    @Flag(name: .customLong("execute"), help: "Commit the offsets --reset-offsets computed.")
    var execute = false

    @Option(
        name: .customLong("isolation"),
        help: ArgumentHelp(
            "read_committed (the default, as librdkafka's: messages of open or aborted transactions are not "
                + "shown) or read_uncommitted (every message).",
            valueName: "level"
        )
    )
    var isolation: String = "read_committed"

    @Flag(name: .customLong("commit"), help: "With -G: commit what was printed on exit, and fail if that commit fails.")
    var commitOnExit = false

    @Option(
        name: .customLong("close-timeout"),
        help: ArgumentHelp(
            "On exit, the longest to wait for the last commit and for leaving the group -G (a second Ctrl-C ends "
                + "at once).",
            valueName: "seconds"
        )
    )
    var closeTimeout: Double = 10

    static func main() async {
        do {
            var command = try parseAsRoot()
            if let tail = command as? KafkaTail {
                try await tail.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: friendlyParseError(error, for: KafkaTail.self))
        }
    }

    var topics: [String] { topicOptions + topicArguments }

    func validate() throws {
        let modes = [listMetadata, queryOffsets, lag, resetOffsets != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("-L, -Q, --lag and --reset-offsets cannot be combined") }
        if topics.contains(where: \.isEmpty) { throw ValidationError("-t needs a topic") }
        if let group, group.isEmpty { throw ValidationError("-G needs a group id") }
        _ = try partitionNumber()
        if let count, count < 1 { throw ValidationError("-c needs a count >= 1") }
        if execute && resetOffsets == nil { throw ValidationError("--execute goes with --reset-offsets") }
        if commitOnExit && group == nil { throw ValidationError("--commit needs -G group") }
        if !(closeTimeout > 0 && closeTimeout <= 86_400) {
            throw ValidationError("--close-timeout needs a number of seconds above 0 (at most 86400)")
        }
        _ = try isolationLevel()
        if format != nil && json { throw ValidationError("-f and -J cannot be combined") }
        if format != nil && keyDelimiter != nil { throw ValidationError("-f and -K cannot be combined (use %k in -f)") }
        do {
            for topic in topics { try TopicPattern(topic).validate() }
            if let format { _ = try MessageFormat(format) }
            if let keyDelimiter, try unescape(keyDelimiter).isEmpty { throw ValidationError("-K needs a delimiter") }
            if let delimiter, try unescape(delimiter).isEmpty { throw ValidationError("-D needs a delimiter") }
            if let resetOffsets { _ = try parseResetTarget(resetOffsets) }
            _ = try common.librdkafkaProperties()
        } catch let error as CLIError {
            throw ValidationError(error.description)
        }
        let selection = try offsetSelection()
        if listMetadata { return }
        if queryOffsets {
            if topics.isEmpty { throw ValidationError("-Q needs a topic (-t TOPIC, or kcat's -t TOPIC:PARTITION:TS)") }
            if case .offset? = selection.start { throw ValidationError("-Q takes only -o s@ts (offsets for a time)") }
            if selection.stopAt != nil { throw ValidationError("-Q takes only -o s@ts (offsets for a time)") }
            return
        }
        if lag || resetOffsets != nil {
            let flag = lag ? "--lag" : "--reset-offsets"
            if group == nil { throw ValidationError("\(flag) needs -G group") }
            if topics.isEmpty { throw ValidationError("\(flag) needs a topic (-t TOPIC)") }
            if topics.contains(where: { TopicPattern($0).isRegex }) {
                throw ValidationError("\(flag) needs topic names, not ^regex")
            }
            return
        }
        if topics.isEmpty {
            if exitAtEnd || group != nil { throw ValidationError("-e and -G need a topic (-t TOPIC)") }
            throw ValidationError("-t needs a topic (kafka-tail -t TOPIC)")
        }
        if partition != nil && group != nil {
            throw ValidationError("-p cannot be used with -G (the group assigns partitions)")
        }
        if partition != nil && topics.contains(where: { TopicPattern($0).isRegex }) {
            throw ValidationError("-p cannot be used with a ^regex topic")
        }
    }

    /// `--isolation` as the consumer takes it.
    func isolationLevel() throws -> KafkaConsumerConfiguration.IsolationLevel {
        switch isolation {
        case "read_committed": return .readCommitted
        case "read_uncommitted": return .readUncommitted
        default:
            throw ValidationError("--isolation takes read_committed or read_uncommitted, not '\(isolation)'")
        }
    }

    private func partitionNumber() throws -> Int32? {
        guard let partition else { return nil }
        guard let number = Int32(partition), number >= 0 else {
            throw ValidationError("partition must be a number (-p \(partition))")
        }
        return number
    }

    private func offsetSelection() throws -> OffsetSelection {
        do {
            return try parseOffsetSelection(offsets)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        ignoreBrokenPipe()
        let logger = common.makeLogger(label: "kafka-tail")
        let properties: [String: String]
        do {
            properties = try common.librdkafkaProperties()
        } catch {
            printError("kafka-tail: \(error)")
            throw ExitCode(2)
        }
        let admin = KafkaAdminClient(
            bootstrapServers: common.bootstrapServers,
            librdkafkaOverrides: properties,
            logger: logger
        )
        do {
            try admin.validate()
        } catch {
            printError("kafka-tail: \(error)")
            throw ExitCode(2)
        }
        let outcome: Result<Void, any Error>
        do {
            if listMetadata {
                try await runListMetadata(admin)
            } else if queryOffsets {
                try await runQueryOffsets(admin)
            } else if lag, let group {
                try await runLag(admin, group: group)
            } else if let resetOffsets, let group {
                try await runResetOffsets(admin, group: group, target: try parseResetTarget(resetOffsets))
            } else {
                try await TailRun(command: self, admin: admin, properties: properties, logger: logger).run()
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // The admin client's shared connection (metadata, watermarks), closed before exiting.
        await admin.close()
        switch outcome {
        case .success: return
        case .failure(let exit as ExitCode): throw exit
        case .failure(let error):
            printError("kafka-tail: \(error)")
            throw ExitCode(1)
        }
    }

    // MARK: -L, -Q, --lag, --reset-offsets

    private func runListMetadata(_ admin: KafkaAdminClient) async throws {
        let metadata = try await admin.metadata(topics: topics.isEmpty ? nil : topics)
        let text =
            json
            ? ClusterReports.metadataJSON(metadata, query: topics.isEmpty ? nil : topics.joined(separator: ","))
            : ClusterReports.metadataTable(metadata)
        writeStandardOutput(text)
    }

    /// The partitions of the named topics (only `-p` when given).
    func partitions(of names: [String], admin: KafkaAdminClient) async throws -> [KafkaTopicPartition] {
        let metadata = try await admin.metadata(topics: names)
        var result: [KafkaTopicPartition] = []
        let only = try partitionNumber()
        for topic in metadata.topics {
            if let error = topic.error { throw KafkaTailError("topic \(topic.name): \(error.name)") }
            for p in topic.partitions where only == nil || p.id.rawValue == only {
                result.append(KafkaTopicPartition(topic: topic.name, partition: p.id))
            }
        }
        if let only, result.isEmpty {
            throw KafkaTailError("partition \(only) does not exist in \(names.joined(separator: ", "))")
        }
        return result
    }

    private func runQueryOffsets(_ admin: KafkaAdminClient) async throws {
        var plain: [String] = []
        var timed: [(KafkaTopicPartition, KafkaTimestamp)] = []
        for topic in topics {
            // kcat's -Q -t topic:partition:timestamp
            let parts = topic.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 3, let p = Int32(parts[1]), let ts = Int64(parts[2]) {
                timed.append(
                    (
                        KafkaTopicPartition(topic: String(parts[0]), partition: KafkaPartition(rawValue: p)),
                        KafkaTimestamp(millisecondsSinceEpoch: ts)
                    )
                )
            } else {
                plain.append(topic)
            }
        }
        var timestamp: KafkaTimestamp? = nil
        if case .timestamp(let ts)? = try offsetSelection().start { timestamp = ts }
        var rows: [ClusterReports.OffsetsRow] = []
        if !plain.isEmpty {
            let list = try await partitions(of: plain, admin: admin)
            let marks = try await admin.watermarks(of: list)
            var times: [KafkaTopicPartition: KafkaOffset] = [:]
            if let timestamp { times = try await admin.offsets(at: timestamp, for: list) }
            for partition in list {
                guard let watermarks = marks[partition] else { continue }
                rows.append(
                    ClusterReports.OffsetsRow(
                        partition: partition,
                        watermarks: watermarks,
                        offsetForTime: times[partition]
                    )
                )
            }
        }
        var timedRows: [ClusterReports.OffsetsRow] = []
        for (partition, ts) in timed {
            let marks = try await admin.watermarks(of: [partition])
            let offset = try await admin.offsets(at: ts, for: [partition])
            if let watermarks = marks[partition] {
                timedRows.append(
                    ClusterReports.OffsetsRow(
                        partition: partition,
                        watermarks: watermarks,
                        offsetForTime: offset[partition] ?? .end
                    )
                )
            }
        }
        if json {
            writeStandardOutput(ClusterReports.offsetsJSON(rows + timedRows))
        } else {
            if !rows.isEmpty { writeStandardOutput(ClusterReports.offsetsTable(rows, timestamp: timestamp)) }
            if !timedRows.isEmpty {
                writeStandardOutput(ClusterReports.offsetsTable(timedRows, timestamp: timed.first?.1))
            }
        }
    }

    private func runLag(_ admin: KafkaAdminClient, group: String) async throws {
        let only = try partitionNumber()
        let rows = try await admin.consumerGroupLag(group, topics: topics).filter {
            only == nil || $0.partition.partition.rawValue == only
        }
        if let only, rows.isEmpty {
            throw KafkaTailError("partition \(only) does not exist in \(topics.joined(separator: ", "))")
        }
        writeStandardOutput(
            json ? ClusterReports.lagJSON(rows, group: group) : ClusterReports.lagTable(rows, group: group)
        )
    }

    private func runResetOffsets(_ admin: KafkaAdminClient, group: String, target: KafkaOffsetResetTarget) async throws
    {
        let list = try await partitions(of: topics, admin: admin)
        let plan: KafkaOffsetResetPlan
        do {
            plan = try await admin.resetConsumerGroupOffsets(group, partitions: list, to: target, execute: execute)
        } catch let error as KafkaError where execute && error.code != .invalidUsage {
            printError("kafka-tail: could not commit the offsets of group \(group): \(error)")
            printError(
                "kafka-tail: (a broker refuses this while the group has active members: stop them first;"
                    + " librdkafka's mock cluster refuses it for any group that ever had a member)"
            )
            throw ExitCode(1)
        }
        writeStandardOutput(ClusterReports.resetTable(plan))
    }
}
