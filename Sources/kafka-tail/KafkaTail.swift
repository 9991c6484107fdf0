import ArgumentParser
import Kafka
import KafkaCLISupport

@main
struct KafkaTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-tail",
        abstract: "Print the messages of Kafka topics, one value per line.",
        discussion: """
            Without -G, reads every partition of the topics (or the one given with -p) from -o. With -G, joins the
            consumer group and reads its share, committing offsets as it goes.

            Examples:
              kafka-tail -b localhost:9092 -t greetings -o beginning -e
              kafka-tail -t greetings -G audit -o beginning
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customShort("t"), help: "Topic to read. Repeatable.")
    var topics: [String] = []

    @Option(name: .customShort("p"), help: "Only this partition (without -G).")
    var partition: Int32?

    @Option(
        name: .customShort("o"),
        help: "Start at: beginning, end, stored, an offset N, or -N (N before the end). Default: end."
    )
    var offset: String = "end"

    @Flag(name: .customShort("e"), help: "Exit once every partition was read to its end.")
    var exitAtEnd = false

    @Option(name: .customShort("G"), help: "Consumer group to join.")
    var group: String?

    @Option(name: .customShort("c"), help: "Exit after this many messages.")
    var count: Int?

    @Flag(name: .customShort("u"), help: "Unbuffered output: write each message as it arrives.")
    var unbuffered = false

    func validate() throws {
        if topics.isEmpty { throw ValidationError("-t needs a topic") }
        if let partition, partition < 0 { throw ValidationError("partition must be a number >= 0") }
        if partition != nil && group != nil { throw ValidationError("-p cannot be used with -G") }
        if let count, count < 1 { throw ValidationError("-c needs a count >= 1") }
        _ = try startOffset()
    }

    private func startOffset() throws -> KafkaOffset {
        do {
            return try parseOffsetArgument(offset)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let logger = common.makeLogger(label: "kafka-tail")
        let start = try startOffset()
        let strategy: KafkaConsumerConfiguration.ConsumptionStrategy
        if let group {
            strategy = .group(id: group, topics: topics)
        } else if let partition {
            var partitions: [KafkaTopicPartition: KafkaOffset] = [:]
            for topic in topics {
                partitions[KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: partition))] = start
            }
            strategy = .partitions(partitions)
        } else {
            strategy = .topics(topics, startingAt: start)
        }
        var config = KafkaConsumerConfiguration(bootstrapServers: common.bootstrapServers, consumptionStrategy: strategy)
        config.clientID = "kafka-tail"
        config.stopAtEndOfPartitions = exitAtEnd
        if group != nil {
            config.autoOffsetReset = start == .beginning ? .earliest : .latest
        }
        config.librdkafkaOverrides = try common.librdkafkaProperties()
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: config, logger: logger)
        } catch {
            printError("kafka-tail: \(error)")
            throw ExitCode(2)
        }

        let output = OutputWriter(unbuffered: unbuffered)
        let limit = count
        let result: Result<Int, any Error> = await withTaskGroup(of: Result<Int, any Error>?.self) { group in
            group.addTask {
                if let signal = await waitForTerminationSignal() {
                    logger.info("\(signal): closing")
                    await consumer.close()
                }
                return nil
            }
            group.addTask {
                // Flushes output at least every 100 ms while messages trickle in.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    output.flush()
                }
                return nil
            }
            group.addTask {
                var printed = 0
                do {
                    for try await message in consumer.messages {
                        if let value = message.value {
                            value.withUnsafeReadableBytes { output.write($0) }
                        } else {
                            output.write("")
                        }
                        printed += 1
                        if output.hasFailed { break }  // stdout closed (e.g. piped to head)
                        if let limit, printed >= limit { break }
                    }
                    return .success(printed)
                } catch {
                    return .failure(error)
                }
            }
            // The signal and flush tasks return nil; the reading task's result decides.
            var outcome: Result<Int, any Error> = .success(0)
            for await result in group {
                if let result {
                    outcome = result
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
        await consumer.close()
        output.flush()
        if case .failure(let error) = result {
            printError("kafka-tail: \(error)")
            throw ExitCode(1)
        }
    }
}
