public import CoreMetrics

/// Types shared by ``KafkaProducer/Configuration`` and ``KafkaConsumer/Configuration``.
public enum KafkaConfiguration {
    /// Reporting through swift-metrics (see the Observability article for every metric's name and dimensions).
    ///
    /// Most metrics come from librdkafka's statistics, read every `statisticsInterval` (5 s when metrics are on
    /// and no interval is set); delivery outcomes, commits and rebalances are counted as they happen, per batch,
    /// never per message.
    public struct Metrics: Sendable {
        /// The first part of every metric's label. Default `kafka`.
        public var labelPrefix: String
        /// Dimensions added to every metric, after `client_id`.
        public var dimensions: [(String, String)]
        /// Where the metrics go: the process's `MetricsSystem.factory` unless given (tests pass a
        /// `TestMetrics`).
        public var factory: (any MetricsFactory)?

        /// Metrics through `factory`, or the process's `MetricsSystem` when `nil`.
        public init(
            labelPrefix: String = "kafka",
            dimensions: [(String, String)] = [],
            factory: (any MetricsFactory)? = nil
        ) {
            self.labelPrefix = labelPrefix
            self.dimensions = dimensions
            self.factory = factory
        }
    }

    /// Acknowledgements the leader waits for before answering a produce request (`acks`).
    public struct Acks: Hashable, Sendable, CustomStringConvertible {
        /// The value librdkafka takes for `acks`.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// No acknowledgement (`acks=0`): fastest, messages may be lost silently.
        public static let none = Acks("0")
        /// The leader has written the message (`acks=1`).
        public static let leader = Acks("1")
        /// Every in-sync replica has the message (`acks=all`). Required by idempotence.
        public static let all = Acks("all")

        public var description: String { rawValue }
    }

    /// Compression codec for produced batches (`compression.codec`).
    public struct Compression: Hashable, Sendable, CustomStringConvertible {
        /// The codec's name as librdkafka takes it.
        public let codec: String
        /// The codec's level (`compression.level`), or `nil` for the codec's default.
        public let level: Int?
        private init(_ codec: String, level: Int? = nil) {
            self.codec = codec
            self.level = level
        }

        /// No compression.
        public static let none = Compression("none")
        /// gzip, at `level` 0...9 or the codec's default.
        public static func gzip(level: Int? = nil) -> Compression { Compression("gzip", level: level) }
        /// snappy (no levels).
        public static let snappy = Compression("snappy")
        /// lz4, at `level` 0...12 or the codec's default.
        public static func lz4(level: Int? = nil) -> Compression { Compression("lz4", level: level) }
        /// zstd, at `level` 1...12 (librdkafka's `compression.level` goes up to 12 for every codec) or the codec's
        /// default.
        public static func zstd(level: Int? = nil) -> Compression { Compression("zstd", level: level) }
        /// gzip at the codec's default level.
        public static let gzip = Compression.gzip()
        /// lz4 at the codec's default level.
        public static let lz4 = Compression.lz4()
        /// zstd at the codec's default level.
        public static let zstd = Compression.zstd()

        public var description: String { level.map { "\(codec)(level \($0))" } ?? codec }
    }

    /// How the client connects to brokers (`security.protocol` and the TLS / SASL settings).
    public struct Security: Sendable {
        /// TLS settings (`ssl.*`).
        public struct TLS: Sendable {
            /// `ssl.ca.location`: CA certificate file or directory used to verify the brokers.
            public var caLocation: String?
            /// `ssl.certificate.location`: the client's certificate, for mutual TLS.
            public var certificateLocation: String?
            /// `ssl.key.location`: the client's private key, for mutual TLS.
            public var keyLocation: String?
            /// `ssl.key.password`: the private key's password.
            public var keyPassword: String?
            /// `ssl.endpoint.identification.algorithm`: verify the broker's host name. Default `true`.
            public var verifyHostname: Bool
            /// `ssl.ca.pem`: CA certificates in PEM, in memory (instead of ``caLocation``).
            public var caPEM: String?
            /// `ssl.certificate.pem`: the client's certificate in PEM, in memory (instead of
            /// ``certificateLocation``).
            public var certificatePEM: String?
            /// `ssl.key.pem`: the client's private key in PEM, in memory (instead of ``keyLocation``). Never logged.
            public var keyPEM: String?

            /// TLS settings; with none given, the brokers are verified against the system's CA certificates.
            public init(
                caLocation: String? = nil,
                certificateLocation: String? = nil,
                keyLocation: String? = nil,
                keyPassword: String? = nil,
                verifyHostname: Bool = true,
                caPEM: String? = nil,
                certificatePEM: String? = nil,
                keyPEM: String? = nil
            ) {
                self.caLocation = caLocation
                self.certificateLocation = certificateLocation
                self.keyLocation = keyLocation
                self.keyPassword = keyPassword
                self.verifyHostname = verifyHostname
                self.caPEM = caPEM
                self.certificatePEM = certificatePEM
                self.keyPEM = keyPEM
            }
        }

        /// SASL settings (`sasl.*`).
        public struct SASL: Sendable {
            /// A SASL mechanism (`sasl.mechanism`).
            public struct Mechanism: Hashable, Sendable {
                /// The name librdkafka takes.
                public let rawValue: String
                private init(_ rawValue: String) { self.rawValue = rawValue }
                /// `PLAIN`: user name and password in the clear (use with TLS).
                public static let plain = Mechanism("PLAIN")
                /// `SCRAM-SHA-256`.
                public static let scramSHA256 = Mechanism("SCRAM-SHA-256")
                /// `SCRAM-SHA-512`.
                public static let scramSHA512 = Mechanism("SCRAM-SHA-512")
                /// `GSSAPI` (Kerberos).
                public static let gssapi = Mechanism("GSSAPI")
                /// `OAUTHBEARER`.
                public static let oauthBearer = Mechanism("OAUTHBEARER")
            }

