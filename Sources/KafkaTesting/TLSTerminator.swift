internal import Foundation
public import Kafka
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// TLS in front of an ``EmbeddedCluster``: a stunnel process accepts TLS on one port per broker and forwards to the
/// broker, and each broker advertises that port, so clients talk real TLS (server verification, host names, client
/// certificates) to the embedded cluster, which speaks none itself.
///
/// Needs `stunnel4` (or `stunnel`) and `openssl` on `PATH`, and an embedded cluster that can advertise another
/// address (``EmbeddedCluster/Capability/advertisedAddresses``, librdkafka 2.10 and later); ``unavailableReason``
/// says what is missing.
///
/// ```swift
/// let cluster = try EmbeddedCluster(brokers: 1)
/// let certificates = try await TLSTerminator.Certificates.generate()
/// let tls = try await TLSTerminator(cluster: cluster, certificates: certificates)
/// var config = KafkaProducerConfiguration(bootstrapServers: [tls.bootstrapServers])
/// config.security = .tls(.init(caLocation: certificates.ca))
/// ```
///
/// - Important: From then on the cluster's brokers are reachable only through the terminator (their metadata
///   names its ports); keep it running as long as the cluster is used, and ``stop()`` it after.
public final class TLSTerminator: Sendable {
    /// Certificates and keys for tests, made by `openssl` in a new temporary directory: a CA, a second CA that
    /// signed nothing here, a broker certificate for `localhost` and `127.0.0.1`, one for another host name, and a
    /// client certificate whose key is encrypted with ``clientKeyPassword``. Never commit them; each call makes
    /// new ones.
    public struct Certificates: Sendable {
        /// The directory holding them (removed by ``remove()``).
        public let directory: String
        /// The CA that signed the broker and client certificates (PEM).
        public var ca: String { directory + "/ca.pem" }
        /// A CA that signed nothing here: verifying against it fails.
        public var otherCA: String { directory + "/other-ca.pem" }
        /// The broker's certificate, valid for `localhost` and `127.0.0.1`.
        public var brokerCertificate: String { directory + "/broker.pem" }
        /// The broker certificate's key.
        public var brokerKey: String { directory + "/broker.key" }
        /// A broker certificate valid only for `wrong.example`.
        public var wrongHostCertificate: String { directory + "/wrong-host.pem" }
        /// The client's certificate (for mutual TLS).
        public var clientCertificate: String { directory + "/client.pem" }
        /// The client's key, encrypted with ``clientKeyPassword``.
        public var clientKey: String { directory + "/client.key" }
        /// The password of ``clientKey``.
        public let clientKeyPassword = "client-key-password"

        /// Makes a new set in a new temporary directory. `openssl` runs (and is waited for) on a thread of its own,
        /// off Swift's cooperative pool.
        /// - Throws: `KafkaError` naming the `openssl` step that failed.
        public static func generate() async throws(KafkaError) -> Certificates {
            let directory = NSTemporaryDirectory() + "kafka-tls-" + UUID().uuidString
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw KafkaError(code: .invalidUsage, message: "cannot create \(directory): \(error)")
            }
            let certificates = Certificates(directory: directory)
            let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
            let sign = "openssl x509 -req -days 2 -CA ca.pem -CAkey ca.key -CAcreateserial"
            let script = """
                set -e
                cd '\(directory)'
                openssl req -x509 \(key) -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=kafka-test-ca
                openssl req -x509 \(key) -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other-ca
                openssl req \(key) -nodes -keyout broker.key -out broker.csr -subj /CN=localhost
                printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > broker.ext
                \(sign) -in broker.csr -out broker.pem -extfile broker.ext
                printf 'subjectAltName=DNS:wrong.example\\n' > wrong.ext
                \(sign) -in broker.csr -out wrong-host.pem -extfile wrong.ext
                openssl req \(key) -keyout client.key -passout pass:\(certificates.clientKeyPassword) \
                    -out client.csr -subj /CN=kafka-test-client
                \(sign) -in client.csr -out client.pem
                """
            let result = await TLSTerminator.runOnOwnThread("/bin/sh", ["-c", script])
            guard result.status == 0 else {
                certificates.remove()
                throw KafkaError(
                    code: .invalidUsage,
                    message: "openssl could not make test certificates: \(result.output)"
                )
            }
            return certificates
        }

        /// Deletes the directory.
        public func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Why TLS cannot be put in front of an embedded cluster here, or `nil` when it can.
    public static var unavailableReason: String? {
        if let reason = EmbeddedCluster.Capability.advertisedAddresses.unavailableReason { return reason }
        if stunnelPath == nil { return "stunnel4 is not installed (apt-get install stunnel4)" }
        if run("/bin/sh", ["-c", "command -v openssl"]).status != 0 { return "openssl is not installed" }
        return nil
    }

