import Foundation
import Kafka
import KafkaTesting
import Testing

/// Real TLS to the embedded cluster through a terminator in front of each broker (`TLSTerminator`): verification
/// of the broker against a CA and of its host name, mutual TLS with an encrypted client key, and each failure as an
/// error that says which. Against a real broker the same settings are tested on the SASL_SSL listener of
/// docker-compose.yml.
@Suite(
    "TLS to the embedded cluster",
    .tags(.mockOnly),
    .enabled(if: TLSTerminator.unavailableReason == nil, Comment(rawValue: TLSTerminator.unavailableReason ?? "")),
    .timeLimit(.minutes(2))
)
struct TLSTests {
    /// An embedded cluster with one broker behind TLS, and a topic; `body` gets the terminator's bootstrap list.
    func withTLSCluster(
        certificate: (TLSTerminator.Certificates) -> String? = { _ in nil },
        requireClientCertificate: Bool = false,
        _ body: (TLSTerminator.Certificates, String, String) async throws -> Void
    ) async throws {
        let certificates = try await TLSTerminator.Certificates.generate()
        defer { certificates.remove() }
        let cluster = try EmbeddedCluster(brokers: 1)
        let topic = uniqueName("tls")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        let terminator = try await TLSTerminator(
            cluster: cluster,
            certificates: certificates,
            certificate: certificate(certificates),
            requireClientCertificate: requireClientCertificate
        )
        defer { terminator.stop() }
        try await body(certificates, terminator.bootstrapServers, topic)
    }

    func roundTrip(_ bootstrap: String, _ topic: String, _ security: KafkaConfiguration.Security, count: Int)
        async throws
    {
        try await secureRoundTrip(bootstrap, topic, security, count: count, prefix: "tls")
    }

    /// A producer over `security` whose one message must fail within its timeout; returns the error.
    func failedSend(_ bootstrap: String, _ topic: String, _ security: KafkaConfiguration.Security) async throws
        -> KafkaError?
    {
        var config = KafkaProducerConfiguration(bootstrapServers: [bootstrap])
        config.security = security
        config.messageTimeout = .seconds(2)
        config.closeTimeout = .seconds(1)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: topic, value: "never delivered"))
        }
        #expect(ContinuousClock.now - start < .seconds(10), "the failure took \(ContinuousClock.now - start)")
        await producer.close()
        return error
    }

    @Test("the broker is verified against the CA and its host name; 200 messages round-trip in order")
    func serverVerification() async throws {
        try await withTLSCluster { certificates, bootstrap, topic in
            try await roundTrip(bootstrap, topic, .tls(.init(caLocation: certificates.ca)), count: 200)
        }
    }

    @Test("the CA and the client's certificate and encrypted key work from memory (PEM) too")
    func inMemoryPEM() async throws {
        try await withTLSCluster(requireClientCertificate: true) { certificates, bootstrap, topic in
            let tls = KafkaConfiguration.Security.TLS(
                keyPassword: certificates.clientKeyPassword,
                caPEM: try String(contentsOfFile: certificates.ca, encoding: .utf8),
                certificatePEM: try String(contentsOfFile: certificates.clientCertificate, encoding: .utf8),
                keyPEM: try String(contentsOfFile: certificates.clientKey, encoding: .utf8)
            )
            try await roundTrip(bootstrap, topic, .tls(tls), count: 50)
        }
    }

    @Test("mutual TLS: a client certificate with an encrypted key is accepted; 100 messages round-trip")
    func mutualTLS() async throws {
        try await withTLSCluster(requireClientCertificate: true) { certificates, bootstrap, topic in
            let tls = KafkaConfiguration.Security.TLS(
                caLocation: certificates.ca,
                certificateLocation: certificates.clientCertificate,
                keyLocation: certificates.clientKey,
                keyPassword: certificates.clientKeyPassword
            )
            try await roundTrip(bootstrap, topic, .tls(tls), count: 100)
        }
    }

    @Test("a broker certificate from an unknown CA fails the send within its timeout, saying so")
    func unknownCA() async throws {
        try await withTLSCluster { certificates, bootstrap, topic in
            let error = try await failedSend(bootstrap, topic, .tls(.init(caLocation: certificates.otherCA)))
            #expect(error?.code == .messageTimedOut)
            #expect(error?.message.contains("not signed by a trusted CA") == true, "\(String(describing: error))")
        }
    }

    @Test("a broker certificate for another host name fails, saying so; verifyHostname = false accepts it")
    func wrongHostName() async throws {
        try await withTLSCluster(certificate: { $0.wrongHostCertificate }) { certificates, bootstrap, topic in
            let error = try await failedSend(bootstrap, topic, .tls(.init(caLocation: certificates.ca)))
            #expect(
                error?.message.contains("not valid for the host name localhost") == true,
                "\(String(describing: error))"
            )
            try await roundTrip(
                bootstrap,
                topic,
                .tls(.init(caLocation: certificates.ca, verifyHostname: false)),
                count: 10
            )
        }
    }

    @Test("a broker that requires a client certificate refuses a client without one, saying so")
    func missingClientCertificate() async throws {
        try await withTLSCluster(requireClientCertificate: true) { certificates, bootstrap, topic in
            let error = try await failedSend(bootstrap, topic, .tls(.init(caLocation: certificates.ca)))
            #expect(error?.message.contains("requires a client certificate") == true, "\(String(describing: error))")
        }
    }

    @Test("a wrong password for the client key is a configuration error at creation, naming the key")
    func badKeyPassword() async throws {
        try await withTLSCluster(requireClientCertificate: true) { certificates, bootstrap, _ in
            var config = KafkaProducerConfiguration(bootstrapServers: [bootstrap])
            config.security = .tls(
                .init(
                    caLocation: certificates.ca,
                    certificateLocation: certificates.clientCertificate,
                    keyLocation: certificates.clientKey,
                    keyPassword: "not-the-password"
                )
            )
            let error = try #require(throws: KafkaError.self) {
                _ = try KafkaProducer(configuration: config, logger: quietLogger)
            }
            #expect(error.code == .invalidConfiguration)
            #expect(error.configurationKey == "ssl.key.location")
            #expect(error.message.contains("wrong key password"), "\(error)")
            #expect(!error.description.contains("not-the-password"))
        }
    }

    @Test("a consumer group member whose TLS fails reports it as an event, saying which check failed")
    func consumerEvent() async throws {
        try await withTLSCluster { certificates, bootstrap, topic in
            var config = KafkaConsumerConfiguration(
                bootstrapServers: [bootstrap],
                consumptionStrategy: .group(id: uniqueName("tls-group"), topics: [topic])
            )
            config.security = .tls(.init(caLocation: certificates.otherCA))
            config.closeTimeout = .seconds(1)
            let consumer = try KafkaConsumer(configuration: config, logger: quietLogger)
            let seen = await withTaskGroup(of: String?.self) { group in
                group.addTask {
                    for await event in consumer.events {
                        if case .error(let error) = event, error.message.contains("not signed by a trusted CA") {
                            return error.message
                        }
                    }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(15))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            #expect(seen != nil, "no error event named the untrusted CA within 15 s")
            await consumer.close()
        }
    }
}
