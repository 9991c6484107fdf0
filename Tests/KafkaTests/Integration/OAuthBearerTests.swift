import Kafka
import KafkaTesting
import Synchronization
import Testing

/// The OAUTHBEARER token provider's mechanics: librdkafka asks for tokens even where no broker checks them (the
/// embedded cluster has no SASL), so when the provider is called, and how its failures surface, is proven here;
/// a broker accepting the token is proven against a SASL_SSL listener (see docker-compose.yml).
@Suite("OAUTHBEARER token provider", .timeLimit(.minutes(2)))
struct OAuthBearerTests {
    struct ProviderDown: Error, CustomStringConvertible {
        var description: String { "identity service down" }
    }

    /// When each call came, and what to answer.
    final class Calls: Sendable {
        let times = Mutex<[ContinuousClock.Instant]>([])
        var count: Int { times.withLock { $0.count } }
        func record() -> Int {
            times.withLock {
                $0.append(.now)
                return $0.count
            }
        }
    }

    /// Error messages of a consumer's events, as they come.
    final class ErrorLog: Sendable {
        let messages = Mutex<[String]>([])
        func contains(_ predicate: (String) -> Bool) -> Bool { messages.withLock { $0.contains(where: predicate) } }
    }

    /// A consumer whose error events are collected in the returned log.
    func consumer(_ cluster: any KafkaTestCluster, _ oauth: KafkaConfiguration.Security.OAuthBearer) throws
        -> (KafkaConsumer, ErrorLog)
    {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            consumptionStrategy: .group(id: uniqueName("oauth"), topics: [uniqueName("oauth-topic")])
        )
        config.security = .sasl(.oauthBearer(oauth), tls: nil)
        config.closeTimeout = .seconds(1)
        let consumer = try KafkaConsumer(configuration: config, logger: quietLogger)
        let log = ErrorLog()
        Task {
            for await event in consumer.events {
                if case .error(let error) = event { log.messages.withLock { $0.append(error.message) } }
            }
        }
        return (consumer, log)
    }

    @Test("the provider is asked before the first connection and again as each token nears its expiry")
    func refreshes() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let calls = Calls()
            let (consumer, errors) = try consumer(
                cluster,
                .tokenProvider {
                    let n = calls.record()
                    return .init(value: "token-\(n)", lifetime: .seconds(2), principal: "service-a")
                }
            )
            try await waitUntil("three tokens are asked for, one per lifetime") { calls.count >= 3 }
            await consumer.close()
            let times = calls.times.withLock { $0 }
            let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
            // Late in each token's life (librdkafka: at 80 %, checked every second), not in a loop...
            #expect(gaps.allSatisfy { $0 >= .milliseconds(900) }, "gaps: \(gaps)")
            // ...and before it expired: a failed refresh would be retried only after 10 s, and be reported.
            #expect(gaps.min().map { $0 < .seconds(8) } == true, "gaps: \(gaps)")
            #expect(!errors.contains { $0.contains("Failed to acquire") }, "\(errors.messages.withLock { $0 })")
        }
    }

    @Test("a provider that throws is reported as an authentication error naming its error")
    func providerFailure() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let calls = Calls()
            let (consumer, errors) = try consumer(
                cluster,
                .tokenProvider {
                    _ = calls.record()
                    throw ProviderDown()
                }
            )
            try await waitUntil("an authentication error naming the provider's error") {
                errors.contains { $0.contains("OAUTHBEARER") && $0.contains("identity service down") }
            }
            #expect(calls.count >= 1)
            await consumer.close()
        }
    }

    @Test("a provider that does not answer within its timeout fails the refresh, naming the timeout")
    func providerTimeout() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let (consumer, errors) = try consumer(
                cluster,
                .tokenProvider(timeout: .milliseconds(300)) {
                    try await Task.sleep(for: .seconds(60))
                    return .init(value: "late", lifetime: .seconds(60), principal: "late")
                }
            )
            try await waitUntil("an authentication error naming the timeout") {
                errors.contains { $0.contains("did not answer within") }
            }
            await consumer.close()
        }
    }

    @Test("a token librdkafka refuses (the reserved extension key auth) is reported, not sent")
    func refusedToken() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let (consumer, errors) = try consumer(
                cluster,
                .tokenProvider {
                    .init(value: "t", lifetime: .seconds(60), principal: "svc", extensions: ["auth": "x"])
                }
            )
            try await waitUntil("an authentication error saying the token was refused") {
                errors.contains { $0.contains("refused the provider's token") }
            }
            await consumer.close()
        }
    }
}
