import ArgumentParser
import Kafka
import KafkaCLISupport

struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "List, describe and delete consumer groups; show, reset and delete their offsets.",
        subcommands: [List.self, Describe.self, Delete.self, Offsets.self, ResetOffsets.self, DeleteOffsets.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consumer groups (kafka-consumer-groups.sh --list)."
        )

        @OptionGroup var options: AdminOptions
        @Option(
            name: .customLong("state"),
            help: ArgumentHelp(
                "Only groups in this state (Stable, Empty, PreparingRebalance, CompletingRebalance, Dead). Repeatable.",
                valueName: "state"
            )
        )
        var states: [String] = []

        func parsedStates() throws -> Swift.Set<KafkaConsumerGroupState> {
            Swift.Set(
                try states.map { name in
                    guard let state = KafkaConsumerGroupState(name: name), state != .unknown else {
                        throw ValidationError(
                            "--state '\(name)': expected Stable, Empty, PreparingRebalance, CompletingRebalance or Dead"
                        )
                    }
                    return state
                }
            )
        }

        func validate() throws { _ = try parsedStates() }

        func run() async throws {
            try await options.run { admin in
                let list = try await admin.listConsumerGroups(states: try parsedStates(), timeout: options.timeout)
                writeStandardOutput(AdminReports.groupList(list, json: options.json))
                for error in list.errors { printError("kafka-admin: incomplete listing: \(error.message)") }
                if !list.errors.isEmpty { throw ExitCode(1) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe consumer groups: state, assignor, coordinator, members and their partitions."
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The groups.") var groups: [String]

        func validate() throws { if groups.isEmpty { throw ValidationError("group describe needs a group id") } }

        func run() async throws {
            try await options.run { admin in
                let results = try await admin.describeConsumerGroups(groups, timeout: options.timeout)
                try finish(AdminReports.groupDescriptions(results, json: options.json), results)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Delete consumer groups and their committed offsets (needs --execute; refused while members are active)."
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The groups.") var groups: [String]
        @Flag(help: "Really delete them (without it: say what would be deleted).") var execute = false

        func validate() throws { if groups.isEmpty { throw ValidationError("group delete needs a group id") } }

        func run() async throws {
            try await options.run { admin in
                guard execute else {
                    dryRun(groups.map { "delete consumer group \($0) and its committed offsets" })
                    return
                }
                let results = try await admin.deleteConsumerGroups(groups, timeout: options.timeout)
                try finish(
                    AdminReports.outcomes(results, itemTitle: "GROUP", itemKey: "group", json: options.json),
                    results
                )
            }
        }
    }

    struct Offsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A group's committed offsets, the high watermarks and the lag (kafka-consumer-groups.sh --describe).",
            discussion: """
                Without -t: every topic the group committed offsets for.

                Examples:
                  kafka-admin group offsets audit
                  kafka-admin group offsets audit -t orders -t payments
                """
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The group.") var group: String
        @Option(name: .customShort("t"), help: ArgumentHelp("A topic. Repeatable.", valueName: "topic"))
        var topics: [String] = []

        func run() async throws {
            try await options.run { admin in
                let rows = try await admin.consumerGroupLag(
                    group,
                    topics: topics.isEmpty ? nil : topics,
                    timeout: options.timeout
                )
                writeStandardOutput(
                    options.json
                        ? ClusterReports.lagJSON(rows, group: group) : ClusterReports.lagTable(rows, group: group)
                )
            }
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract:
                "Move a group's committed offsets (a dry run without --execute; the group must have no active member).",
            discussion: """
                --to takes earliest, latest, an offset, @timestamp (milliseconds since the epoch), or +N / -N to \
                shift (write --to=-N). Every new offset is clamped into the partition's watermarks.

                Examples:
                  kafka-admin group reset-offsets audit -t orders --to earliest
                  kafka-admin group reset-offsets audit -t orders:0 --to=-100 --execute
                """
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The group.") var group: String
        @Option(
            name: .customShort("t"),
            help: ArgumentHelp("TOPIC or TOPIC:PARTITION. Repeatable.", valueName: "topic")
        )
        var topics: [String] = []
        @Option(help: ArgumentHelp("Where to: earliest, latest, OFFSET, @timestamp, +N, -N.", valueName: "target"))
        var to: String
        @Flag(help: "Commit the new offsets (without it: show them).") var execute = false

        func validate() throws {
            if topics.isEmpty { throw ValidationError("group reset-offsets needs a topic (-t TOPIC)") }
            for topic in topics { _ = try parseTopicPartition(topic, flag: "-t") }
            do {
                _ = try parseResetTarget(to, flag: "--to")
            } catch {
                throw ValidationError(error.description)
            }
        }

        func run() async throws {
            try await options.run { admin in
                let target = try parseResetTarget(to, flag: "--to")
                let parsed = try topics.map { try parseTopicPartition($0, flag: "-t") }
                var partitions: [KafkaTopicPartition] = []
                let whole = parsed.filter { $0.1 == nil }.map(\.0)
                if !whole.isEmpty {
                    let metadata = try await admin.metadata(topics: whole, timeout: options.timeout)
                    for topic in metadata.topics {
                        if let error = topic.error {
                            throw KafkaError(code: error, message: "topic '\(topic.name)': \(error.name)")
                        }
                        partitions += topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0.id) }
                    }
                }
                for case (let topic, let partition?) in parsed {
                    partitions.append(KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: partition)))
                }
                let plan = try await admin.resetConsumerGroupOffsets(
                    group,
                    partitions: partitions,
                    to: target,
                    execute: execute,
                    timeout: options.timeout
                )
                if options.json {
                    writeStandardOutput(
                        plan.moves.map { move in
                            var line = JSONLine()
                            line.add("group", plan.group)
                            line.add("topic", move.partition.topic)
                            line.add("partition", Int64(move.partition.partition.rawValue))
                            line.add("current", max(move.current.rawValue, -1))
                            line.add("new", move.new.rawValue)
                            line.add("executed", plan.executed)
                            return line.line
                        }.joined()
                    )
                } else {
                    writeStandardOutput(ClusterReports.resetTable(plan))
                }
            }
        }
    }

    struct DeleteOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-offsets",
            abstract: "Delete a group's committed offsets for partitions it no longer consumes (needs --execute)."
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The group.") var group: String
        @Option(
            name: .customShort("t"),
            help: ArgumentHelp("TOPIC or TOPIC:PARTITION. Repeatable.", valueName: "topic")
        )
        var topics: [String] = []
        @Flag(help: "Really delete them (without it: say what would be deleted).") var execute = false

        func validate() throws {
            if topics.isEmpty { throw ValidationError("group delete-offsets needs a topic (-t TOPIC)") }
            for topic in topics { _ = try parseTopicPartition(topic, flag: "-t") }
        }

        func run() async throws {
            try await options.run { admin in
                var partitions: [KafkaTopicPartition] = []
                for (topic, partition) in try topics.map({ try parseTopicPartition($0, flag: "-t") }) {
                    if let partition {
                        partitions.append(
                            KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: partition))
                        )
                        continue
                    }
                    let metadata = try await admin.metadata(topics: [topic], timeout: options.timeout)
                    for t in metadata.topics {
                        if let error = t.error {
                            throw KafkaError(code: error, message: "topic '\(t.name)': \(error.name)")
                        }
                        partitions += t.partitions.map { KafkaTopicPartition(topic: t.name, partition: $0.id) }
                    }
                }
                guard execute else {
                    dryRun(
                        partitions.map {
                            "delete group \(group)'s committed offset of \($0.topic):\($0.partition.rawValue)"
                        }
                    )
                    return
                }
                let results = try await admin.deleteConsumerGroupOffsets(
                    group,
                    partitions: partitions,
                    timeout: options.timeout
                )
                try finish(
                    AdminReports.outcomes(results, itemTitle: "PARTITION", itemKey: "partition", json: options.json) {
                        "\($0.topic):\($0.partition.rawValue)"
                    },
                    results
                )
            }
        }
    }
}
