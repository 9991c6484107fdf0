package import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pipe whose two ends are closed on exec, so that no other child inherits them (a reader sees the end of the
/// file once the one child writing it exits). Shaped like Foundation's `Pipe`.
package final class ChildPipe: Sendable {
    package let fileHandleForReading: FileHandle
    package let fileHandleForWriting: FileHandle

    package init() throws {
        var fds: [Int32] = [0, 0]
        // pipe2(O_CLOEXEC) is not imported: pipe, then FD_CLOEXEC, while no spawn of ours runs.
        let made = withSpawnsExcluded { () -> Bool in
            guard pipe(&fds) == 0 else { return false }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return true
        }
        guard made else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        fileHandleForReading = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        fileHandleForWriting = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
    }
}

/// A child process started with `posix_spawn`, for tests and the embedded cluster's helpers (stunnel, openssl).
///
/// Foundation's `Process.run()` on Linux (swift-corelibs-foundation of Swift 6.3) over-reads a `dirent` while it
/// lists `/proc/self/fd` and crashes the whole process now and then (SIGSEGV in `memcpy`; fixed upstream in
/// swift-corelibs-foundation#5472): a test process with hundreds of sockets open hit it in about one run in three.
/// This spawns directly: standard streams from pipes or `/dev/null`, every other descriptor closed in the child,
/// signal dispositions and mask reset to the defaults.
package final class ChildProcess: Sendable {
    /// Where a standard stream of the child comes from or goes to.
    package enum Stream {
        case inherit
        case null
        /// The child's end of a pipe: the read end for standard input, the write end for output. The parent's copy
        /// of that end is closed once the child started.
        case pipe(ChildPipe)
    }

    package let processIdentifier: pid_t
    /// The wait status once the child was reaped.
    private let status = Mutex<Int32?>(nil)

    private init(pid: pid_t) {
        self.processIdentifier = pid
    }

    /// Starts `executable` with `arguments` (not including the program name) and `environment` (default: this
    /// process's).
    package static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdin: Stream = .null,
        stdout: Stream = .inherit,
        stderr: Stream = .inherit
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        func route(_ stream: Stream, to fd: Int32, reading: Bool) {
            switch stream {
            case .inherit:
                break
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", reading ? O_RDONLY : O_WRONLY, 0)
            case .pipe(let pipe):
                let end = reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, end.fileDescriptor, fd)
            }
        }
        route(stdin, to: 0, reading: true)
        route(stdout, to: 1, reading: false)
        route(stderr, to: 2, reading: false)
        if let closeFrom = closeFromAction {
            _ = closeFrom(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = environment ?? ProcessInfo.processInfo.environment
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        // The child has its copies: the parent's child-side ends must go, or the reader never sees the end.
        if case .pipe(let pipe) = stdin { try? pipe.fileHandleForReading.close() }
        if case .pipe(let pipe) = stdout { try? pipe.fileHandleForWriting.close() }
        if case .pipe(let pipe) = stderr { try? pipe.fileHandleForWriting.close() }
        return ChildProcess(pid: pid)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time.
    private static let closeFromAction:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self
            )
        }()

    /// Whether the child is still running (reaps it once it exited).
    package var isRunning: Bool {
        status.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier {
                status = raw
                return false
            }
            return result == 0
        }
    }

    /// Sends SIGTERM.
    package func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// Blocks until the child exited. Call it off Swift's cooperative pool.
    package func waitUntilExit() {
        while status.withLock({ $0 == nil }) {
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, 0)
            if result == processIdentifier {
                status.withLock { $0 = raw }
            } else if result == -1, errno != EINTR {
                // Reaped by `isRunning` meanwhile (ECHILD): its status is stored.
                if status.withLock({ $0 != nil }) { return }
                usleep(1_000)
            }
        }
    }

    /// The exit status, or the signal's number for a child that a signal ended (as Foundation's `Process` reports
    /// it); -1 while it runs.
    package var terminationStatus: Int32 {
        guard let raw = status.withLock({ $0 }) else { return -1 }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : signal
    }
}
