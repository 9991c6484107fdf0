import ArgumentParser
import Kafka
import KafkaCLISupport

struct RecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Delete the messages before an offset (kafka-delete-records.sh).",
        subcommands: [Delete.self]
    )

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every message before OFFSET in each partition (needs --execute).",
            discussion: """
                -t TOPIC:PARTITION=OFFSET moves that partition's low watermark up to OFFSET; \
                -t TOPIC:PARTITION=end (or TOPIC=end, every partition) deletes everything there is now.

                Examples:
                  kafka-admin records delete -t orders:0=1000 -t orders:1=990
                  kafka-admin records delete -t orders=end --execute
                """
        )

        @OptionGroup var options: AdminOptions
        @Option(
            name: .customShort("t"),
            help: ArgumentHelp("TOPIC:PARTITION=OFFSET or TOPIC[:PARTITION]=end. Repeatable.", valueName: "spec")
        )
        var specs: [String] = []
        @Flag(help: "Really delete (without it: say what would be deleted).") var execute = false

        func parsed() throws -> [(topic: String, partition: Int32?, offset: KafkaOffset)] {
            try specs.map { spec in
                let (target, value) = try parseNameValue(spec, flag: "-t")
                let (topic, partition) = try parseTopicPartition(target, flag: "-t")
                if value == "end" { return (topic, partition, .end) }
                guard let offset = Int64(value), offset >= 0 else {
                    throw ValidationError("-t '\(spec)': '\(value)' is not an offset >= 0 or end")
                }
                guard partition != nil else {
                    throw ValidationError("-t '\(spec)': an offset needs a partition (TOPIC:PARTITION=OFFSET)")
                }
                return (topic, partition, KafkaOffset(rawValue: offset))
            }
        }

        func validate() throws {
            if specs.isEmpty { throw ValidationError("records delete needs -t TOPIC:PARTITION=OFFSET") }
            _ = try parsed()
        }

        func run() async throws {
            try await options.run { admin in
                var offsets: [KafkaTopicPartition: KafkaOffset] = [:]
                for (topic, partition, offset) in try parsed() {
                    if let partition {
                        offsets[KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: partition))] =
                            offset
                        continue
                    }
                    let metadata = try await admin.metadata(topics: [topic], timeout: options.timeout)
                    for t in metadata.topics {
                        if let error = t.error {
                            throw KafkaError(code: error, message: "topic '\(t.name)': \(error.name)")
                        }
                        for p in t.partitions { offsets[KafkaTopicPartition(topic: t.name, partition: p.id)] = offset }
                    }
                }
                guard execute else {
                    let partitions = Array(offsets.keys)
                    let marks = try await admin.watermarks(of: partitions, timeout: options.timeout)
                    dryRun(
                        offsets.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }.map {
                            partition,
                            offset in
                            let range = marks[partition].map { " (now \($0))" } ?? ""
                            let before = offset == .end ? "the high watermark" : "offset \(offset.rawValue)"
                            return
                                "delete the messages of \(partition.topic):\(partition.partition.rawValue) before \(before)\(range)"
                        }
                    )
                    return
                }
                let results = try await admin.deleteRecords(before: offsets, timeout: options.timeout)
                try finish(AdminReports.deletedRecords(results, json: options.json), results)
            }
        }
    }
}

