public import Kafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loopback TCP ports for the servers tests start (stunnel, Tansu).
package enum LoopbackPort {
    /// A TCP port nobody listens on now (the kernel's choice for port 0).
    package static func free() throws(KafkaError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw KafkaError(code: .invalidUsage, message: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw KafkaError(code: .invalidUsage, message: "no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something listens on `port` within 5 s, trying every 20 ms while `isRunning` (the server's process
    /// still runs). Blocks its thread: for library threads.
    package static func waitUntilListening(port: Int, isRunning: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline, isRunning() {
            if isListening(port: port) { return true }
            usleep(20_000)
        }
        return false
    }

    /// ``waitUntilListening(port:isRunning:)`` for async code: sleeps between tries without holding a thread.
    ///
    /// A busy cooperative pool can resume the sleeping task late, past the deadline: the port is tried once more
    /// then, so that a server that came up meanwhile is not taken for one that did not.
    package static func waitUntilListening(port: Int, isRunning: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while isRunning() {
            if isListening(port: port) { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Whether a connection to `port` on loopback succeeds now (it is refused at once when nobody listens).
    private static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        close(fd)
        return connected
    }
}
