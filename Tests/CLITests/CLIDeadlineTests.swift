import Foundation
import Kafka
import KafkaCLISupport
import KafkaTesting
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Tag {
    /// Needs the embedded cluster's fault injection: never runs against a real broker.
    @Tag static var mockOnly: Self
}

/// kafka-tail -G ends by its --close-timeout when its brokers are gone, and at once on a second signal.
@Suite("CLI deadlines", .timeLimit(.minutes(3)))
struct CLIDeadlineTests {
    /// An embedded cluster of one broker with `topic` holding three lines, and kafka-tail -G printing them.
    private func tailWithBrokerGone(
        closeTimeout: Int,
        _ body: (ChildProcess, EmbeddedCluster) async throws -> Void
    ) async throws -> (CLIResult, printed: String) {
        let cluster = try EmbeddedCluster(brokers: 1)
        defer { Task { await cluster.shutdown() } }
        let topic = uniqueName("cli-deadline")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        let b = cluster.bootstrapServers
        let send = try await runCLI("kafka-send", ["-b", b, "-t", topic], stdin: Data("a\nb\nc\n".utf8))
        #expect(send.status == 0, "\(send.stderr)")
        let (process, out, err) = try startCLI(
            "kafka-tail",
            [
                "-b", b, "-G", uniqueName("cli-deadline-group"), "-t", topic, "-o", "beginning",
                "--close-timeout", "\(closeTimeout)", "-X", "session.timeout.ms=6000",
            ]
        )
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // What kafka-tail printed before the broker goes.
        let printed = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var text = ""
                while text.split(separator: "\n").count < 3 {
                    let chunk = readChunk(out.fileHandleForReading)
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }
        }
        try await cluster.setBrokerDown(1)
        try await body(process, cluster)
        return (await finish(process, out, err, timeout: .seconds(90)), printed)
    }

    @Test(
        "with its broker gone, kafka-tail -G ends within --close-timeout of SIGTERM",
        .tags(.mockOnly)
    )
    func sigtermWithBrokerGone() async throws {
        let start = Mutex<ContinuousClock.Instant?>(nil)
        let (result, printed) = try await tailWithBrokerGone(closeTimeout: 2) { process, _ in
            start.withLock { $0 = .now }
            signal(process, SIGTERM)
        }
        let elapsed = ContinuousClock.now - (start.withLock { $0 } ?? .now)
        #expect(printed == "a\nb\nc\n")
        #expect(result.status == 0, "\(result.stderr)")
        // librdkafka's own close waited for the coordinator for over 90 s here.
        #expect(elapsed < .seconds(12), "exited \(elapsed) after SIGTERM")
        #expect(result.stderr.contains("timedOut"), "\(result.stderr)")
    }

    @Test("with its broker gone, a second signal ends kafka-tail -G at once with status 130", .tags(.mockOnly))
    func secondSignal() async throws {
        let start = Mutex<ContinuousClock.Instant?>(nil)
        let (result, _) = try await tailWithBrokerGone(closeTimeout: 60) { process, _ in
            signal(process, SIGTERM)
            try await Task.sleep(for: .milliseconds(300))
            start.withLock { $0 = .now }
            signal(process, SIGINT)
        }
        let elapsed = ContinuousClock.now - (start.withLock { $0 } ?? .now)
        #expect(result.status == 130, "\(result.stderr)")
        #expect(elapsed < .seconds(10), "exited \(elapsed) after the second signal")
    }
}
