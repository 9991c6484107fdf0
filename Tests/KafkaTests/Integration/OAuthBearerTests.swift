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

    func producer(_ cluster: any KafkaTestCluster, _ oauth: KafkaConfiguration.Security.OAuthBearer) throws
        -> KafkaProducer
    {
        var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        config.security = .sasl(.oauthBearer(oauth), tls: nil)
        config.closeTimeout = .seconds(1)
        return try KafkaProducer(configuration: config, logger: quietLogger)
    }

    /// A consumer whose events are collected; its errors' messages are returned by `errors()`.
    func consumer(_ cluster: any KafkaTestCluster, _ oauth: KafkaConfiguration.Security.OAuthBearer) throws
        -> (KafkaConsumer, Task<[String], Never>)
    {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            consumptionStrategy: .group(id: uniqueName("oauth"), topics: [uniqueName("oauth-topic")])
        )
        config.security = .sasl(.oauthBearer(oauth), tls: nil)
        config.closeTimeout = .seconds(1)
        let consumer = try KafkaConsumer(configuration: config, logger: quietLogger)
        let errors = Task {
            var messages: [String] = []
            for await event in consumer.events {
                if case .error(let error) = event { messages.append(error.message) }
            }
            return messages
        }
        return (consumer, errors)
    }

    @Test("the provider is asked before the first connection and again as each token nears its expiry")
    func refreshes() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let calls = Calls()
            let producer = try producer(
                cluster,
                .tokenProvider {
                    let n = calls.record()
                    return .init(value: "token-\(n)", lifetime: .seconds(2), principal: "service-a")
                }
            )
            try await waitUntil("the first token is asked for", timeout: .seconds(10)) { calls.count >= 1 }
            try await waitUntil("two more tokens are asked for, one per lifetime", timeout: .seconds(15)) {
                calls.count >= 3
            }
            await producer.close()
            let times = calls.times.withLock { $0 }
            // Each refresh comes late in the previous token's life (librdkafka: at 80 %, checked every second),
            // not in a loop.
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(later - earlier >= .milliseconds(900), "refreshed \(later - earlier) after the last token")
                #expect(later - earlier <= .seconds(4), "refreshed \(later - earlier) after a 2 s token")
            }
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
            try await waitUntil("the provider is asked", timeout: .seconds(10)) { calls.count >= 1 }
            await consumer.close()
            let messages = await errors.value
            #expect(
                messages.contains { $0.contains("OAUTHBEARER") && $0.contains("identity service down") },
                "errors seen: \(messages)"
            )
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
            try await Task.sleep(for: .seconds(2))
            await consumer.close()
            let messages = await errors.value
            #expect(messages.contains { $0.contains("did not answer within") }, "errors seen: \(messages)")
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
            try await Task.sleep(for: .seconds(2))
            await consumer.close()
            let messages = await errors.value
            #expect(messages.contains { $0.contains("refused the provider's token") }, "errors seen: \(messages)")
        }
    }
}