struct ACLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Create, list and delete ACLs (kafka-acls.sh).",
        subcommands: [Create.self, List.self, Delete.self]
    )

    /// The binding or filter flags, as kafka-acls.sh spells them.
    struct ACLOptions: ParsableArguments {
        @Option(help: "A topic name (or prefix with --prefixed; * for every topic).") var topic: String?
        @Option(help: "A consumer group id (or prefix with --prefixed; * for every group).") var group: String?
        @Flag(help: "The cluster resource.") var cluster = false
        @Flag(help: "The name is a prefix.") var prefixed = false
        @Option(help: "The principal, e.g. User:alice.") var principal: String?
        @Option(help: "The host the principal connects from (default *).") var host: String?
        @Option(
            help: ArgumentHelp(
                "Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, "
                    + "IdempotentWrite or All.",
                valueName: "operation"
            )
        )
        var operation: String?
        @Flag(help: "Deny instead of allow.") var deny = false

        func resource() throws -> (KafkaACLResourceType, String?) {
            let chosen = [topic != nil, group != nil, cluster].filter { $0 }.count
            if chosen > 1 { throw ValidationError("give one of --topic, --group and --cluster") }
            if let topic { return (.topic, topic) }
            if let group { return (.group, group) }
            if cluster { return (.cluster, "kafka-cluster") }
            return (.any, nil)
        }

        func parsedOperation() throws -> KafkaACLOperation? {
            guard let operation else { return nil }
            guard let parsed = KafkaACLOperation(name: operation), parsed != .any else {
                throw ValidationError(
                    "--operation '\(operation)' is not a Kafka operation (Read, Write, Describe, ...)"
                )
            }
            return parsed
        }

        func binding() throws -> KafkaACLBinding {
            let (type, name) = try resource()
            guard let name else { throw ValidationError("acl create needs --topic, --group or --cluster") }
            guard let principal else { throw ValidationError("acl create needs --principal (e.g. User:alice)") }
            guard let operation = try parsedOperation() else { throw ValidationError("acl create needs --operation") }
            let binding = KafkaACLBinding(
                resourceType: type,
                resourceName: name,
                patternType: prefixed ? .prefixed : .literal,
                principal: principal,
                host: host ?? "*",
                operation: operation,
                permission: deny ? .deny : .allow
            )
            do {
                try binding.validate()
            } catch {
                throw ValidationError(error.message)
            }
            return binding
        }

        func filter() throws -> KafkaACLFilter {
            let (type, name) = try resource()
            let filter = KafkaACLFilter(
                resourceType: type,
                resourceName: name,
                patternType: prefixed ? .prefixed : name == nil ? .any : .literal,
                principal: principal,
                host: host,
                operation: try parsedOperation() ?? .any,
                permission: deny ? .deny : .any
            )
            do {
                try filter.validate()
            } catch {
                throw ValidationError(error.message)
            }
            return filter
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allow (or --deny) a principal an operation on a resource.",
            discussion: "Example:\n  kafka-admin acl create --principal User:alice --operation Read --topic orders"
        )

        @OptionGroup var options: AdminOptions
        @OptionGroup var acl: ACLOptions

        func validate() throws { _ = try acl.binding() }

        func run() async throws {
            try await options.run { admin in
                let results = try await admin.createACLs([try acl.binding()], timeout: options.timeout)
                try finish(
                    AdminReports.outcomes(results, itemTitle: "ACL", itemKey: "acl", json: options.json),
                    results
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the ACLs that match the flags given (every ACL without flags).",
            discussion: "Example:\n  kafka-admin acl list --topic orders"
        )

        @OptionGroup var options: AdminOptions
        @OptionGroup var acl: ACLOptions

        func validate() throws { _ = try acl.filter() }

        func run() async throws {
            try await options.run { admin in
                let bindings = try await admin.describeACLs(try acl.filter(), timeout: options.timeout)
                writeStandardOutput(AdminReports.acls(bindings, json: options.json))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every ACL that matches the flags given (needs --execute; lists the matches without it).",
            discussion: "Example:\n  kafka-admin acl delete --principal User:alice --topic orders --execute"
        )

        @OptionGroup var options: AdminOptions
        @OptionGroup var acl: ACLOptions
        @Flag(help: "Really delete them.") var execute = false

        func validate() throws {
            let filter = try acl.filter()
            if filter == .all && !execute {
                return
            }
            if filter == .all {
                throw ValidationError("acl delete with no flag would delete every ACL; name a resource or principal")
            }
        }

        func run() async throws {
            try await options.run { admin in
                let filter = try acl.filter()
                guard execute else {
                    let matches = try await admin.describeACLs(filter, timeout: options.timeout)
                    dryRun(matches.map { "delete ACL: \($0)" })
                    return
                }
                let results = try await admin.deleteACLs([filter], timeout: options.timeout)
                for entry in results.entries {
                    if case .success(let deleted) = entry.result {
                        writeStandardOutput(AdminReports.acls(deleted, json: options.json))
                    }
                }
                for failure in results.failures { printError("kafka-admin: \(failure.error.message)") }
                if !results.allSucceeded { throw ExitCode(1) }
            }
        }
    }
}

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "The cluster id, the controller and the brokers."
    )

    @OptionGroup var options: AdminOptions

    func run() async throws {
        try await options.run { admin in
            writeStandardOutput(
                AdminReports.cluster(try await admin.describeCluster(timeout: options.timeout), json: options.json)
            )
        }
    }
}
