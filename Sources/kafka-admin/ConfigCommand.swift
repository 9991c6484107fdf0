import ArgumentParser
import Kafka
import KafkaCLISupport

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Describe and change topic and broker configuration (kafka-configs.sh).",
        subcommands: [Describe.self, Set.self, Delete.self]
    )

    /// Which resources: `--topic`, `--broker`, `--broker-defaults`.
    struct ResourceOptions: ParsableArguments {
        @Option(name: .customLong("topic"), help: "A topic. Repeatable for describe.") var topics: [String] = []
        @Option(name: .customLong("broker"), help: "A broker id. Repeatable for describe.") var brokers: [Int32] = []
        @Flag(help: "The cluster-wide default of every broker.") var brokerDefaults = false

        var resources: [KafkaConfigResource] {
            topics.map(KafkaConfigResource.topic) + brokers.map(KafkaConfigResource.broker)
                + (brokerDefaults ? [.brokerDefaults] : [])
        }

        func validate() throws {
            if resources.isEmpty {
                throw ValidationError("name a resource: --topic NAME, --broker ID or --broker-defaults")
            }
            do {
                for resource in resources { try resource.validate() }
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show configuration: the entries set on the resource, or every entry with --all.",
            discussion: """
                Examples:
                  kafka-admin config describe --topic orders
                  kafka-admin config describe --broker 1 --all
                """
        )

        @OptionGroup var options: AdminOptions
        @OptionGroup var resource: ResourceOptions
        @Flag(help: "Every entry, defaults included, with its source.") var all = false

        func run() async throws {
            try await options.run { admin in
                let results = try await admin.describeConfigs(resource.resources, timeout: options.timeout)
                try finish(AdminReports.configs(results, onlyOverrides: !all, json: options.json), results)
            }
        }
    }

    /// Shared by set and delete: one resource, a dry run showing old and new values, then the change.
    static func change(
        _ changes: [KafkaConfigChange],
        resource: ResourceOptions,
        options: AdminOptions,
        execute: Bool
    ) async throws {
        try await options.run { admin in
            let target = resource.resources[0]
            guard execute else {
                let current = try await admin.describeConfigs([target], timeout: options.timeout)
                let entries: [KafkaConfigEntry]
                switch current[target] {
                case .success(let described)?: entries = described
                case .failure(let error)?: throw error
                case nil: entries = []
                }
                dryRun(
                    changes.map { change in
                        let entry = entries.first { $0.name == change.name }
                        let was = entry.map { $0.isSensitive ? "(sensitive)" : $0.value ?? "(null)" } ?? "(not set)"
                        return "\(change) on \(target) (now: \(was))"
                    }
                )
                return
            }
            let results = try await admin.alterConfigs([target: changes], timeout: options.timeout)
            try finish(
                AdminReports.outcomes(results, itemTitle: "RESOURCE", itemKey: "resource", json: options.json),
                results
            )
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set configuration entries of one resource, leaving the others as they are (needs --execute).",
            discussion: """
                Examples:
                  kafka-admin config set --topic orders retention.ms=3600000 --execute
                  kafka-admin config set --topic orders --append cleanup.policy=compact --execute
                """
        )

        @OptionGroup var options: AdminOptions
        @OptionGroup var resource: ResourceOptions
        @Argument(help: "Entries to set, as name=value.") var entries: [String] = []
        @Option(help: ArgumentHelp("Add a value to a list entry. Repeatable.", valueName: "name=value"))
        var append: [String] = []
        @Option(help: ArgumentHelp("Remove a value from a list entry. Repeatable.", valueName: "name=value"))
        var subtract: [String] = []
        @Flag(help: "Really change them (without it: show the current and the new values).") var execute = false

        func changes() throws -> [KafkaConfigChange] {
            try entries.map { entry in
                let (name, value) = try parseNameValue(entry, flag: "config set")
                return .set(name, value)
            }
                + append.map { entry in
                    let (name, value) = try parseNameValue(entry, flag: "--append")
                    return .append(name, value)
                }
                + subtract.map { entry in
                    let (name, value) = try parseNameValue(entry, flag: "--subtract")
                    return .subtract(name, value)
                }
        }

        func validate() throws {
            if resource.resources.count != 1 { throw ValidationError("config set changes one resource at a time") }
            if try changes().isEmpty { throw ValidationError("config set needs name=value (or --append, --subtract)") }
        }

        func run() async throws {
            try await ConfigCommand.change(try changes(), resource: resource, options: options, execute: execute)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove configuration entries from one resource, back to their defaults (needs --execute).",
            discussion: "Example:\n  kafka-admin config delete --topic orders retention.ms --execute"
        )

        @OptionGroup var options: AdminOptions
        @OptionGroup var resource: ResourceOptions
        @Argument(help: "The entries' names.") var names: [String] = []
        @Flag(help: "Really remove them (without it: show what would be removed).") var execute = false

        func validate() throws {
            if resource.resources.count != 1 { throw ValidationError("config delete changes one resource at a time") }
            if names.isEmpty { throw ValidationError("config delete needs an entry name") }
        }

        func run() async throws {
            try await ConfigCommand.change(
                names.map { .delete($0) },
                resource: resource,
                options: options,
                execute: execute
            )
        }
    }
}
