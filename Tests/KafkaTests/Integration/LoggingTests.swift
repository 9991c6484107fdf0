import Kafka
import KafkaTesting
import Logging
import Synchronization
import Testing

/// Records every log line it is given.
private struct RecordingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    final class Store: Sendable {
        let entries = Mutex<[Entry]>([])
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        store.entries.withLock {
            $0.append(Entry(level: event.level, message: event.message.description, metadata: all))
        }
    }
}

@Suite("Logging", .timeLimit(.minutes(1)))
struct LoggingTests {
    @Test("librdkafka's log lines reach the logger, with mapped levels and the client id")
    func librdkafkaLogsReachLogger() async throws {
        let store = RecordingLogHandler.Store()
        var logger = Logger(label: "capture", factory: { _ in RecordingLogHandler(store: store) })
        logger.logLevel = .debug
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        config.clientID = "log-check"
        config.messageTimeout = .milliseconds(300)
        let producer = try KafkaProducer(configuration: config, logger: logger)
        _ = try? await producer.send(KafkaProducerMessage(topic: "t", value: "x"))
        await producer.close()
        let entries = store.entries.withLock { $0 }
        // librdkafka reports the refused connection (log FAIL at error level, and the error callback).
        let connectionLines = entries.filter { $0.message.contains("127.0.0.1:1") }
        #expect(
            !connectionLines.isEmpty,
            "no librdkafka line about the refused connection in \(entries.map(\.message))"
        )
        #expect(connectionLines.allSatisfy { $0.metadata[KafkaLoggingKeys.clientID] == "log-check" })
        #expect(connectionLines.contains { $0.level == .error || $0.level == .warning })
        #expect(entries.contains { $0.metadata[KafkaLoggingKeys.facility] != nil }, "librdkafka's facility is kept")
    }
}

@Suite("Admin client handle", .timeLimit(.minutes(1)))
struct AdminHandleTests {
    @Test("an admin client's calls share one connected handle, and its copies too, until a copy changes its settings")
    func callsShareOneHandle() async throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        try await cluster.createTopic("t", partitions: 2)
        let store = RecordingLogHandler.Store()
        var logger = Logger(label: "capture", factory: { _ in RecordingLogHandler(store: store) })
        logger.logLevel = .info
        let admin = KafkaAdminClient(bootstrapServers: [cluster.bootstrapServers], logger: logger)
        func handlesStarted() -> Int {
            store.entries.withLock { $0.filter { $0.message.contains("started on librdkafka") }.count }
        }
        _ = try await admin.describeCluster()
        _ = try await admin.listTopics()
        let partition = KafkaTopicPartition(topic: "t", partition: 0)
        async let a = admin.watermarks(of: [partition])
        async let b = admin.metadata(topics: ["t"])
        _ = try await (a, b)
        let copy = admin
        _ = try await copy.describeTopics(["t"])
        #expect(handlesStarted() == 1, "five calls, two of them at once, and a copy's: one handle")

        var changed = admin
        changed.librdkafkaOverrides = ["socket.timeout.ms": "10000"]
        _ = try await changed.listTopics()
        #expect(handlesStarted() == 2, "a copy with other settings has its own")
        _ = try await admin.listTopics()
        #expect(handlesStarted() == 2, "the original still has its own")

        await admin.close()
        _ = try await copy.listTopics()
        #expect(handlesStarted() == 3, "after close(), which the copies share, the next call connects again")
        await copy.close()
        await changed.close()
        await cluster.shutdown()
    }
}
