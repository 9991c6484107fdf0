import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-way switch to ask loops to stop (on SIGINT/SIGTERM): checked cheaply, and runs registered actions once.
public final class StopSwitch: Sendable {
    private let triggered = Atomic<Bool>(false)
    private let actions = Mutex<[@Sendable () -> Void]>([])

    /// A switch not flipped yet.
    public init() {}

    /// Whether ``trigger()`` was called.
    public var isTriggered: Bool { triggered.load(ordering: .acquiring) }

    /// Flips the switch and runs the registered actions (once).
    public func trigger() {
        guard triggered.exchange(true, ordering: .acquiringAndReleasing) == false else { return }
        for action in actions.withLock({ $0 }) { action() }
    }

    /// Registers `action` to run on ``trigger()``; runs it now if the switch was flipped already.
    public func onTrigger(_ action: @escaping @Sendable () -> Void) {
        let runNow = actions.withLock { actions -> Bool in
            if triggered.load(ordering: .acquiring) { return true }
            actions.append(action)
            return false
        }
        if runNow { action() }
    }
}

/// Ends the process at once with `status`, without cleanup (a second Ctrl-C).
public func terminateNow(status: Int32) -> Never {
    _exit(status)
}
