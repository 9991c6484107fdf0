internal import Foundation
package import Kafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Tansu broker (an Apache-Kafka-compatible broker independent of librdkafka, with in-memory storage) on a
/// loopback port, for the admin requests librdkafka's embedded cluster does not answer.
///
/// The binary comes from `SWIFT_KAFKA_TANSU` (`scripts/fetch-tansu.sh` prints its path; `scripts/test.sh` sets it).
/// librdkafka before 2.2 cannot parse Tansu's ApiVersions reply, so ``unavailableReason`` names that too.
///
/// What Tansu 0.6.0 answers (measured with librdkafka 2.16): CreateTopics (duplicates as TOPIC_ALREADY_EXISTS),
/// DeleteTopics, Metadata, DescribeConfigs (only entries set on a topic), IncrementalAlterConfigs, ListGroups,
/// DescribeGroups (no members once empty), DeleteGroups, OffsetFetch, OffsetCommit, DescribeAcls (always empty).
/// What it does not: CreatePartitions, AlterConfigs and DeleteAcls are not advertised (librdkafka fails them
/// fast); `validateOnly` creates the topic anyway; DeleteRecords drops the connection; CreateAcls answers a null
/// array that aborts librdkafka (never send it one); high watermarks are wrong after batches of several messages;
/// joining a group takes about half of `session.timeout.ms`.
package final class TansuBroker: Sendable {
    /// `127.0.0.1:PORT`.
    package let bootstrapServers: String
    /// The broker's node id (Tansu's default).
    package static let nodeID: Int32 = 111
    private let process: ChildProcess

    /// The binary, when `SWIFT_KAFKA_TANSU` names an executable file.
    package static var executable: String? {
        guard let path = ProcessInfo.processInfo.environment["SWIFT_KAFKA_TANSU"], !path.isEmpty,
            access(path, X_OK) == 0
        else { return nil }
        return path
    }

    /// Why no Tansu broker can be used here, or `nil`.
    package static var unavailableReason: String? {
        if Librdkafka.version < Librdkafka.Version(2, 2, 0) {
            return "Tansu needs librdkafka 2.2 or later (earlier ones cannot parse its ApiVersions reply); "
                + "this process runs \(Librdkafka.version)"
        }
        if executable == nil {
            return "no Tansu broker: set SWIFT_KAFKA_TANSU to the binary scripts/fetch-tansu.sh prints"
        }
        return nil
    }

    private init(bootstrapServers: String, process: ChildProcess) {
        self.bootstrapServers = bootstrapServers
        self.process = process
    }

    /// Starts a broker and waits until it accepts connections (on a thread of its own, off Swift's cooperative
    /// pool).
    /// - Throws: ``KafkaError`` with ``unavailableReason``, or when the broker did not come up.
    package static func start() async throws -> TansuBroker {
        if let reason = unavailableReason { throw KafkaError(code: .unsupported, message: reason) }
        guard let executable else { throw KafkaError(code: .unsupported, message: "no Tansu binary") }
        return try await withCheckedThrowingContinuation { continuation in
            do throws(KafkaError) {
                try KafkaThread.detach(name: "tansu-start") {
                    continuation.resume(with: Result { try launch(executable) })
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    private static func launch(_ executable: String) throws -> TansuBroker {
        var lastFailure = "never started"
        // Tansu says it listens and exits 0 when its port was taken meanwhile: try another port then.
        for _ in 0..<3 {
            let port = try LoopbackPort.free()
            let url = "tcp://127.0.0.1:\(port)"
            let process = try withSpawnsExcluded {
                try ChildProcess.spawn(
                    executable,
                    ["broker", "--listener-url", url, "--advertised-listener-url", url, "--silent"],
                    stdout: .null,
                    stderr: .null
                )
            }
            if LoopbackPort.waitUntilListening(port: port, isRunning: { process.isRunning }) {
                return TansuBroker(bootstrapServers: "127.0.0.1:\(port)", process: process)
            }
            process.terminate()
            process.waitUntilExit()
            lastFailure = "port \(port): exit status \(process.terminationStatus)"
        }
        throw KafkaError(code: .unsupported, message: "Tansu did not start (\(lastFailure))")
    }

    /// Stops the broker (SIGTERM) and waits for it, off Swift's cooperative pool.
    package func stop() async {
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do throws(KafkaError) {
                try KafkaThread.detach(name: "tansu-stop") {
                    process.terminate()
                    process.waitUntilExit()
                    continuation.resume()
                }
            } catch {
                process.terminate()
                continuation.resume()
            }
        }
    }

    deinit {
        process.terminate()
    }
}
