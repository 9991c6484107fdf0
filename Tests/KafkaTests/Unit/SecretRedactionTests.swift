import Kafka
import Logging
import Testing

/// No configuration type and no configuration error shows a secret, however Swift renders it.
@Suite("Secrets are never printed")
struct SecretRedactionTests {
    static let secrets = [
        "S3cr3t-sasl", "S3cr3t-key", "S3cr3t-store", "S3cr3t-oauth", "S3cr3t-pem", "S3cr3t-jaas", "S3cr3t-bearer",
        "S3cr3t-token", "S3cr3t-oidc", "S3cr3t-keypem",
    ]

    static let overrides = [
        "ssl.keystore.password": "S3cr3t-store",
        "sasl.oauthbearer.client.secret": "S3cr3t-oauth",
        "ssl.key.pem": "-----BEGIN PRIVATE KEY-----S3cr3t-pem",
        "sasl.kerberos.jaas.config": "S3cr3t-jaas",
        "sasl.oauthbearer.config": "principal=alice secret=S3cr3t-bearer",
        "socket.timeout.ms": "61000",
    ]

    static let security = KafkaConfiguration.Security.sasl(
        .init(mechanism: .scramSHA512, username: "alice", password: "S3cr3t-sasl"),
        tls: .init(caLocation: "/etc/ca.pem", keyLocation: "/etc/key.pem", keyPassword: "S3cr3t-key")
    )

    /// Every way Swift renders a value: interpolation, `description`, `debugDescription`, `dump`, and each
    /// value reachable through `Mirror`, recursively.
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        var result = ["\(value)", String(describing: value), String(reflecting: value), dumped]
        func walk(_ value: Any, depth: Int) {
            guard depth < 12 else { return }
            let mirror = Mirror(reflecting: value)
            if mirror.children.isEmpty {
                result.append(String(describing: value))
                result.append(String(reflecting: value))
            }
            for child in mirror.children { walk(child.value, depth: depth + 1) }
        }
        walk(value, depth: 0)
        return result
    }

    static func expectNoSecret(_ value: Any, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for rendering in renderings(value) {
            for secret in secrets {
                #expect(
                    !rendering.contains(secret),
                    "\(what) shows \(secret): \(rendering)",
                    sourceLocation: sourceLocation
                )
            }
        }
    }

    @Test("consumer, producer and admin configurations, their security settings and properties redact every secret")
    func configurations() {
        var consumer = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        consumer.security = Self.security
        consumer.librdkafkaOverrides = Self.overrides
        var producer = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        producer.security = .tls(.init(keyPassword: "S3cr3t-key"))
        producer.librdkafkaOverrides = Self.overrides
        let admin = KafkaAdminClient(
            bootstrapServers: ["localhost:9092"],
            security: Self.security,
            librdkafkaOverrides: Self.overrides,
            logger: Logger(label: "t")
        )
        Self.expectNoSecret(consumer, "consumer configuration")
        Self.expectNoSecret(producer, "producer configuration")
        Self.expectNoSecret(admin, "admin client")
        Self.expectNoSecret(Self.security, "security")
        Self.expectNoSecret(consumer.effectiveProperties, "consumer properties")
        Self.expectNoSecret(producer.effectiveProperties, "producer properties")
        // What is not secret still shows, so the descriptions stay useful.
        #expect(consumer.description.contains("alice"))
        #expect(consumer.description.contains("socket.timeout.ms"))
        #expect(consumer.description.contains("<redacted>"))
        #expect(String(reflecting: producer).contains("localhost:9092"))
        #expect(consumer.effectiveProperties["sasl.password"] == "<redacted>")
        #expect(consumer.effectiveProperties["sasl.username"] == "alice")
    }

    @Test("OAUTHBEARER settings, tokens and in-memory keys redact their secrets")
    func oauthBearerAndPEM() {
        let oidc = KafkaConfiguration.Security.sasl(
            .oauthBearer(
                .oidc(
                    clientID: "svc",
                    clientSecret: "S3cr3t-oidc",
                    tokenEndpoint: "https://idp.example/token",
                    scope: "kafka"
                )
            ),
            tls: .init(caPEM: "-----BEGIN CERTIFICATE-----", keyPEM: "-----BEGIN KEY-----S3cr3t-keypem")
        )
        let provider = KafkaConfiguration.Security.sasl(
            .oauthBearer(.tokenProvider { .init(value: "S3cr3t-token", lifetime: .seconds(60), principal: "svc") }),
            tls: nil
        )
        let token = KafkaConfiguration.Security.OAuthBearer.Token(
            value: "S3cr3t-token",
            lifetime: .seconds(60),
            principal: "svc",
            extensions: ["pool": "p1"]
        )
        var consumer = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        consumer.security = oidc
        var producer = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        producer.security = provider
        Self.expectNoSecret(oidc, "OIDC security")
        Self.expectNoSecret(provider, "token-provider security")
        Self.expectNoSecret(token, "token")
        Self.expectNoSecret(consumer, "consumer configuration with OIDC")
        Self.expectNoSecret(consumer.effectiveProperties, "consumer properties with OIDC")
        Self.expectNoSecret(producer, "producer configuration with a token provider")
        #expect(String(describing: token).contains("svc"))
        #expect(String(describing: oidc).contains("https://idp.example/token"))
        #expect(consumer.effectiveProperties["sasl.oauthbearer.method"] == "oidc")
        #expect(consumer.effectiveProperties["sasl.oauthbearer.client.secret"] == "<redacted>")
        #expect(consumer.effectiveProperties["sasl.oauthbearer.token.endpoint.url"] == "https://idp.example/token")
        #expect(consumer.effectiveProperties["ssl.key.pem"] == "<redacted>")
    }

    @Test("a configuration error about a secret key names the key, never the value")
    func errors() throws {
        var consumer = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        consumer.librdkafkaOverrides = ["sasl.oauthbearer.client.secretx": "S3cr3t-oauth"]
        let error = try #require(throws: KafkaError.self) { try consumer.validate() }
        #expect(error.code == .invalidConfiguration)
        #expect(error.configurationKey == "sasl.oauthbearer.client.secretx")
        Self.expectNoSecret(error, "configuration error")
        var producer = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        producer.librdkafkaOverrides = ["ssl.key.passwordx": "S3cr3t-key"]
        let producerError = try #require(throws: KafkaError.self) { try producer.validate() }
        #expect(producerError.configurationKey == "ssl.key.passwordx")
        Self.expectNoSecret(producerError, "configuration error")
    }
}
