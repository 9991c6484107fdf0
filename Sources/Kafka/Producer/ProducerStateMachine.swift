/// The producer's lifecycle: running, flushing waiters, closing, closed. A pure state machine: the owner keeps it
/// in a `Mutex` and carries out the returned actions after unlocking.
struct ProducerStateMachine<Waiter> {
    typealias Instant = ContinuousClock.Instant

    private enum State {
        case running
        /// Close requested: stop taking messages, deliver what is queued until `deadline`, then fail the rest.
        case closing(deadline: Instant)
        case closed
    }

    private var state: State = .running
    private var flushWaiters: [(waiter: Waiter, deadline: Instant)] = []
    private var closeWaiters: [Waiter] = []

    init() {}

    var isRunning: Bool {
        if case .running = state { return true }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    enum FlushAction {
        /// Wait: the poll loop resumes the waiter once everything is delivered or the deadline passed.
        case wait
        /// Nothing can be flushed any more: fail the waiter with shutdown.
        case failShutdown
    }

    mutating func flush(_ waiter: Waiter, deadline: Instant) -> FlushAction {
        switch state {
        case .running, .closing:
            flushWaiters.append((waiter, deadline))
            return .wait
        case .closed:
            return .failShutdown
        }
    }

    enum CloseAction: Equatable {
        /// First close: wake the poll loop so it starts closing.
        case startClose
        /// A close is under way: the waiter is resumed when it ends.
        case wait
        /// Already closed: resume the waiter now.
        case resume
    }

    mutating func close(_ waiter: Waiter?, deadline: Instant) -> CloseAction {
        switch state {
        case .running:
            state = .closing(deadline: deadline)
            if let waiter { closeWaiters.append(waiter) }
            return .startClose
        case .closing:
            if let waiter { closeWaiters.append(waiter) }
            return .wait
        case .closed:
            return .resume
        }
    }

    /// Waits for the producer to close, without starting a close. Returns `false` when it is closed already.
    mutating func waitUntilClosed(_ waiter: Waiter) -> Bool {
        if case .closed = state { return false }
        closeWaiters.append(waiter)
        return true
    }

    /// What the poll loop should do after a round of serving delivery reports.
    struct Tick {
        /// Flush waiters to resume: `true` when everything was delivered, `false` when their deadline passed.
        var flushed: [(Waiter, Bool)] = []
        /// Close was requested, and the deadline until which queued messages may still be delivered.
        var closeDeadline: Instant?
    }

    mutating func tick(outQueueLength: Int, now: Instant) -> Tick {
        var tick = Tick()
        if !flushWaiters.isEmpty {
            var remaining: [(waiter: Waiter, deadline: Instant)] = []
            for entry in flushWaiters {
                if outQueueLength == 0 {
                    tick.flushed.append((entry.waiter, true))
                } else if entry.deadline <= now {
                    tick.flushed.append((entry.waiter, false))
                } else {
                    remaining.append(entry)
                }
            }
            flushWaiters = remaining
        }
        if case .closing(let deadline) = state {
            tick.closeDeadline = deadline
        }
        return tick
    }

    /// The handle is destroyed; returns every waiter left.
    mutating func closed() -> (flush: [Waiter], close: [Waiter]) {
        state = .closed
        let result = (flushWaiters.map(\.waiter), closeWaiters)
        flushWaiters = []
        closeWaiters = []
        return result
    }
}
