extension KafkaConfiguration.Security {
    /// Where SASL/OAUTHBEARER tokens come from: your own async provider, or librdkafka's OIDC client-credentials
    /// flow.
    ///
    /// ```swift
    /// let sasl = KafkaConfiguration.Security.SASL.oauthBearer(
    ///     .tokenProvider { try await identityService.kafkaToken() }  // your code: returns a Token
    /// )
    /// configuration.security = .sasl(sasl, tls: .init(caLocation: "/etc/ssl/certs/ca.pem"))
    /// ```
    public struct OAuthBearer: Sendable {
        /// A token, as a provider returns it.
        public struct Token: Sendable {
            /// The token itself (usually a JWT), sent to the broker as is.
            public var value: String
            /// How long from now the token is valid. librdkafka asks for a new one 80 % of the way through.
            public var lifetime: Duration
            /// The principal the token identifies (`sub` in a JWT).
            public var principal: String
            /// SASL extensions sent with it (RFC 7628), e.g. a logical cluster or pool id. `auth` is reserved; keys
            /// are letters only, values printable ASCII.
            public var extensions: [String: String]

            /// A token valid for `lifetime` from now.
            public init(value: String, lifetime: Duration, principal: String, extensions: [String: String] = [:]) {
                self.value = value
                self.lifetime = lifetime
                self.principal = principal
                self.extensions = extensions
            }
        }

        /// Returns a fresh token; called before the first connection and again before each token expires.
        public typealias Provider = @Sendable () async throws -> Token

        enum Kind: Sendable {
            case provider(Provider, timeout: Duration)
            case oidc(OIDC)
        }

        struct OIDC: Sendable {
            var clientID: String
            var clientSecret: String
            var tokenEndpoint: String
            var scope: String?
            var extensions: [String: String]
        }

        let kind: Kind

        /// Tokens from `provider`, which librdkafka asks for before the first connection and again 80 % of the way
        /// through each token's lifetime.
        ///
        /// A provider that throws, or does not answer within `timeout`, fails that refresh: librdkafka reports an
        /// authentication error (``KafkaConsumerEvent/error(_:)`` on a consumer, and the client's log), keeps
        /// the previous token while it is valid, and asks again 10 s later.
        ///
        /// - Important: The provider runs in a task of its own, never on the client's poll thread.
        public static func tokenProvider(timeout: Duration = .seconds(30), _ provider: @escaping Provider)
            -> OAuthBearer
        {
            OAuthBearer(kind: .provider(provider, timeout: timeout))
        }

        /// librdkafka fetches tokens itself with the OIDC client-credentials grant (`sasl.oauthbearer.method=oidc`)
        /// from `tokenEndpoint`.
        public static func oidc(
            clientID: String,
            clientSecret: String,
            tokenEndpoint: String,
            scope: String? = nil,
            extensions: [String: String] = [:]
        ) -> OAuthBearer {
            OAuthBearer(
                kind: .oidc(
                    OIDC(
                        clientID: clientID,
                        clientSecret: clientSecret,
                        tokenEndpoint: tokenEndpoint,
                        scope: scope,
                        extensions: extensions
                    )
                )
            )
        }

        /// The provider and its timeout, when tokens come from one.
        var provider: (Provider, timeout: Duration)? {
            if case .provider(let provider, let timeout) = kind { return (provider, timeout) }
            return nil
        }

        var properties: [(String, String)] {
            switch kind {
            case .provider:
                return []
            case .oidc(let oidc):
                var p: [(String, String)] = [
                    ("sasl.oauthbearer.method", "oidc"),
                    ("sasl.oauthbearer.client.id", oidc.clientID),
                    ("sasl.oauthbearer.client.secret", oidc.clientSecret),
                    ("sasl.oauthbearer.token.endpoint.url", oidc.tokenEndpoint),
                ]
                if let scope = oidc.scope { p.append(("sasl.oauthbearer.scope", scope)) }
                if !oidc.extensions.isEmpty {
                    let list = oidc.extensions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    p.append(("sasl.oauthbearer.extensions", list.joined(separator: ",")))
                }
                return p
            }
        }
    }
}

extension KafkaConfiguration.Security.OAuthBearer: CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var customMirror: Mirror {
        switch kind {
        case .provider(_, let timeout):
            return Mirror(self, children: ["method": "token provider", "timeout": timeout])
        case .oidc(let oidc):
            return Mirror(
                self,
                children: [
                    "method": "oidc",
                    "clientID": oidc.clientID,
                    "clientSecret": Redaction.redacted(oidc.clientSecret) as Any,
                    "tokenEndpoint": oidc.tokenEndpoint,
                    "scope": oidc.scope as Any,
                    "extensions": oidc.extensions.keys.sorted(),
                ]
            )
        }
    }

    /// The method and its settings, with the client secret redacted (extension values left out).
    public var description: String { Redaction.describe(customMirror, as: "OAuthBearer") }
    public var debugDescription: String { description }
}

extension KafkaConfiguration.Security.OAuthBearer.Token: CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "value": Redaction.redacted(value) as Any,
                "lifetime": lifetime,
                "principal": principal,
                "extensions": extensions.keys.sorted(),
            ]
        )
    }

    /// The token's principal and lifetime; its value is redacted.
    public var description: String { Redaction.describe(customMirror, as: "Token") }
    public var debugDescription: String { description }
}
