internal import CLibrdkafka
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// SASL/OAUTHBEARER tokens from the user's provider. librdkafka asks for one (on the polling thread) before the first
// connection and 80 % of the way through each token's lifetime; the provider runs in a task of its own, under its
// timeout, and its answer reaches librdkafka from there (`rd_kafka_oauthbearer_set_token` may be called from any
// thread).
extension RDKafkaClient {
    typealias TokenProvider = KafkaConfiguration.Security.OAuthBearer.Provider
    typealias Token = KafkaConfiguration.Security.OAuthBearer.Token

    /// Installs the refresh callback on `conf` (before `rd_kafka_new`).
    static func installTokenRefresh(on conf: OpaquePointer) {
        rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf) { rk, _, _ in
            RDKafkaCallbacks.from(rk)?.tokenRefreshRequested()
        }
    }

    /// Runs `provider` for a new token and hands the outcome to librdkafka. Returns at once.
    func refreshToken(with provider: @escaping TokenProvider, timeout: Duration) {
        Task.detached { [self] in
            let outcome = await Self.run(provider, timeout: timeout)
            guard self.guard.enter() else { return }  // closed meanwhile: nobody needs the token
            defer { self.guard.exit() }
            switch outcome {
            case .success(let token):
                setToken(token)
            case .failure(let error):
                tokenFailed("the token provider failed: \(error)")
            }
        }
    }

    private static func run(_ provider: @escaping TokenProvider, timeout: Duration) async -> Result<Token, any Error> {
        await withTaskGroup(of: Result<Token, any Error>?.self) { group in
            group.addTask {
                do {
                    return .success(try await provider())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
                ?? .failure(
                    KafkaError(code: .timedOut, message: "the token provider did not answer within \(timeout)")
                )
        }
    }

    /// Caller entered the guard.
    private func setToken(_ token: Token) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let expiry = Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000 + token.lifetime.kafkaMilliseconds
        let pairs = token.extensions.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        let copies = pairs.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var errstr = [CChar](repeating: 0, count: 512)
        let error = copies.map { UnsafePointer<CChar>($0) }.withUnsafeBufferPointer { extensions in
            var list = Array(extensions)
            return list.withUnsafeMutableBufferPointer { list in
                rd_kafka_oauthbearer_set_token(
                    pointer,
                    token.value,
                    expiry,
                    token.principal,
                    list.baseAddress,
                    list.count,
                    &errstr,
                    errstr.count
                )
            }
        }
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug("OAUTHBEARER token set for \(token.principal), valid for \(token.lifetime)")
        } else {
            tokenFailed("librdkafka refused the provider's token: \(String(nulTerminated: errstr))")
        }
    }

    /// Caller entered the guard. librdkafka reports the failure as an authentication error and asks again in 10 s.
    private func tokenFailed(_ reason: String) {
        logger.error("OAUTHBEARER token refresh failed: \(reason)")
        _ = rd_kafka_oauthbearer_set_token_failure(pointer, reason)
    }
}
