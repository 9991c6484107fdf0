import NIOCore
import Synchronization

/// The one owner of a producer's mutable state: its ``ProducerStateMachine`` behind one lock. It is also the
/// delivery-report sequence's delegate, so the reader's demand and the yields' answers meet in the same machine.
///
/// `reportReaderBehind` mirrors ``ProducerStateMachine/isReportReaderBehind`` for the send path's lock-free check;
/// it is written only while the machine's lock is held, right after the machine changed.
final class ProducerState: NIOAsyncSequenceProducerDelegate, Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>

    private let machine = Mutex(ProducerStateMachine<Waiter>())
    private let reportReaderBehind = Atomic<Bool>(false)

    init() {}

    /// Runs `body` on the machine, under its lock; keeps the send path's mirror current.
    func withMachine<T>(_ body: (inout ProducerStateMachine<Waiter>) -> T) -> T {
        machine.withLock { machine in
            let result = body(&machine)
            reportReaderBehind.store(machine.isReportReaderBehind, ordering: .releasing)
            return result
        }
    }

    /// Whether fire-and-forget sends wait for the report reader (one atomic load).
    var isReportReaderBehind: Bool { reportReaderBehind.load(ordering: .acquiring) }

    // MARK: NIOAsyncSequenceProducerDelegate (the report reader)

    func produceMore() {
        for waiter in withMachine({ $0.reportReaderWantsMore() }) { waiter.resume() }
    }

    func didTerminate() {
        for waiter in withMachine({ $0.reportReaderGone() }) { waiter.resume() }
    }

    // MARK: Waits of the send path

    /// Suspends while the report reader is behind; returns at once when it is not (one atomic load).
    nonisolated(nonsending) func waitForReportReader() async {
        guard isReportReaderBehind else { return }
        try? await withCheckedThrowingContinuation { (waiter: Waiter) in
            if withMachine({ $0.waitForReportReader(waiter) }) == .resumeNow { waiter.resume() }
        }
    }

    /// Suspends until reports were served (room may have freed) or the handle closed to sends.
    nonisolated(nonsending) func waitForQueueSpace() async {
        try? await withCheckedThrowingContinuation { (waiter: Waiter) in
            if withMachine({ $0.waitForQueueSpace(waiter) }) == .resumeNow { waiter.resume() }
        }
    }

    /// Resumes the sends waiting for room.
    func queueSpaceMayHaveFreed() {
        for waiter in withMachine({ $0.queueSpaceMayHaveFreed() }) { waiter.resume() }
    }
}
