import NIOCore
import Synchronization

/// The hand-over of fetched batches from the poll thread to the loop's iterator, with backpressure.
///
/// It keeps the semantics of NIO's `NIOThrowingAsyncSequenceProducer` with a high/low watermark strategy (which
/// the consumer used before): `yield` says whether to keep producing (buffer below the high watermark); taking a
/// batch that leaves the buffer below the low watermark, or waiting on an empty one, asks for more (once per
/// demand); a finish delivers what is buffered first; the iterator's end, the sequence's end without an iterator,
/// and the cancellation of a waiting task terminate it. The difference: ``next()`` runs on the caller's executor,
/// and returns a buffered batch without suspending. NIO's `next()` is a plain `nonisolated async` function, so a
/// loop on the main actor hopped off it and back for every batch, ready or not, which cost a loop over 100-byte
/// messages ~30 % of its speed (`kafka-bench consume`, main actor vs a detached task).
final class BatchHandOver<Element: Sendable>: Sendable {
    typealias Waiter = UnsafeContinuation<Element?, any Error>

    private let state: Mutex<BatchHandOverState<Element, Waiter>>
    private let onDemand: @Sendable () -> Void
    private let onTerminate: @Sendable () -> Void

    /// - Parameters:
    ///   - onDemand: the loop wants more (the buffer went below `lowWatermark`, or it waits on an empty one).
    ///   - onTerminate: the loop takes no more: it was handed the end, its iterator or (never iterated) the
    ///     sequence went away, or its task was cancelled. Called once.
    init(
        lowWatermark: Int,
        highWatermark: Int,
        onDemand: @escaping @Sendable () -> Void,
        onTerminate: @escaping @Sendable () -> Void
    ) {
        self.state = Mutex(BatchHandOverState(lowWatermark: lowWatermark, highWatermark: highWatermark))
        self.onDemand = onDemand
        self.onTerminate = onTerminate
    }

    // MARK: Producer (poll thread)

    func yield(_ element: Element) -> BatchYieldResult {
        let action = state.withLock { $0.yield(element) }
        if let waiter = action.resume { waiter.resume(returning: element) }
        return action.result
    }

    /// Ends the sequence after what is buffered (or, `discardingBuffered`, at once), with `failure` if given.
    func finish(_ failure: (any Error)? = nil, discardingBuffered: Bool = false) {
        let action = state.withLock { $0.finish(failure, discardingBuffered: discardingBuffered) }
        if let (waiter, failure) = action {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
            onTerminate()
        }
    }

    // MARK: Consumer (the loop's iterator)

    /// Marks the one iterator made; `false` when one was made before (this one must not be used).
    func iteratorMade() -> Bool {
        state.withLock { $0.iteratorMade() }
    }

    /// What a second iterator's `next()` throws.
    static var secondIteration: KafkaError {
        KafkaError(
            code: .invalidUsage,
            message: "a consumer's messages can be iterated once, by one loop: iterate `messages` or `batches()`, "
                + "not both, and not twice"
        )
    }

    func iteratorEnded() {
        if state.withLock({ $0.iteratorEnded() }) { onTerminate() }
    }

    func sequenceEnded() {
        if state.withLock({ $0.sequenceEnded() }) { onTerminate() }
    }

    /// The next batch if one is buffered now, else `nil` (also at the end, which ``next()`` then reports). Never
    /// suspends.
    func nextIfReady() -> Element? {
        let action: BatchHandOverState<Element, Waiter>.NextAction? = state.withLock { state in
            guard case .streaming = state.phase, state.bufferedCount > 0 else { return nil }
            return state.next()
        }
        guard case .element(let element, let demand)? = action else { return nil }
        if demand { onDemand() }
        return element
    }

    /// The next batch; `nil` once finished. Runs on the caller's executor and suspends only when nothing is
    /// buffered.
    /// - Throws: the producer's failure, or `CancellationError` when the task is cancelled.
    nonisolated(nonsending) func next() async throws -> Element? {
        if Task.isCancelled {
            if state.withLock({ $0.cancelled() }).terminate { onTerminate() }
        }
        switch state.withLock({ $0.next() }) {
        case .element(let element, let demand):
            if demand { onDemand() }
            return element
        case .end(let failure, let terminate):
            if terminate { onTerminate() }
            if let failure { throw failure }
            return nil
        case .suspend:
            break
        case .concurrentNext:
            throw KafkaError(
                code: .invalidUsage,
                message: "next() was called while another next() of the same consumer iterator was waiting"
            )
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (waiter: Waiter) in
                switch state.withLock({ $0.suspend(waiter) }) {
                case .waiting(let demand):
                    if demand { onDemand() }
                case .element(let element, let demand):
                    waiter.resume(returning: element)
                    if demand { onDemand() }
                case .end(let failure, let terminate):
                    if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
                    if terminate { onTerminate() }
                case .concurrentNext:
                    waiter.resume(
                        throwing: KafkaError(
                            code: .invalidUsage,
                            message: "next() was called while another next() of the same consumer iterator was waiting"
                        )
                    )
                }
            }
        } onCancel: {
            let action = state.withLock { $0.cancelled() }
            action.waiter?.resume(throwing: CancellationError())
            if action.terminate { onTerminate() }
        }
    }
}

