/// Matches delivery reports to the sends awaiting them. A pure state machine: the owner keeps it in a `Mutex`
/// and resumes the returned waiters after unlocking.
///
/// A report may arrive before its sender starts waiting (librdkafka can deliver before `produce` returns to us);
/// it is kept until the waiter attaches.
struct DeliveryRegistry<Waiter> {
    typealias Outcome = Result<KafkaDelivery, KafkaError>

    private enum Entry {
        case waiting(Waiter)
        case delivered(Outcome)
    }

    private var entries: [UInt64: Entry] = [:]
    private var isClosed = false

    init() {}

    /// Number of sends whose report is not yet consumed.
    var count: Int { entries.count }

    enum AttachAction {
        /// Wait: the report will resume the waiter.
        case wait
        /// The report came already: resume the waiter with it now.
        case resume(Outcome)
        /// The producer closed and no report will come: fail the waiter with shutdown.
        case failShutdown
    }

    /// The sender of message `id` starts waiting.
    mutating func attach(_ waiter: Waiter, for id: UInt64) -> AttachAction {
        if case .delivered(let outcome) = entries.removeValue(forKey: id) {
            return .resume(outcome)
        }
        if isClosed { return .failShutdown }
        entries[id] = .waiting(waiter)
        return .wait
    }

    /// The report for message `id` arrived; returns the waiter to resume, if one is waiting.
    mutating func complete(_ id: UInt64, with outcome: Outcome) -> Waiter? {
        if case .waiting(let waiter) = entries.removeValue(forKey: id) {
            return waiter
        }
        entries[id] = .delivered(outcome)
        return nil
    }

    /// Forgets message `id`, whose produce failed before it was queued: no report will come.
    mutating func cancel(_ id: UInt64) -> Waiter? {
        if case .waiting(let waiter) = entries.removeValue(forKey: id) {
            return waiter
        }
        return nil
    }

    /// No report can come any more (the handle is destroyed): returns the waiters left, and from now on fails
    /// every waiter that attaches without a report. Reports already received stay for their waiters.
    mutating func close() -> [Waiter] {
        isClosed = true
        var waiters: [Waiter] = []
        for (id, entry) in entries {
            if case .waiting(let waiter) = entry {
                waiters.append(waiter)
                entries[id] = nil
            }
        }
        return waiters
    }
}
