import ArgumentParser
import Kafka
import KafkaCLISupport
import Synchronization

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

    func validate() throws {
        if topic.isEmpty { throw ValidationError("-t needs a topic name") }
        if let partition, partition < 0 { throw ValidationError("partition must be a number >= 0") }
        for header in headers where !header.contains("=") {
            throw ValidationError("-H needs name=value, got '\(header)'")
        }
    }

    func run() async throws {
        let logger = common.makeLogger(label: "kafka-send")
        var config = KafkaProducerConfiguration(bootstrapServers: common.bootstrapServers)
        config.clientID = "kafka-send"
        config.librdkafkaOverrides = try common.librdkafkaProperties()
        config.deliveryReports = .failuresOnly
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

        // Failed deliveries arrive on deliveryReports; ids follow the lines (one id per line), so the first id
        // queued gives every report its line number.
        let baseID = Mutex<UInt64?>(nil)
        let reportReader = Task {
            var failed: [(line: Int, error: any Error)] = []
            var count = 0
            for await report in producer.deliveryReports {
                guard case .failure(let error) = report.result else { continue }
                count += 1
                if failed.count < 5 {
                    let base = baseID.withLock { $0 } ?? 0
                    failed.append((Int(report.id.rawValue &- base) + 1, error))
                }
            }
            return (count, failed)
        }

        var sent = 0
        var refused: [(line: Int, error: any Error)] = []
        var refusedCount = 0
        do {
            var lineNumber = 0
            let reader = LineReader(fd: 0)
            while let records = try await reader.nextRecords() {
                for bytes in records {
                    lineNumber += 1
                    sent += 1
                    let message = KafkaProducerMessage(
                        topic: topic,
                        partition: partition,
                        key: key,
                        value: bytes,
                        headers: headerList
                    )
                    do {
                        let id = try await producer.enqueue(message)
                        let line = UInt64(lineNumber)
                        baseID.withLock { if $0 == nil { $0 = id.rawValue - (line - 1) } }
                    } catch {
                        refusedCount += 1
                        if refused.count < 5 { refused.append((lineNumber, error)) }
                    }
                }
            }
        } catch {
            printError("kafka-send: \(error)")
            await producer.close()
            throw ExitCode(1)
        }
        await producer.close()
        let (failedCount, failed) = await reportReader.value
        let failureCount = refusedCount + failedCount
        let failures = (refused + failed).sorted { $0.line < $1.line }.prefix(5)
        if failureCount > 0 {
            printError("kafka-send: \(failureCount) of \(sent) messages were not delivered")
            for failure in failures {
                printError("  line \(failure.line): \(failure.error)")
            }
            throw ExitCode(1)
        }
        if common.verbosity > 0 { printError("kafka-send: \(sent) messages delivered to \(topic)") }
    }
}
