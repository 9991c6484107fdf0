// Descriptions that never show a secret. Every configuration type that can hold one (a password, a private key,
// an OAUTHBEARER secret, in a typed field or in `librdkafkaOverrides`) describes itself, debug-describes itself and
// reflects itself (`dump`, `Mirror`) with the secret replaced by "<redacted>".

/// Builds the descriptions of the configuration types from the children of their (redacting) mirrors.
enum Redaction {
    static let placeholder = "<redacted>"

    /// `value`, or the placeholder when set.
    static func redacted(_ value: String?) -> String? {
        value.map { _ in placeholder }
    }

    /// `overrides` with the value of every secret key replaced.
    static func redacted(_ overrides: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in overrides { result[key] = LibrdkafkaProperties.isSecret(key) ? placeholder : value }
        return result
    }

    /// `Type(label: value, ...)`, each child shown as `debugPrint` shows it (nested types redact themselves).
    static func describe(_ mirror: Mirror, as typeName: String) -> String {
        let fields = mirror.children.map { child -> String in
            var shown = ""
            debugPrint(child.value, terminator: "", to: &shown)
            return child.label.map { "\($0): \(shown)" } ?? shown
        }
        return "\(typeName)(\(fields.joined(separator: ", ")))"
    }
}

extension KafkaConfiguration.Security.TLS: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "caLocation": caLocation as Any,
                "certificateLocation": certificateLocation as Any,
                "keyLocation": keyLocation as Any,
                "keyPassword": Redaction.redacted(keyPassword) as Any,
                "verifyHostname": verifyHostname,
                "caPEM": caPEM.map { "<\($0.utf8.count) bytes>" } as Any,
                "certificatePEM": certificatePEM.map { "<\($0.utf8.count) bytes>" } as Any,
                "keyPEM": Redaction.redacted(keyPEM) as Any,
            ]
        )
    }

    /// The settings, with the key password redacted.
    public var description: String { Redaction.describe(customMirror, as: "TLS") }
    public var debugDescription: String { description }
}

extension KafkaConfiguration.Security.SASL: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "mechanism": mechanism.rawValue,
                "username": username as Any,
                "password": Redaction.redacted(password) as Any,
                "kerberosServiceName": kerberosServiceName as Any,
                "kerberosPrincipal": kerberosPrincipal as Any,
                "kerberosKeytab": kerberosKeytab as Any,
                "oauthBearer": oauthBearer as Any,
            ]
        )
    }

    /// The settings, with the password redacted.
    public var description: String { Redaction.describe(customMirror, as: "SASL") }
    public var debugDescription: String { description }
}

extension KafkaConfiguration.Security: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        switch kind {
        case .plaintext: return Mirror(self, children: ["protocol": "plaintext"])
        case .tls(let tls): return Mirror(self, children: ["protocol": "ssl", "tls": tls])
        case .sasl(let sasl, let tls):
            return Mirror(
                self,
                children: ["protocol": tls == nil ? "sasl_plaintext" : "sasl_ssl", "sasl": sasl, "tls": tls as Any]
            )
        }
    }

    /// The protocol and its settings, with passwords redacted.
    public var description: String { Redaction.describe(customMirror, as: "Security") }
    public var debugDescription: String { description }
}
