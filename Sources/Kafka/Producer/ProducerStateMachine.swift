/// Everything about a producer that changes: its lifecycle, the flush and close waiters, the sends waiting for
/// room in librdkafka's queue, and the flow of delivery reports to their reader (with the sends waiting for that
/// reader). A pure state machine: the owner (``ProducerState``) keeps it in one `Mutex` and carries out the
/// returned actions (resuming waiters, waking the poll thread) after unlocking.
struct ProducerStateMachine<Waiter> {
    typealias Instant = ContinuousClock.Instant

    private enum State {
        case running
        /// Close requested: stop taking messages, deliver what is queued until `deadline`, then fail the rest.
        case closing(deadline: Instant)
        /// The poll thread closed the handle to sends (``beginDraining()``): nobody waits for room or for the
        /// report reader any more; queued messages are delivered until the deadline.
        case draining(deadline: Instant)
        case closed
    }

    /// The delivery reports' flow to their reader. `demandGeneration` counts the reader's demands, so that a
    /// `.stopProducing` answer to a yield that crossed a later demand is ignored (NIO calls the delegate's
    /// `produceMore` concurrently with a yield).
    private struct ReportFlow {
        var demandGeneration: UInt64 = 0
        var readerBehind = false
        var readerGone = false
        var waiters: [Waiter] = []
    }

    private var state: State = .running
    private var flushWaiters: [(waiter: Waiter, deadline: Instant)] = []
    private var closeWaiters: [Waiter] = []
    private var queueSpaceWaiters: [Waiter] = []
    private var reports = ReportFlow()

    init() {}

    var isRunning: Bool {
        if case .running = state { return true }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Whether sends may still wait (for room, or for the report reader): before the handle closes to them.
    private var sendsMayWait: Bool {
        switch state {
        case .running, .closing: return true
        case .draining, .closed: return false
        }
    }

    enum WaitAction: Equatable {
        /// Park the waiter: an action of the machine resumes it later.
        case wait
        /// Resume the waiter now (the condition holds, or nobody would ever resume it).
        case resumeNow
    }

    // MARK: Room in librdkafka's queue

    /// A send found librdkafka's queue full. It waits for reports to be served (which frees room), unless the
    /// handle is closed to sends already: then no wake-up would ever come, and its retry sees the shutdown.
    mutating func waitForQueueSpace(_ waiter: Waiter) -> WaitAction {
        guard sendsMayWait else { return .resumeNow }
        queueSpaceWaiters.append(waiter)
        return .wait
    }

    /// Reports were served (or 100 ms passed): the sends waiting for room retry.
    mutating func queueSpaceMayHaveFreed() -> [Waiter] {
        defer { queueSpaceWaiters = [] }
        return queueSpaceWaiters
    }

    // MARK: Delivery report flow

    /// The reader's demand count, taken before a yield and handed back to ``reportReaderBehind(seenDemand:)``.
    var reportDemandGeneration: UInt64 { reports.demandGeneration }

    /// Whether fire-and-forget sends wait for the report reader now.
    var isReportReaderBehind: Bool { reports.readerBehind }

    /// A yield made at demand `seenDemand` answered `.stopProducing`. Ignored when the reader asked for more since
    /// (the answer is stale: honouring it would park sends with nobody left to wake them), or is gone.
    mutating func reportReaderBehind(seenDemand: UInt64) {
        guard !reports.readerGone, reports.demandGeneration == seenDemand else { return }
        reports.readerBehind = true
    }

    /// The reader drained its buffer below the low watermark (`produceMore`): the sends waiting for it go on.
    mutating func reportReaderWantsMore() -> [Waiter] {
        reports.demandGeneration &+= 1
        reports.readerBehind = false
        defer { reports.waiters = [] }
        return reports.waiters
    }

    /// The reader went away (`didTerminate`): sends never wait for it again.
    mutating func reportReaderGone() -> [Waiter] {
        reports.readerGone = true
        return reportReaderWantsMore()
    }

    /// A fire-and-forget send found the reader behind: it waits until the reader wants more, unless the reader
    /// caught up meanwhile, went away, or the handle is closed to sends.
    mutating func waitForReportReader(_ waiter: Waiter) -> WaitAction {
        guard reports.readerBehind, !reports.readerGone, sendsMayWait else { return .resumeNow }
        reports.waiters.append(waiter)
        return .wait
    }

    /// The poll thread closed the handle to sends: every send waiting for room or for the reader is resumed now
    /// (its retry sees the shutdown), and none waits from here on.
    mutating func beginDraining() -> [Waiter] {
        switch state {
        case .running: state = .draining(deadline: .now)
        case .closing(let deadline): state = .draining(deadline: deadline)
        case .draining, .closed: break
        }
        let waiters = queueSpaceWaiters + reports.waiters
        queueSpaceWaiters = []
        reports.waiters = []
        reports.readerBehind = false
        return waiters
    }

    enum FlushAction {
        /// Wait: the poll loop resumes the waiter once everything is delivered or the deadline passed.
        case wait
        /// Nothing can be flushed any more: fail the waiter with shutdown.
        case failShutdown
    }

    mutating func flush(_ waiter: Waiter, deadline: Instant) -> FlushAction {
        switch state {
        case .running, .closing, .draining:
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
        case .closing, .draining:
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
        /// A flush still waits: serve as a flush (librdkafka sends what lingers at once).
        var flushing = false
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
            tick.flushing = !remaining.isEmpty
        }
        switch state {
        case .closing(let deadline), .draining(let deadline): tick.closeDeadline = deadline
        case .running, .closed: break
        }
        return tick
    }

    /// The handle is destroyed; returns every waiter left.
    mutating func closed() -> (flush: [Waiter], close: [Waiter]) {
        state = .closed
        let result = (flushWaiters.map(\.waiter), closeWaiters + queueSpaceWaiters + reports.waiters)
        flushWaiters = []
        closeWaiters = []
        queueSpaceWaiters = []
        reports.waiters = []
        return result
    }
}