/// What ``BatchHandOver/yield(_:)`` tells the producer.
enum BatchYieldResult: Equatable, Sendable {
    /// Below the high watermark: go on.
    case produceMore
    /// At the high watermark: stop until the next demand.
    case stopProducing
    /// The sequence is finished or terminated: the element was dropped.
    case dropped
}

/// ``BatchHandOver``'s state, a value for tests. One iterator; `Waiter` is its suspended `next()`.
struct BatchHandOverState<Element, Waiter> {
    enum Phase {
        case streaming
        /// The producer finished; buffered elements are still handed out, then the failure (or the end).
        case sourceFinished((any Error)?)
        /// The task was cancelled: the next `next()` throws `CancellationError`.
        case cancelled
        case finished
    }

    enum NextAction {
        case element(Element, demand: Bool)
        case end((any Error)?, terminate: Bool)
        case suspend
        /// Another `next()` is waiting already (copies of one iterator used from two tasks): a misuse.
        case concurrentNext
    }

    enum SuspendAction {
        case waiting(demand: Bool)
        case element(Element, demand: Bool)
        case end((any Error)?, terminate: Bool)
        case concurrentNext
    }

    let lowWatermark: Int
    let highWatermark: Int
    private(set) var phase = Phase.streaming
    /// A ring: taking an element releases it at once (a taken batch holds its librdkafka messages and the fetch
    /// responses they point into).
    private var buffer = CircularBuffer<Element>(initialCapacity: 16)
    private var waiter: Waiter? = nil
    /// Whether the producer was told to produce (by `yield`'s result or a demand) since it was last told to stop.
    private var hasOutstandingDemand = false
    private var hasIterator = false

    init(lowWatermark: Int, highWatermark: Int) {
        self.lowWatermark = lowWatermark
        self.highWatermark = highWatermark
    }

    var bufferedCount: Int { buffer.count }

    /// Whether taking an element (or waiting) turns into new demand for the producer.
    private mutating func demandAfterConsuming() -> Bool {
        let more = bufferedCount < lowWatermark
        defer { hasOutstandingDemand = more }
        return more && !hasOutstandingDemand
    }

    mutating func yield(_ element: Element) -> (result: BatchYieldResult, resume: Waiter?) {
        guard case .streaming = phase else { return (.dropped, nil) }
        if let waiter {
            self.waiter = nil
            hasOutstandingDemand = bufferedCount < highWatermark
            return (hasOutstandingDemand ? .produceMore : .stopProducing, waiter)
        }
        buffer.append(element)
        hasOutstandingDemand = bufferedCount < highWatermark
        return (hasOutstandingDemand ? .produceMore : .stopProducing, nil)
    }

    /// A waiter to resume with `failure` (or the end), after which the iterator is terminated.
    mutating func finish(_ failure: (any Error)?, discardingBuffered: Bool = false) -> (Waiter, (any Error)?)? {
        guard case .streaming = phase else { return nil }
        if discardingBuffered {
            buffer.removeAll()
        }
        if let waiter {
            self.waiter = nil
            phase = .finished
            return (waiter, failure)
        }
        phase = .sourceFinished(failure)
        return nil
    }

    mutating func next() -> NextAction {
        switch phase {
        case .streaming:
            guard waiter == nil else { return .concurrentNext }
            guard let element = buffer.popFirst() else { return .suspend }
            return .element(element, demand: demandAfterConsuming())
        case .sourceFinished(let failure):
            if let element = buffer.popFirst() { return .element(element, demand: false) }
            phase = .finished
            return .end(failure, terminate: true)
        case .cancelled:
            phase = .finished
            return .end(CancellationError(), terminate: false)
        case .finished:
            return .end(nil, terminate: false)
        }
    }

    mutating func suspend(_ waiter: Waiter) -> SuspendAction {
        switch next() {
        case .element(let element, let demand): return .element(element, demand: demand)
        case .end(let failure, let terminate): return .end(failure, terminate: terminate)
        case .concurrentNext: return .concurrentNext
        case .suspend:
            self.waiter = waiter
            return .waiting(demand: demandAfterConsuming())
        }
    }

    /// The waiting task (if any) to resume with `CancellationError`, and whether to terminate.
    mutating func cancelled() -> (waiter: Waiter?, terminate: Bool) {
        switch phase {
        case .streaming, .sourceFinished:
            if let waiter {
                self.waiter = nil
                phase = .finished
                return (waiter, true)
            }
            phase = .cancelled
            return (nil, true)
        case .cancelled, .finished:
            return (nil, false)
        }
    }

    /// Whether this is the one iterator (`false`: one was made before; the new one must not be used).
    mutating func iteratorMade() -> Bool {
        guard !hasIterator else { return false }
        hasIterator = true
        return true
    }

    /// Whether to terminate: the iterator went away before the end.
    mutating func iteratorEnded() -> Bool {
        if case .finished = phase { return false }
        phase = .finished
        buffer.removeAll()
        return true
    }

    /// Whether to terminate: the sequence went away without an iterator ever made.
    mutating func sequenceEnded() -> Bool {
        guard !hasIterator else { return false }
        return iteratorEnded()
    }
}
