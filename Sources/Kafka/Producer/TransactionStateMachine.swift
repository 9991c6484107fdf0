/// The Swift side of a transactional producer's state: which transaction step may start now, and which one is
/// under way. librdkafka keeps the protocol state; this machine keeps the application's misuse (two steps at
/// once, a commit without a transaction) and a fatal error from reaching it, and tells a closing producer
/// whether an open transaction must be aborted.
///
/// A pure value: the producer keeps it behind one lock and acts on what it returns after unlocking.
struct TransactionStateMachine {
    /// A transaction step, each one librdkafka call.
    enum Step: String, Equatable, Sendable {
        case initialize = "initializing transactions"
        case begin = "beginning a transaction"
        case sendOffsets = "sending offsets to the transaction"
        case commit = "committing the transaction"
        case abort = "aborting the transaction"
    }

    enum Phase: Equatable {
        /// `rd_kafka_init_transactions` has not succeeded yet.
        case uninitialized
        /// Initialized, no transaction open.
        case ready
        /// A transaction is open (begun, not yet committed or aborted).
        case open
        /// A fatal error was raised: every step is refused with it.
        case failed
        /// The producer is closing or closed.
        case closed
    }

    /// Why a step may not start.
    enum Refusal: Equatable {
        case fatal
        case closed
        case stepUnderWay(Step)
        case alreadyOpen
        case notOpen
    }

    enum StartAction: Equatable {
        /// Run the step (it is now the step under way).
        case run
        /// Nothing to do: transactions are initialized already.
        case skip
        /// Begin needs the transactions initialized first: run ``Step/initialize``, then start the begin again.
        case initializeFirst
        case refuse(Refusal)
    }

    enum CloseAction: Equatable {
        /// A transaction is open and no step is under way: abort it (the step under way is now the abort).
        case abortOpenTransaction
        case none
    }

    private(set) var phase: Phase = .uninitialized
    private(set) var stepUnderWay: Step?
    /// The fatal error, once raised.
    private(set) var fatalError: KafkaError?

    mutating func start(_ step: Step) -> StartAction {
        if phase == .closed { return .refuse(.closed) }
        if phase == .failed { return .refuse(.fatal) }
        if let stepUnderWay { return .refuse(.stepUnderWay(stepUnderWay)) }
        switch (step, phase) {
        case (.initialize, .uninitialized), (.begin, .ready), (.sendOffsets, .open), (.commit, .open),
            (.abort, .open):
            stepUnderWay = step
            return .run
        case (.initialize, _):
            return .skip
        case (.begin, .uninitialized):
            return .initializeFirst
        case (.begin, _):
            return .refuse(.alreadyOpen)
        default:
            return .refuse(.notOpen)
        }
    }

    /// Records the end of the step under way: `error` `nil` for success. A fatal error fails the machine; any
    /// other error leaves the phase as it was (a failed commit leaves the transaction open, to be retried or
    /// aborted).
    mutating func finish(_ step: Step, error: KafkaError?) {
        guard stepUnderWay == step else { return }
        stepUnderWay = nil
        if let error, error.isFatal {
            fatalError = error
            if phase != .closed { phase = .failed }
            return
        }
        guard error == nil, phase != .closed else { return }
        switch step {
        case .initialize, .commit, .abort: phase = .ready
        case .begin, .sendOffsets: phase = .open
        }
    }

    /// The producer closes: no step starts from here on.
    mutating func close() -> CloseAction {
        let wasOpen = phase == .open
        phase = .closed
        guard wasOpen, stepUnderWay == nil else { return .none }
        stepUnderWay = .abort
        return .abortOpenTransaction
    }
}
