internal import CLibrdkafka
import Synchronization

/// Why connections to the brokers fail, kept so that the errors a user sees later (a message that timed out, a
/// topic whose metadata never came) can say it, instead of leaving it in a log line.
///
/// TLS certificate checks go through `ssl_cert_verify_cb`, which keeps OpenSSL's verdict (a certificate passes
/// exactly when OpenSSL found no error) and records which check failed: librdkafka itself reports only "certificate
/// verify failed" whether the CA is unknown or the host name does not match.
struct ConnectionFailures: ~Copyable {
    /// The last certificate check that failed (what, for which broker) and when.
    var certificate: (reason: String, at: ContinuousClock.Instant)?
    /// The last connection-level error (TLS, authentication, transport, name resolution) and when it came.
    var last: (message: String, at: ContinuousClock.Instant)?

    /// What OpenSSL's X.509 verification error `code` means for the user, at certificate `depth` (0: the broker's
    /// own certificate) of the broker `host`.
    static func describe(x509Error code: Int32, depth: Int32, host: String) -> String {
        let whose = depth == 0 ? "the broker's certificate" : "a CA certificate in the broker's chain"
        switch code {
        case 2, 18, 19, 20, 21:
            // UNABLE_TO_GET_ISSUER_CERT(_LOCALLY), (DEPTH_ZERO_)SELF_SIGNED_CERT(_IN_CHAIN), UNABLE_TO_VERIFY_LEAF_SIGNATURE
            return "\(whose) is not signed by a trusted CA (set TLS.caLocation or caPEM to the CA that signed it)"
        case 62:  // HOSTNAME_MISMATCH
            return "\(whose) is not valid for the host name \(host) (TLS.verifyHostname = false skips this check)"
        case 64:  // IP_ADDRESS_MISMATCH
            return "\(whose) is not valid for the address \(host)"
        case 10:  // CERT_HAS_EXPIRED
            return "\(whose) has expired"
        case 9:  // CERT_NOT_YET_VALID
            return "\(whose) is not valid yet"
        case 23:  // CERT_REVOKED
            return "\(whose) is revoked"
        default:
            return "\(whose) failed verification (OpenSSL X.509 error \(code))"
        }
    }
}

extension RDKafkaCallbacks {
    /// The error codes that mean a broker could not be reached or would not talk to this client.
    static func isConnectionFailure(_ err: rd_kafka_resp_err_t) -> Bool {
        err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION
            || err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__RESOLVE
    }

    /// Installs the certificate check on `conf` (ignored by a librdkafka without TLS).
    func installCertificateCheck(on conf: OpaquePointer) {
        _ = rd_kafka_conf_set_ssl_cert_verify_cb(conf) {
            rk,
            brokerName,
            _,
            x509Error,
            depth,
            _,
            _,
            errstr,
            errstrSize,
            _ in
            guard let x509Error else { return 0 }
            let code = x509Error.pointee
            guard code != 0 else { return 1 }  // OpenSSL found nothing wrong
            let host = brokerName.map { String(cString: $0) } ?? "?"
            let hostName = host.split(separator: ":").first.map(String.init) ?? host
            let reason = ConnectionFailures.describe(x509Error: code, depth: depth, host: hostName)
            RDKafkaCallbacks.from(rk)?.recordCertificateFailure("\(host): \(reason)")
            if let errstr, errstrSize > 0 {
                var count = 0
                for byte in reason.utf8.prefix(errstrSize - 1) {
                    errstr[count] = CChar(bitPattern: byte)
                    count += 1
                }
                errstr[count] = 0
            }
            return 0  // OpenSSL's verdict stands
        }
    }

    func recordCertificateFailure(_ reason: String) {
        connectionFailures.withLock { $0.certificate = (reason, .now) }
    }

    /// librdkafka's message for a connection-level error, with the certificate check that failed when it is a TLS
    /// handshake failure; remembered for ``connectionFailureHint(within:)``.
    func connectionFailure(_ err: rd_kafka_resp_err_t, _ text: String) -> String {
        connectionFailures.withLock { failures in
            var message = text
            // librdkafka reports a failed check as "certificate verify failed", as an SSL or a transport error
            // depending on where the handshake broke: the check's own reason says which.
            if err == RD_KAFKA_RESP_ERR__SSL || text.contains("certificate verify failed"),
                let certificate = failures.certificate, ContinuousClock.now - certificate.at < .seconds(60)
            {
                message = "TLS: \(certificate.reason) (\(text))"
            } else if text.contains("alert certificate required") {
                message =
                    "TLS: the broker requires a client certificate (TLS.certificateLocation and keyLocation) (\(text))"
            }
            failures.last = (message, .now)
            return message
        }
    }

    /// The last connection failure, if one came within `window`: what to add to a timeout's message.
    func connectionFailureHint(within window: Duration) -> String? {
        connectionFailures.withLock { failures in
            guard let last = failures.last, ContinuousClock.now - last.at <= window else { return nil }
            return last.message
        }
    }
}
