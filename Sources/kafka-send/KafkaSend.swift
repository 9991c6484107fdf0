import ArgumentParser
import Kafka
import KafkaCLISupport

@main
struct KafkaSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-send",
        abstract: "Send each line of standard input to a Kafka topic as one message.",
        discussion: """
            Exits 0 once every message was delivered; otherwise prints how many failed and why, and exits 1.

            Examples:
              printf 'a\\nb\\nc\\n' | kafka-send -b localhost:9092 -t greetings
              kafka-send -t greetings -k user-1 -H source=cli < messages.txt
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customShort("t"), help: "Topic to send to.")
    var topic: String

    @Option(name: .customShort("p"), help: "Partition to send to (default: the partitioner picks).")
    var partition: Int32?

    @Option(name: .customShort("k"), help: "Key for every message.")
    var key: String?

    @Option(name: .customShort("H"), help: ArgumentHelp("Header name=value for every message. Repeatable.", valueName: "name=value"))
    var headers: [String] = []

    @Option(help: "Most messages awaiting delivery at once.")
    var maxInFlight: Int = 10_000

    func validate() throws {
        if topic.isEmpty { throw ValidationError("-t needs a topic name") }
        if let partition, partition < 0 { throw ValidationError("partition must be a number >= 0") }
        if maxInFlight < 1 { throw ValidationError("--max-in-flight must be at least 1") }
        for header in headers where !header.contains("=") {
            throw ValidationError("-H needs name=value, got '\(header)'")
        }
    }

    func run() async throws {
        let logger = common.makeLogger(label: "kafka-send")
        var config = KafkaProducerConfiguration(bootstrapServers: common.bootstrapServers)
        config.clientID = "kafka-send"
        config.librdkafkaOverrides = try common.librdkafkaProperties()
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: config, logger: logger)
        } catch {
            printError("kafka-send: \(error)")
            throw ExitCode(2)
        }
        let headerList = try headers.map { entry -> KafkaHeader in
            let (name, value) = try parseProperty(entry)
            return KafkaHeader(key: name, value: value)
        }
        let topic = self.topic
        let partition = partition.map { KafkaPartition(rawValue: $0) } ?? .unassigned
        let key = self.key
        let maxInFlight = self.maxInFlight

        var sent = 0
        var failures: [(line: Int, error: any Error)] = []
        var failureCount = 0
        func record(line: Int, _ error: any Error) {
            failureCount += 1
            if failures.count < 5 { failures.append((line, error)) }
        }
        // Lines are queued in order (so they keep their order in a partition); deliveries are awaited oldest
        // first, with at most maxInFlight outstanding.
        var pending: [(line: Int, id: KafkaProducerMessageID)] = []
        var settled = 0
        func settleOldest() async {
            let (line, id) = pending[settled]
            settled += 1
            do {
                _ = try await producer.delivery(of: id)
            } catch {
                record(line: line, error)
            }
            if settled == pending.count || settled > 4_096 {
                pending.removeFirst(settled)
                settled = 0
            }
        }
        do {
            var lineNumber = 0
            let reader = LineReader(fd: 0)
            while let records = try await reader.nextRecords() {
                for bytes in records {
                    lineNumber += 1
                    let message = KafkaProducerMessage(
                        topic: topic,
                        partition: partition,
                        key: key,
                        value: bytes,
                        headers: headerList
                    )
                    do {
                        pending.append((lineNumber, try await producer.enqueue(message)))
                        sent += 1
                    } catch {
                        sent += 1
                        record(line: lineNumber, error)
                    }
                    if pending.count - settled >= maxInFlight { await settleOldest() }
                }
            }
            while settled < pending.count { await settleOldest() }
        } catch {
            printError("kafka-send: \(error)")
            await producer.close()
            throw ExitCode(1)
        }
        await producer.close()
        if failureCount > 0 {
            printError("kafka-send: \(failureCount) of \(sent) messages were not delivered")
            for failure in failures.sorted(by: { $0.line < $1.line }) {
                printError("  line \(failure.line): \(failure.error)")
            }
            throw ExitCode(1)
        }
        if common.verbosity > 0 { printError("kafka-send: \(sent) messages delivered to \(topic)") }
    }
}
