import ArgumentParser
import Kafka
import KafkaCLISupport

struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Create, delete, list and describe topics; add partitions.",
        subcommands: [Create.self, Delete.self, List.self, Describe.self, AddPartitions.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create topics (kafka-topics.sh --create).",
            discussion: """
                Examples:
                  kafka-admin topic create orders --partitions 6 --replication-factor 3
                  kafka-admin topic create audit --replica-assignment 1:2,2:3,3:1 --config cleanup.policy=compact
                  kafka-admin topic create orders --partitions 6 --validate-only
                """
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The topics to create.") var names: [String]
        @Option(help: "Partitions per topic (default: the broker's num.partitions).") var partitions: Int?
        @Option(help: "Replicas per partition (default: the broker's default.replication.factor).")
        var replicationFactor: Int?
        @Option(help: ArgumentHelp("Broker ids per partition, e.g. 1:2,2:3,3:1.", valueName: "assignment"))
        var replicaAssignment: String?
        @Option(name: .customLong("config"), help: ArgumentHelp("A topic config. Repeatable.", valueName: "name=value"))
        var configs: [String] = []
        @Flag(help: "Only ask the cluster whether it would create them.") var validateOnly = false
        @Flag(help: "Succeed when a topic exists already.") var ifNotExists = false

        func validate() throws {
            if names.isEmpty { throw ValidationError("topic create needs a topic name") }
            if replicaAssignment != nil && (partitions != nil || replicationFactor != nil) {
                throw ValidationError(
                    "--replica-assignment gives the partitions and replicas; drop --partitions and --replication-factor"
                )
            }
            _ = try topics()
        }

        func topics() throws -> [KafkaNewTopic] {
            var configMap: [String: String] = [:]
            for entry in configs {
                let (name, value) = try parseNameValue(entry, flag: "--config")
                configMap[name] = value
            }
            let topics = try names.map { name in
                if let replicaAssignment {
                    return KafkaNewTopic(
                        name: name,
                        replicaAssignment: try parseReplicaAssignment(replicaAssignment),
                        configs: configMap
                    )
                }
                return KafkaNewTopic(
                    name: name,
                    partitions: partitions,
                    replicationFactor: replicationFactor,
                    configs: configMap
                )
            }
            do {
                for topic in topics { try topic.validate() }
            } catch {
                throw ValidationError(error.message)
            }
            return topics
        }

        func run() async throws {
            try await options.run { admin in
                var results = try await admin.createTopics(
                    try topics(),
                    validateOnly: validateOnly,
                    timeout: options.timeout
                )
                if ifNotExists {
                    results.entries = results.entries.map { entry in
                        if case .failure(let error) = entry.result, error.code == .topicAlreadyExists {
                            return .init(item: entry.item, result: .success(()))
                        }
                        return entry
                    }
                }
                try finish(
                    AdminReports.outcomes(results, itemTitle: "TOPIC", itemKey: "topic", json: options.json),
                    results
                )
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete topics and every message in them (needs --execute).",
            discussion: "Example:\n  kafka-admin topic delete orders --execute"
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The topics to delete.") var names: [String]
        @Flag(help: "Really delete them (without it: say what would be deleted).") var execute = false
        @Flag(help: "Succeed when a topic does not exist.") var ifExists = false

        func validate() throws {
            if names.isEmpty { throw ValidationError("topic delete needs a topic name") }
            do {
                for name in names { try KafkaNewTopic.validateName(name) }
            } catch {
                throw ValidationError(error.message)
            }
        }

        func run() async throws {
            try await options.run { admin in
                guard execute else {
                    let metadata = try await admin.metadata(topics: names, timeout: options.timeout)
                    dryRun(
                        metadata.topics.map { topic in
                            topic.error == nil
                                ? "delete topic \(topic.name) (\(topic.partitions.count) partitions) and its messages"
                                : "not delete topic \(topic.name): \(topic.error?.name ?? "")"
                        }
                    )
                    return
                }
                var results = try await admin.deleteTopics(names, timeout: options.timeout)
                if ifExists {
                    results.entries = results.entries.map { entry in
                        if case .failure(let error) = entry.result, error.code == .unknownTopicOrPartition {
                            return .init(item: entry.item, result: .success(()))
                        }
                        return entry
                    }
                }
                try finish(
                    AdminReports.outcomes(results, itemTitle: "TOPIC", itemKey: "topic", json: options.json),
                    results
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics (kafka-topics.sh --list).")

        @OptionGroup var options: AdminOptions
        @Flag(help: "Also list internal topics (__consumer_offsets, ...).") var `internal` = false

        func run() async throws {
            try await options.run { admin in
                let topics = try await admin.listTopics(includeInternal: `internal`, timeout: options.timeout)
                writeStandardOutput(AdminReports.topicList(topics, json: options.json))
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe topics: partitions, leaders, replicas, ISR (kafka-topics.sh --describe)."
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The topics (default: every topic).") var names: [String] = []
        @Flag(help: "Also show each topic's configuration (DescribeConfigs).") var configs = false
        @Flag(help: "With no topic named: also internal topics.") var `internal` = false

        func run() async throws {
            try await options.run { admin in
                var topics = names
                if topics.isEmpty {
                    topics = try await admin.listTopics(includeInternal: `internal`, timeout: options.timeout).map(
                        \.name
                    )
                }
                let results = try await admin.describeTopics(topics, includeConfigs: configs, timeout: options.timeout)
                try finish(AdminReports.topicDescriptions(results, json: options.json), results)
            }
        }
    }

    struct AddPartitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-partitions",
            abstract: "Grow topics to a larger partition count (kafka-topics.sh --alter --partitions).",
            discussion: "Example:\n  kafka-admin topic add-partitions orders --partitions 12"
        )

        @OptionGroup var options: AdminOptions
        @Argument(help: "The topics.") var names: [String]
        @Option(help: "The partition count after the change (not the number added).") var partitions: Int
        @Option(help: ArgumentHelp("Broker ids per new partition, e.g. 1:2,2:3.", valueName: "assignment"))
        var replicaAssignment: String?
        @Flag(help: "Only ask the cluster whether it would do it.") var validateOnly = false

        func increases() throws -> [KafkaPartitionIncrease] {
            let assignment = try replicaAssignment.map(parseReplicaAssignment)
            let increases = names.map {
                KafkaPartitionIncrease(topic: $0, totalCount: partitions, replicaAssignment: assignment)
            }
            do {
                for increase in increases { try increase.validate() }
            } catch {
                throw ValidationError(error.message)
            }
            return increases
        }

        func validate() throws {
            if names.isEmpty { throw ValidationError("topic add-partitions needs a topic name") }
            _ = try increases()
        }

        func run() async throws {
            try await options.run { admin in
                let results = try await admin.createPartitions(
                    try increases(),
                    validateOnly: validateOnly,
                    timeout: options.timeout
                )
                try finish(
                    AdminReports.outcomes(results, itemTitle: "TOPIC", itemKey: "topic", json: options.json),
                    results
                )
            }
        }
    }
}
