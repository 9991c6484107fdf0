import ArgumentParser
import Kafka
import KafkaCLISupport

@main
struct KafkaAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-admin",
        abstract: "Administer a Kafka cluster: topics, configs, consumer groups, offsets, records and ACLs.",
        discussion: """
            Connects as kafka-send and kafka-tail do (-b, -X, -F, $KAFKA_BOOTSTRAP_SERVERS). Prints tables, or one \
            JSON object per line with -J. Changes that lose data or move a group (deleting topics, records, groups \
            or ACLs, resetting offsets, changing configs) only say what they would do unless --execute is given.

            Examples:
              kafka-admin topic create orders --partitions 6 --replication-factor 3 --config retention.ms=86400000
              kafka-admin topic list
              kafka-admin topic describe orders --configs
              kafka-admin topic add-partitions orders --partitions 12
              kafka-admin topic delete orders --execute
              kafka-admin config describe --topic orders
              kafka-admin config set --topic orders retention.ms=3600000 --execute
              kafka-admin config delete --topic orders retention.ms --execute
              kafka-admin group list --state Empty
              kafka-admin group describe audit
              kafka-admin group offsets audit -t orders
              kafka-admin group reset-offsets audit -t orders --to earliest --execute
              kafka-admin group delete audit --execute
              kafka-admin records delete -t orders:0=1000 --execute
              kafka-admin acl create --principal User:alice --operation Read --topic orders
              kafka-admin acl list --principal User:alice
              kafka-admin cluster
            """,
        version: versionText(tool: "kafka-admin"),
        subcommands: [
            TopicCommand.self, ConfigCommand.self, GroupCommand.self, RecordsCommand.self, ACLCommand.self,
            ClusterCommand.self,
        ]
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: friendlyParseError(error, for: KafkaAdmin.self))
        }
    }
}

/// The flags every subcommand takes.
struct AdminOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions

    @Flag(name: .customShort("J"), help: "Print one JSON object per line instead of a table.")
    var json = false

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("Seconds each request may take (default 30).", valueName: "seconds")
    )
    var timeoutSeconds: Double = 30

    func validate() throws {
        if !(timeoutSeconds > 0 && timeoutSeconds <= 3_600) {
            throw ValidationError("--timeout needs a number of seconds above 0 (at most 3600)")
        }
        do {
            _ = try common.librdkafkaProperties()
        } catch {
            throw ValidationError(error.description)
        }
    }

    var timeout: Duration { .milliseconds(Int64(timeoutSeconds * 1_000)) }

    /// The admin client, checked against librdkafka (exit status 2 when the configuration is refused).
    func client() throws -> KafkaAdminClient {
        let properties: [String: String]
        do {
            properties = try common.librdkafkaProperties()
        } catch {
            printError("kafka-admin: \(error)")
            throw ExitCode(2)
        }
        let admin = KafkaAdminClient(
            bootstrapServers: common.bootstrapServers,
            librdkafkaOverrides: properties,
            logger: common.makeLogger(label: "kafka-admin")
        )
        do {
            try admin.validate()
        } catch {
            printError("kafka-admin: \(error)")
            throw ExitCode(2)
        }
        return admin
    }
}

extension AdminOptions {
    /// Runs `body` with the admin client, then disconnects it; a thrown error is printed as `kafka-admin: ...` and
    /// ends the process with status 1 (2 for a request refused before sending).
    func run(_ body: (KafkaAdminClient) async throws -> Void) async throws {
        let admin = try client()
        try await runAdmin(admin) { try await body(admin) }
    }
}

/// Runs `body`, then disconnects `admin`; a thrown error is printed as `kafka-admin: ...` and ends the process with
/// status 1 (2 for a request refused before sending).
private func runAdmin(_ admin: KafkaAdminClient, _ body: () async throws -> Void) async throws {
    let outcome: Result<Void, any Error>
    do {
        try await body()
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    await admin.close()
    switch outcome {
    case .success:
        return
    case .failure(let exit as ExitCode):
        throw exit
    case .failure(let error as KafkaError):
        printError("kafka-admin: \(error.message)")
        throw ExitCode(error.code == .invalidUsage ? 2 : 1)
    case .failure(let error):
        printError("kafka-admin: \(error)")
        throw ExitCode(1)
    }
}

/// Prints `text` and ends with status 1 when any item failed.
func finish<Item, Value>(_ text: String, _ results: KafkaAdminResults<Item, Value>) throws {
    writeStandardOutput(text)
    if !results.allSucceeded { throw ExitCode(1) }
}

/// For a change that needs `--execute`: says what would happen and that nothing did.
func dryRun(_ what: [String]) {
    writeStandardOutput(
        what.map { "would \($0)\n" }.joined() + "dry run: nothing changed (add --execute to do it)\n"
    )
}

/// Parses `topic:partition` (every partition of `topic` when the partition is left out: `nil`).
func parseTopicPartition(_ text: String, flag: String) throws -> (String, Int32?) {
    guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
    let topic = String(text[..<colon])
    guard let partition = Int32(text[text.index(after: colon)...]), partition >= 0, !topic.isEmpty else {
        throw ValidationError("\(flag) '\(text)': expected TOPIC or TOPIC:PARTITION")
    }
    return (topic, partition)
}

/// Parses a replica assignment as `kafka-topics.sh` takes it: partitions separated by `,`, each partition's
/// broker ids by `:` (`1:2,2:3,3:1`).
func parseReplicaAssignment(_ text: String) throws -> [[Int32]] {
    try text.split(separator: ",", omittingEmptySubsequences: false).enumerated().map { index, partition in
        try partition.split(separator: ":", omittingEmptySubsequences: false).map { id in
            guard let broker = Int32(id), broker >= 0 else {
                throw ValidationError(
                    "--replica-assignment: partition \(index): '\(id)' is not a broker id (expected e.g. 1:2,2:3)"
                )
            }
            return broker
        }
    }
}

/// Parses `name=value` (for `--config` and `config set`).
func parseNameValue(_ text: String, flag: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        throw ValidationError("\(flag) '\(text)': expected name=value")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}
