import Foundation
import Kafka
import KafkaTesting
import Testing

/// The SASL_SSL listener the environment names, and its CA (scripts/kafka-sasl-ssl.sh env).
enum SASLListener {
    static func fromEnvironment() -> (bootstrap: String, ca: String)? {
        let environment = ProcessInfo.processInfo.environment
        guard let bootstrap = environment["KAFKA_SASL_SSL_BOOTSTRAP_SERVERS"], !bootstrap.isEmpty,
            let ca = environment["KAFKA_SASL_SSL_CA"], !ca.isEmpty
        else { return nil }
        return (bootstrap, ca)
    }
}

/// SASL handshakes against a real broker's SASL_SSL listener (docker-compose.yml, set up by
/// scripts/kafka-sasl-ssl.sh): the embedded cluster answers no SASL handshake, so these run only where
/// `KAFKA_SASL_SSL_BOOTSTRAP_SERVERS` and `KAFKA_SASL_SSL_CA` name such a listener and its CA.
@Suite(
    "SASL over TLS against a real broker",
    .enabled(
        if: SASLListener.fromEnvironment() != nil,
        Comment(rawValue: "needs KAFKA_SASL_SSL_BOOTSTRAP_SERVERS and KAFKA_SASL_SSL_CA (scripts/kafka-sasl-ssl.sh)")
    ),
    .timeLimit(.minutes(2))
)
struct SASLTests {
    static var listener: (bootstrap: String, ca: String)? { SASLListener.fromEnvironment() }

    @Test("PLAIN over verified TLS: 50 messages round-trip in order")
    func plain() async throws {
        try await roundTrip(.plain(username: "alice", password: "alice-secret"))
    }

    @Test("SCRAM-SHA-512 over verified TLS: 50 messages round-trip in order")
    func scram() async throws {
        try await roundTrip(.scramSHA512(username: "alice", password: "alice-secret"))
    }

    func roundTrip(_ sasl: KafkaConfiguration.Security.SASL) async throws {
        let (bootstrap, ca) = try #require(Self.listener)
        let security = KafkaConfiguration.Security.sasl(sasl, tls: .init(caLocation: ca))
        let topic = uniqueName("sasl-\(sasl.mechanism.rawValue.lowercased())")
        try await secureRoundTrip(bootstrap, topic, security, count: 50, prefix: "sasl")
    }

    @Test("a wrong password fails the send within its timeout with an authentication error")
    func wrongPassword() async throws {
        let (bootstrap, ca) = try #require(Self.listener)
        var config = KafkaProducerConfiguration(bootstrapServers: [bootstrap])
        config.security = .sasl(.scramSHA512(username: "alice", password: "wrong"), tls: .init(caLocation: ca))
        config.messageTimeout = .seconds(5)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: uniqueName("sasl-denied"), value: "x"))
        }
        #expect(error?.message.contains("Authentication failed") == true, "\(String(describing: error))")
        await producer.close()
    }
}
