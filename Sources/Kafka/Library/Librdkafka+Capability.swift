internal import CLibrdkafka

extension Librdkafka {
    /// Something only some librdkafka versions can do, detected in the librdkafka loaded at run time (by the
    /// properties it accepts or the functions it exports), never assumed from the headers the package was built
    /// with.
    ///
    /// ```swift
    /// guard Librdkafka.supports(.consumerGroupProtocol) else {
    ///     print(Librdkafka.Capability.consumerGroupProtocol.unavailableReason ?? "")
    ///     return
    /// }
    /// ```
    public struct Capability: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable, CaseIterable {
            case consumerGroupProtocol
            case incrementalAlterConfigs
            case tls
            case oauthBearerOIDC
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The consumer group protocol of KIP-848 (`group.protocol=consumer`): the broker assigns partitions, and
        /// a rebalance moves only the partitions that change owner, without stopping the group. librdkafka 2.4
        /// introduced it as early access and made it production-ready in 2.12; the broker must support it too
        /// (Apache Kafka 4.0 and later). See ``KafkaConsumerConfiguration/groupProtocol``.
        public static let consumerGroupProtocol = Capability(.consumerGroupProtocol)

        /// `IncrementalAlterConfigs` (librdkafka 2.2 and later): changes only the configuration entries given,
        /// where the older `AlterConfigs` resets every entry not given.
        public static let incrementalAlterConfigs = Capability(.incrementalAlterConfigs)

        /// TLS connections (`security.protocol=ssl`, `sasl_ssl`): librdkafka built with OpenSSL.
        public static let tls = Capability(.tls)

        /// OAUTHBEARER tokens fetched by librdkafka itself with OIDC
        /// (``KafkaConfiguration/Security/OAuthBearer/oidc(clientID:clientSecret:tokenEndpoint:scope:extensions:)``):
        /// librdkafka 1.9 or later built with libcurl. Debian 12's 2.0.2 is built without it; a
        /// ``KafkaConfiguration/Security/OAuthBearer/tokenProvider(timeout:_:)`` works everywhere.
        public static let oauthBearerOIDC = Capability(.oauthBearerOIDC)

        /// Every capability this package knows of.
        static let all = Base.allCases.map(Capability.init)

        /// The capability's name.
        public var description: String {
            switch base {
            case .consumerGroupProtocol: return "consumerGroupProtocol"
            case .incrementalAlterConfigs: return "incrementalAlterConfigs"
            case .tls: return "tls"
            case .oauthBearerOIDC: return "oauthBearerOIDC"
            }
        }

        /// What the capability needs, e.g. `librdkafka 2.12 or later`.
        public var requirement: String {
            switch base {
            case .consumerGroupProtocol:
                return "librdkafka 2.4 or later, production-ready from 2.12 (group.protocol=consumer)"
            case .incrementalAlterConfigs: return "librdkafka 2.2 or later (rd_kafka_IncrementalAlterConfigs)"
            case .tls: return "a librdkafka built with OpenSSL (security.protocol=ssl)"
            case .oauthBearerOIDC:
                return "librdkafka 1.9 or later built with libcurl (sasl.oauthbearer.method=oidc)"
            }
        }

        /// Why the running librdkafka lacks the capability, or `nil` when it has it.
        public var unavailableReason: String? {
            isAvailable ? nil : "\(self) needs \(requirement); this process runs librdkafka \(Librdkafka.version)"
        }

        /// Whether the running librdkafka has it (probed once, then cached).
        var isAvailable: Bool {
            Self.probed[base] ?? false
        }

        private static let probed: [Base: Bool] = {
            var result: [Base: Bool] = [:]
            for base in Base.allCases {
                switch base {
                case .consumerGroupProtocol:
                    result[base] = Librdkafka.acceptsProperty("group.protocol", "consumer")
                case .incrementalAlterConfigs:
                    result[base] = RuntimeSymbols.address(of: "rd_kafka_IncrementalAlterConfigs") != nil
                case .tls:
                    result[base] = Librdkafka.acceptsProperty("security.protocol", "ssl")
                case .oauthBearerOIDC:
                    result[base] = Librdkafka.acceptsProperty("sasl.oauthbearer.method", "oidc")
                }
            }
            return result
        }()
    }
}

extension KafkaError {
    /// `capability` is missing from the running librdkafka; the message names it, what it needs and the version.
    package static func unsupported(
        _ capability: Librdkafka.Capability,
        _ what: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        KafkaError(
            code: .unsupported,
            message: "\(what) needs \(capability.requirement); this process runs librdkafka \(Librdkafka.version)",
            file: file,
            line: line
        )
    }
}