            /// `sasl.mechanism`.
            public var mechanism: Mechanism
            /// `sasl.username`.
            public var username: String?
            /// `sasl.password`. Never logged.
            public var password: String?
            /// GSSAPI: `sasl.kerberos.service.name`, the brokers' Kerberos service name (librdkafka's default
            /// `kafka`).
            public var kerberosServiceName: String?
            /// GSSAPI: `sasl.kerberos.principal`, this client's principal.
            public var kerberosPrincipal: String?
            /// GSSAPI: `sasl.kerberos.keytab`, the keytab file holding the principal's key.
            public var kerberosKeytab: String?
            /// OAUTHBEARER: where tokens come from.
            public var oauthBearer: OAuthBearer?

            /// SASL with `mechanism`; prefer the factories (``plain(username:password:)``, ...), which set what
            /// each mechanism needs.
            public init(mechanism: Mechanism, username: String? = nil, password: String? = nil) {
                self.mechanism = mechanism
                self.username = username
                self.password = password
            }

            /// `PLAIN`: the user name and password are sent as they are (use it over TLS).
            public static func plain(username: String, password: String) -> SASL {
                SASL(mechanism: .plain, username: username, password: password)
            }

            /// `SCRAM-SHA-256`: the password is proven, never sent.
            public static func scramSHA256(username: String, password: String) -> SASL {
                SASL(mechanism: .scramSHA256, username: username, password: password)
            }

            /// `SCRAM-SHA-512`: the password is proven, never sent.
            public static func scramSHA512(username: String, password: String) -> SASL {
                SASL(mechanism: .scramSHA512, username: username, password: password)
            }

            /// `GSSAPI` (Kerberos) as `principal`, with its key from `keytab` (or the ticket cache when `nil`).
            public static func gssapi(principal: String, keytab: String? = nil, serviceName: String? = nil) -> SASL {
                var sasl = SASL(mechanism: .gssapi)
                sasl.kerberosPrincipal = principal
                sasl.kerberosKeytab = keytab
                sasl.kerberosServiceName = serviceName
                return sasl
            }

            /// `OAUTHBEARER` with tokens from `source`: your provider, or librdkafka's OIDC flow.
            public static func oauthBearer(_ source: OAuthBearer) -> SASL {
                var sasl = SASL(mechanism: .oauthBearer)
                sasl.oauthBearer = source
                return sasl
            }
        }

        enum Kind: Sendable {
            case plaintext
            case tls(TLS)
            case sasl(SASL, tls: TLS?)
        }

        let kind: Kind

        /// Unencrypted, unauthenticated (`security.protocol=plaintext`). The default.
        public static let plaintext = Security(kind: .plaintext)
        /// TLS (`security.protocol=ssl`).
        public static func tls(_ tls: TLS = TLS()) -> Security { Security(kind: .tls(tls)) }
        /// SASL authentication, over TLS when `tls` is given (`sasl_ssl`), else in the clear (`sasl_plaintext`).
        public static func sasl(_ sasl: SASL, tls: TLS? = TLS()) -> Security { Security(kind: .sasl(sasl, tls: tls)) }

        /// The OAUTHBEARER token provider, when one is configured.
        var tokenProvider: (OAuthBearer.Provider, timeout: Duration)? {
            if case .sasl(let sasl, _) = kind { return sasl.oauthBearer?.provider }
            return nil
        }

        var properties: [(String, String)] {
            func tlsProperties(_ tls: TLS) -> [(String, String)] {
                var p: [(String, String)] = []
                if let v = tls.caLocation { p.append(("ssl.ca.location", v)) }
                if let v = tls.certificateLocation { p.append(("ssl.certificate.location", v)) }
                if let v = tls.keyLocation { p.append(("ssl.key.location", v)) }
                if let v = tls.keyPassword { p.append(("ssl.key.password", v)) }
                p.append(("ssl.endpoint.identification.algorithm", tls.verifyHostname ? "https" : "none"))
                if let v = tls.caPEM { p.append(("ssl.ca.pem", v)) }
                if let v = tls.certificatePEM { p.append(("ssl.certificate.pem", v)) }
                if let v = tls.keyPEM { p.append(("ssl.key.pem", v)) }
                return p
            }
            switch kind {
            case .plaintext:
                return [("security.protocol", "plaintext")]
            case .tls(let tls):
                return [("security.protocol", "ssl")] + tlsProperties(tls)
            case .sasl(let sasl, let tls):
                var p: [(String, String)] = [("security.protocol", tls == nil ? "sasl_plaintext" : "sasl_ssl")]
                p.append(("sasl.mechanism", sasl.mechanism.rawValue))
                if let v = sasl.username { p.append(("sasl.username", v)) }
                if let v = sasl.password { p.append(("sasl.password", v)) }
                if let v = sasl.kerberosServiceName { p.append(("sasl.kerberos.service.name", v)) }
                if let v = sasl.kerberosPrincipal { p.append(("sasl.kerberos.principal", v)) }
                if let v = sasl.kerberosKeytab { p.append(("sasl.kerberos.keytab", v)) }
                if let oauth = sasl.oauthBearer { p += oauth.properties }
                if let tls { p += tlsProperties(tls) }
                return p
            }
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, as librdkafka's `*.ms` properties take them.
    var kafkaMilliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
