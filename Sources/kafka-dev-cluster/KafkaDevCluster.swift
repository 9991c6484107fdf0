import ArgumentParser
import Kafka
import KafkaCLISupport
import KafkaTesting

@main
struct KafkaDevCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-dev-cluster",
        abstract: "Run an embedded Kafka cluster (librdkafka's mock cluster) until SIGINT or SIGTERM.",
        discussion: """
            Prints the bootstrap servers on the first line of stdout, then serves. Data lives in memory only.

            Examples:
              kafka-dev-cluster --topic greetings:4
              kafka-dev-cluster --brokers 1 --topic a:1 --topic b:8:1 --bootstrap-file /tmp/bootstrap.txt &
            """,
        version: versionText(tool: "kafka-dev-cluster"),
    )

    @Option(help: "Number of brokers.")
    var brokers: Int = 3

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "A topic to create, as name:partitions[:replication]. Repeatable.",
            valueName: "name:partitions"
        )
    )
    var topics: [String] = []

    @Option(help: "Also write the bootstrap servers to this file.")
    var bootstrapFile: String?

    func validate() throws {
        if brokers < 1 { throw ValidationError("--brokers must be at least 1") }
        for topic in topics { _ = try TopicSpec(parsing: topic, brokers: brokers) }
    }

    func run() async throws {
        let cluster: EmbeddedCluster
        do {
            cluster = try EmbeddedCluster(brokers: brokers)
            for topic in topics {
                let spec = try TopicSpec(parsing: topic, brokers: brokers)
                try await cluster.createTopic(
                    spec.name,
                    partitions: spec.partitions,
                    replicationFactor: spec.replication
                )
            }
        } catch {
            printError("kafka-dev-cluster: \(error)")
            throw ExitCode(1)
        }
        if let bootstrapFile {
            do {
                try writeFile(bootstrapFile, contents: cluster.bootstrapServers + "\n")
            } catch {
                printError("kafka-dev-cluster: cannot write \(bootstrapFile): \(error)")
                await cluster.shutdown()
                throw ExitCode(1)
            }
        }
        // The file first: once the stdout line is there, so is the file.
        OutputWriter(unbuffered: true).write(cluster.bootstrapServers)
        printError("kafka-dev-cluster: \(brokers) broker(s) at \(cluster.bootstrapServers); Ctrl-C to stop")
        _ = await waitForTerminationSignal()
        await cluster.shutdown()
    }
}

/// `name:partitions[:replication]` from `--topic`.
struct TopicSpec {
    var name: String
    var partitions: Int
    var replication: Int

    init(parsing text: String, brokers: Int) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), !parts[0].isEmpty else {
            throw ValidationError("--topic needs name:partitions[:replication], got '\(text)'")
        }
        name = String(parts[0])
        partitions = parts.count > 1 ? Int(parts[1]) ?? -1 : 1
        replication = parts.count > 2 ? Int(parts[2]) ?? -1 : min(brokers, 1)
        guard partitions >= 1 else { throw ValidationError("partition count in '\(text)' must be a number >= 1") }
        guard (1...brokers).contains(replication) else {
            throw ValidationError("replication in '\(text)' must be between 1 and the broker count (\(brokers))")
        }
    }
}
