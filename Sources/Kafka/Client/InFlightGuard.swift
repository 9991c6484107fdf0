import Synchronization

/// Keeps a librdkafka handle alive while non-blocking calls from any thread use it.
///
/// Callers on the hot path (`send`) ``enter()`` before touching the handle and ``exit()`` after; the closer calls
/// ``closeAndWait()``, after which every ``enter()`` fails and no call is under way, so the handle can be destroyed.
/// Lock-free: one atomic add on each side of a call (wrapping: a checked add compiles to a compare-exchange loop).
/// A noncopyable struct stored inline in its owner: a class here cost a retain and a release per call (two more
/// atomic operations on the send path).
package struct InFlightGuard: ~Copyable, Sendable {
    private static let closedBit = 1 << 62
    private let state = Atomic<Int>(0)

    package init() {}

    /// Registers a call; `false` once closing began (the call must not touch the handle).
    package func enter() -> Bool {
        let new = state.wrappingAdd(1, ordering: .acquiring).newValue
        if new & Self.closedBit != 0 {
            state.wrappingSubtract(1, ordering: .releasing)
            return false
        }
        return true
    }

    /// Ends a call registered by a successful ``enter()``.
    package func exit() {
        state.wrappingSubtract(1, ordering: .releasing)
    }

    /// Whether ``closeAndWait()`` was called.
    package var isClosed: Bool {
        state.load(ordering: .acquiring) & Self.closedBit != 0
    }

    /// Refuses new calls, then waits (spinning with yields; calls are non-blocking and short) for those under way.
    /// Runs on a library thread only.
    ///
    /// A blocking call that holds the guard (a transaction step, bounded by its timeout) can keep it for seconds:
    /// after a short spin, the wait sleeps 1 ms between checks instead of burning a core.
    package func closeAndWait() {
        state.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing)
        var spins = 0
        while state.load(ordering: .acquiring) & ~Self.closedBit != 0 {
            if spins < 1_000 {
                spins += 1
                sched_yieldCompat()
            } else {
                sleepOneMillisecond()
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

@inline(__always)
private func sched_yieldCompat() {
    _ = sched_yield()
}

private func sleepOneMillisecond() {
    var request = timespec(tv_sec: 0, tv_nsec: 1_000_000)
    _ = nanosleep(&request, nil)
}
