import Logging
import Synchronization

// Rebalances: librdkafka's notifications, the hooks under their deadline, and the waits for the reader. Poll
// thread.
extension ConsumerCore {
    // MARK: Poll thread

    /// Called from librdkafka's callbacks (and for a fixed assignment), on the poll thread.
    func notified(_ notification: ClientNotification) {
        switch notification {
        case .assigned(let partitions):
            metrics?.rebalance(kind: "assigned", partitions: partitions.count)
            let action = state.withLock { $0.assigned(partitions) }
            apply(action)
            updateFilter { $0.assign(partitions) }
            eventSink.yield(.assigned(partitions))
            // A group's assign hook ran already, before the assign (startOffsets(assigning:)); a fixed
            // assignment's runs here.
            if state.withLock({ $0.assignHookDue() }) { runHook(\.onAssigned, partitions) }
        case .revoked(let partitions):
            // The close ran the revocation already, while the group coordinator still answered.
            if state.withLock({ $0.revocationRanForClose }) { return }
            metrics?.rebalance(kind: "revoked", partitions: partitions.count)
            // From here on the loop gets no message of these partitions; once it has stored what it finished with,
            // the hook may commit for them. A loop stuck on a message (the member left for it) is not waited for:
            // what it finished with was stored as it left.
            updateFilter { $0.revoke(partitions) }
            let stuck = state.withLock { state in
                state.revoked(partitions)
                return state.leftForStall
            }
            if !stuck { waitForReaderProgress() }
            eventSink.yield(.revoked(partitions))
            runHook(\.onRevoked, partitions)
        case .lost(let partitions):
            metrics?.rebalance(kind: "lost", partitions: partitions.count)
            updateFilter { $0.revoke(partitions) }
            state.withLock { $0.revoked(partitions) }
            eventSink.yield(.lost(partitions))
            runHook(\.onLost, partitions)
        case .commitFailed(let error):
            metrics?.commitFailed()
            eventSink.yield(.commitFailed(error))
        case .error(let error):
            eventSink.yield(.error(error))
        }
    }

    /// Waits until the loop has stored the offsets of every message it finished with: it is waiting for the next
    /// batch, or has asked for its next message since the assignment epoch moved (as a Java consumer's revocation
    /// runs inside the next `poll`). Bounded by `max.poll.interval.ms`, the longest the group waits for a member in
    /// a rebalance; runs queued commands meanwhile.
    func waitForReaderProgress() {
        let epoch = currentEpoch
        let deadline = ContinuousClock.now.advanced(by: configuration.maxPollInterval)
        serveCommands {
            reader.hasCaughtUp(with: epoch)
                || !state.withLock({ $0.isRunning }) || ContinuousClock.now >= deadline
        }
    }

    /// Runs queued commands on the poll thread until `done` says so, sleeping in between until something changes
    /// (a command, a hook's end, the reader's progress, a close: each signals), or 100 ms at most.
    func serveCommands(until done: () -> Bool) {
        while !done() {
            runCommands()
            signal.wait(upTo: .milliseconds(100), unless: done)
        }
        runCommands()
    }

    /// Runs a rebalance hook on a task and waits for it here, on the poll thread, so the rebalance completes only
    /// after it; meanwhile runs the commands the hook (or anyone) queues, so a hook can commit.
    ///
    /// The wait ends at ``KafkaConsumerConfiguration/rebalanceHookTimeout`` (or at the close's deadline during a
    /// close): the hook's task is cancelled, the rebalance goes on, and the events stream reports
    /// ``KafkaError/Code/timedOut``. Returns that error, or `nil` when the hook returned in time.
    @discardableResult
    func runHook(
        _ hook: KeyPath<KafkaRebalanceHandler, @Sendable (KafkaRebalanceContext) async -> Void>,
        _ partitions: [KafkaTopicPartition]
    ) -> KafkaError? {
        guard let handler = rebalanceHandler, !partitions.isEmpty else { return nil }
        let body = handler[keyPath: hook]
        let done = HookCompletion()
        let context = KafkaRebalanceContext(partitions: partitions, core: self)
        let owner = ObjectIdentifier(self)
        // A task, not the poll thread: the hook is async and may call back into the consumer (commit, seek), which
        // this thread serves meanwhile.
        let task = Task {
            await Self.$runningHookOf.withValue(owner) { await body(context) }
            done.finished.store(true, ordering: .sequentiallyConsistent)
            signal.signal()
        }
        let started = ContinuousClock.now
        var deadline = started.advanced(by: configuration.rebalanceHookTimeout)
        if let closeDeadline = state.withLock({ $0.closeDeadline }) { deadline = min(deadline, closeDeadline) }
        var lastWarning = started
        serveCommands {
            let now = ContinuousClock.now
            if now - lastWarning > .seconds(10) {
                lastWarning = now
                logger.warning(
                    "a rebalance hook has been running for over \(now - started); the rebalance waits for it"
                )
            }
            return done.finished.load(ordering: .sequentiallyConsistent) || now >= deadline
        }
        guard !done.finished.load(ordering: .acquiring) else { return nil }
        task.cancel()
        let name = hook == \.onAssigned ? "onAssigned" : hook == \.onRevoked ? "onRevoked" : "onLost"
        let error = KafkaError(
            code: .timedOut,
            message: "the \(name) hook for \(partitions) did not return within \(ContinuousClock.now - started); "
                + "the rebalance went on without it (its task was cancelled)"
        )
        logger.warning("\(error.message)")
        eventSink.yield(.error(error))
        return error
    }
}

final class HookCompletion: Sendable {
    let finished = Atomic<Bool>(false)
}
