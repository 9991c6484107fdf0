import Synchronization

/// The time `kafka-tail` gives its exit (the last commit and the close), counted from the first stop request.
final class ExitDeadline: Sendable {
    let budget: Duration
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    init(budget: Duration) {
        self.budget = budget
    }

    /// Starts the countdown, if it has not started yet.
    func start() {
        _ = remaining()
    }

    /// What is left of the budget (starting the countdown now if it has not started); at least a millisecond, so a
    /// last call still gets its answer if it is ready.
    func remaining() -> Duration {
        let now = ContinuousClock.now
        let start = started.withLock { started in
            if let started { return started }
            started = now
            return now
        }
        return max(budget - (now - start), .milliseconds(1))
    }
}
