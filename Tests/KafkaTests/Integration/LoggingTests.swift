import Kafka
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
