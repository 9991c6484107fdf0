import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wakes a library thread from a timed wait between its librdkafka calls: a flag under a mutex, and a condition
/// variable on the monotonic clock. It replaces naps: the thread sleeps until something it waits for happened (a
/// queued command, a hook's end, the reader's progress, a close), or until its timeout.
///
/// A signal sent while nobody waits is kept for the next wait. ``signalIfWaiting()`` costs one atomic load when
/// nobody waits, for callers on hot paths.
final class ThreadSignal: @unchecked Sendable {
    // @unchecked: the pthread objects live at fixed heap addresses and are used only through their own locking;
    // `signalled` is read and written with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var signalled = false
    private let waiting = Atomic<Bool>(false)

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Wakes the waiting thread, or the next wait.
    func signal() {
        pthread_mutex_lock(mutex)
        signalled = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// ``signal()``, only while a thread waits (or is about to check whether it must). Callers must have published
    /// what the waiter checks with a sequentially consistent store before calling this.
    func signalIfWaiting() {
        if waiting.load(ordering: .sequentiallyConsistent) { signal() }
    }

    /// Waits until signalled or `timeout` passed, unless `done` holds already (checked after announcing the wait,
    /// so a ``signalIfWaiting()`` after the change `done` looks at is not missed).
    func wait(upTo timeout: Duration, unless done: () -> Bool = { false }) {
        waiting.store(true, ordering: .sequentiallyConsistent)
        defer { waiting.store(false, ordering: .releasing) }
        if done() { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = max(timeout.components.attoseconds / 1_000_000_000, 0)
        var total = Int64(now.tv_nsec) + nanoseconds
        var deadline = timespec(
            tv_sec: now.tv_sec + Int(max(timeout.components.seconds, 0)) + Int(total / 1_000_000_000),
            tv_nsec: 0
        )
        total %= 1_000_000_000
        deadline.tv_nsec = Int(total)
        pthread_mutex_lock(mutex)
        while !signalled {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        signalled = false
        pthread_mutex_unlock(mutex)
    }
}
