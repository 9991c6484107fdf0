import Dispatch
import Foundation
import Kafka
import KafkaTesting

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished CLI run printed and returned.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stdoutData: Data
    var stderr: String
}

/// The directory holding the built executables: `$KAFKA_CLI_BIN_DIR`, else the test bundle's own directory
/// (SwiftPM puts products and test bundles side by side).
let binDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["KAFKA_CLI_BIN_DIR"] {
        return URL(fileURLWithPath: dir)
    }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // On Linux the bundle is a file in the products directory; elsewhere it may be nested inside a bundle.
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kafka-send").path), dir.path != "/" {
        dir = dir.deletingLastPathComponent()
    }
    return dir
}()

/// Starts a built CLI, with a pipe as its standard input that the caller writes and closes. `extra` is added to
/// the environment (which never passes `KAFKA_BOOTSTRAP_SERVERS` on: tests give `-b`).
func startCLIWithInput(
    _ name: String,
    _ arguments: [String],
    environment extra: [String: String] = [:]
) throws -> (ChildProcess, input: FileHandle, ChildPipe, ChildPipe) {
    ignoreSIGPIPE
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "KAFKA_BOOTSTRAP_SERVERS")
    environment.merge(extra) { _, new in new }
    let out = try ChildPipe()
    let err = try ChildPipe()
    let input = try ChildPipe()
    let process = try withSpawnsExcluded {
        try ChildProcess.spawn(
            binDirectory.appendingPathComponent(name).path,
            arguments,
            environment: environment,
            stdin: .pipe(input),
            stdout: .pipe(out),
            stderr: .pipe(err)
        )
    }
    return (process, input.fileHandleForWriting, out, err)
}

/// Starts a built CLI with `stdin` as its whole input.
func startCLI(
    _ name: String,
    _ arguments: [String],
    stdin: Data? = nil,
    environment extra: [String: String] = [:]
) throws -> (ChildProcess, ChildPipe, ChildPipe) {
    let (process, writer, out, err) = try startCLIWithInput(name, arguments, environment: extra)
    DispatchQueue.global().async {
        // A CLI that exits before reading all of its input (a usage error, a bad line) closes the pipe: the write
        // fails with EPIPE, which must not kill the test process with SIGPIPE.
        if let stdin { try? writer.write(contentsOf: stdin) }
        try? writer.close()
    }
    return (process, out, err)
}

/// Sends a signal to a running CLI.
func signal(_ process: ChildProcess, _ signal: Int32) {
    kill(process.processIdentifier, signal)
}

/// Runs a built CLI to completion (killing it after `timeout`), off the cooperative pool.
func runCLI(
    _ name: String,
    _ arguments: [String],
    stdin: Data? = nil,
    environment: [String: String] = [:],
    timeout: Duration = .seconds(60)
) async throws -> CLIResult {
    let (process, out, err) = try startCLI(name, arguments, stdin: stdin, environment: environment)
    return await finish(process, out, err, timeout: timeout)
}

/// Waits for a started CLI to exit and collects its output.
func finish(
    _ process: ChildProcess,
    _ out: ChildPipe,
    _ err: ChildPipe,
    timeout: Duration = .seconds(60)
) async -> CLIResult {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            // SIGTERM at the deadline, then SIGKILL if that did not end it: a hung CLI must not hang the suite.
            let killer = DispatchWorkItem {
                guard process.isRunning else { return }
                process.terminate()
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(5)) {
                    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                }
            }
            DispatchQueue.global().asyncAfter(
                deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1_000)),
                execute: killer
            )
            let group = DispatchGroup()
            let stdout = DataBox()
            let stderr = DataBox()
            group.enter()
            DispatchQueue.global().async {
                stdout.data = readToEnd(out.fileHandleForReading)
                group.leave()
            }
            group.enter()
            DispatchQueue.global().async {
                stderr.data = readToEnd(err.fileHandleForReading)
                group.leave()
            }
            process.waitUntilExit()
            group.wait()
            killer.cancel()
            continuation.resume(
                returning: CLIResult(
                    status: process.terminationStatus,
                    stdout: String(decoding: stdout.data, as: UTF8.self),
                    stdoutData: stdout.data,
                    stderr: String(decoding: stderr.data, as: UTF8.self)
                )
            )
        }
    }
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}

/// Written by one reader before `group.leave()`, read after `group.wait()`: the group orders the accesses.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// Writes to the pipe of a CLI that exited fail with EPIPE instead of killing the test process.
private let ignoreSIGPIPE: Void = {
    signal(SIGPIPE, SIG_IGN)
    return ()
}()

/// Reads `handle` to its end. Foundation's `readDataToEndOfFile()` and `availableData` trap when a signal interrupts
/// a read (EINTR), which took the whole test process down once; this retries instead.
func readToEnd(_ handle: FileHandle) -> Data {
    var data = Data()
    while true {
        let chunk = readChunk(handle)
        if chunk.isEmpty { return data }
        data.append(chunk)
    }
}

/// Waits for what `handle` has next and returns it (empty at the end of the file), retrying on EINTR.
func readChunk(_ handle: FileHandle) -> Data {
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
        if count >= 0 { return Data(buffer[0..<count]) }
        if errno != EINTR { return Data() }
    }
}
