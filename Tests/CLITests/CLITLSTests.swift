import Foundation
import KafkaTesting
import Testing

/// `kafka-send | kafka-tail` over real TLS (a terminator in front of the embedded cluster), with kcat's `-X`
/// settings, and a TLS failure reported as what it is.
@Suite(
    "CLIs over TLS",
    .tags(.mockOnly),
    .enabled(if: TLSTerminator.unavailableReason == nil, Comment(rawValue: TLSTerminator.unavailableReason ?? "")),
    .timeLimit(.minutes(2))
)
struct CLITLSTests {
    @Test(
        "500 lines round-trip over TLS with -X security.protocol=ssl -X ssl.ca.location=...; an unknown CA fails, saying so"
    )
    func roundTrip() async throws {
        let certificates = try await TLSTerminator.Certificates.generate()
        defer { certificates.remove() }
        let cluster = try EmbeddedCluster(brokers: 1)
        let topic = uniqueName("cli-tls")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        let terminator = try await TLSTerminator(cluster: cluster, certificates: certificates)
        defer { terminator.stop() }
        let b = terminator.bootstrapServers
        let tls = ["-X", "security.protocol=ssl", "-X", "ssl.ca.location=\(certificates.ca)"]
        let lines = (0..<500).map { "over tls \($0)" }
        let send = try await runCLI(
            "kafka-send",
            ["-b", b, "-t", topic] + tls,
            stdin: Data((lines.joined(separator: "\n") + "\n").utf8)
        )
        #expect(send.status == 0, "\(send.stderr)")
        let tail = try await runCLI("kafka-tail", ["-b", b, "-t", topic, "-o", "beginning", "-e"] + tls)
        #expect(tail.status == 0, "\(tail.stderr)")
        #expect(tail.stdout.split(separator: "\n").map(String.init) == lines)

        let untrusted = ["-X", "security.protocol=ssl", "-X", "ssl.ca.location=\(certificates.otherCA)"]
        let refused = try await runCLI(
            "kafka-send",
            ["-b", b, "-t", topic, "-X", "message.timeout.ms=2000"] + untrusted,
            stdin: Data("never delivered\n".utf8),
            timeout: .seconds(30)
        )
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("not signed by a trusted CA"), "\(refused.stderr)")
    }
}