    /// `host:port` of the terminator's ports, one per broker: the bootstrap list for TLS clients.
    public let bootstrapServers: String

    private let process: Mutex<ChildProcess?>
    private let configuration: String

    /// Starts stunnel with `certificate` (default: the broker certificate) in front of every broker of `cluster`,
    /// and makes each broker advertise its TLS port on `localhost`.
    ///
    /// - Parameters:
    ///   - cluster: the embedded cluster whose brokers get TLS.
    ///   - certificates: the CA and keys (``Certificates/generate()``).
    ///   - certificate: the certificate the brokers present, e.g. ``Certificates/wrongHostCertificate``.
    ///   - requireClientCertificate: mutual TLS: refuse clients without a certificate signed by the CA.
    /// - Throws: `KafkaError` with code `.unsupported` (see ``unavailableReason``), or when stunnel does not start.
    public init(
        cluster: EmbeddedCluster,
        certificates: Certificates,
        certificate: String? = nil,
        requireClientCertificate: Bool = false
    ) async throws(KafkaError) {
        if let reason = Self.unavailableReason { throw KafkaError(code: .unsupported, message: reason) }
        guard let stunnel = Self.stunnelPath else { throw KafkaError(code: .unsupported, message: "no stunnel") }
        let brokerPorts = cluster.bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last }
            .compactMap { Int($0) }
        var ports: [Int] = []
        var services = ""
        for (index, brokerPort) in brokerPorts.enumerated() {
            let port = try LoopbackPort.free()
            ports.append(port)
            services += """
                [broker-\(index + 1)]
                accept = 127.0.0.1:\(port)
                connect = 127.0.0.1:\(brokerPort)
                cert = \(certificate ?? certificates.brokerCertificate)
                key = \(certificates.brokerKey)

                """
            if requireClientCertificate {
                services += "verifyChain = yes\nCAfile = \(certificates.ca)\n\n"
            }
        }
        let configuration = certificates.directory + "/stunnel-\(UUID().uuidString).conf"
        let text = "foreground = yes\npid =\ndebug = 3\n\n" + services
        do {
            try text.write(toFile: configuration, atomically: true, encoding: .utf8)
        } catch {
            throw KafkaError(code: .invalidUsage, message: "cannot write \(configuration): \(error)")
        }
        let process: ChildProcess
        do {
            process = try withSpawnsExcluded {
                try ChildProcess.spawn(stunnel, [configuration], stdout: .null, stderr: .null)
            }
        } catch {
            throw KafkaError(code: .unsupported, message: "stunnel did not start: \(error)")
        }
        self.process = Mutex(process)
        self.configuration = configuration
        self.bootstrapServers = ports.map { "localhost:\($0)" }.joined(separator: ",")
        for port in ports {
            guard await LoopbackPort.waitUntilListening(port: port, isRunning: { process.isRunning }) else {
                stop()
                throw KafkaError(code: .unsupported, message: "stunnel did not listen on port \(port) within 10 s")
            }
        }
        for (index, port) in ports.enumerated() {
            try await cluster.setAdvertisedAddress(broker: index + 1, host: "localhost", port: port)
        }
    }

    deinit {
        stop()
    }

    /// Stops stunnel (idempotent).
    public func stop() {
        guard let process = process.withLock({ $0.take() }) else { return }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: configuration)
    }

    // MARK: Helpers

    private static let stunnelPath: String? = {
        for name in ["stunnel4", "stunnel"] {
            let result = run("/bin/sh", ["-c", "command -v \(name)"])
            if result.status == 0 {
                let path = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
                if !path.isEmpty { return path }
            }
        }
        return nil
    }()

    /// ``run(_:_:)`` on a thread of its own: the wait for the child does not hold a thread of Swift's cooperative
    /// pool (tests make certificates in parallel, and a pool of two threads blocked on `openssl` stalled them all).
    static func runOnOwnThread(_ executable: String, _ arguments: [String]) async -> (status: Int32, output: String) {
        do {
            return try await KafkaThread.run(name: "kafka-test-child") { run(executable, arguments) }
        } catch {
            return (127, "\(error)")
        }
    }

    /// Runs `executable` and returns its exit status and its output (stdout and stderr). Blocks until it exits.
    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process: ChildProcess
        let pipe: ChildPipe
        do {
            pipe = try ChildPipe()
            process = try withSpawnsExcluded {
                try ChildProcess.spawn(executable, arguments, stdout: .pipe(pipe), stderr: .pipe(pipe))
            }
        } catch {
            return (127, "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
