import Testing

@testable import Kafka

/// Waiters are plain ids here: the state only keeps and returns them.
private typealias State = BatchHandOverState<String, Int>

private struct Failure: Error, Equatable {}

/// What `next()` returned, in a comparable form.
private enum Next: Equatable {
    case element(String, demand: Bool)
    case end(failed: Bool, cancelled: Bool, terminate: Bool)
    case suspend
    case concurrentNext
}

private func next(_ state: inout State) -> Next {
    switch state.next() {
    case .element(let element, let demand): return .element(element, demand: demand)
    case .end(let failure, let terminate):
        return .end(failed: failure is Failure, cancelled: failure is CancellationError, terminate: terminate)
    case .suspend: return .suspend
    case .concurrentNext: return .concurrentNext
    }
}

private func yield(_ state: inout State, _ element: String) -> (BatchYieldResult, Int?) {
    let action = state.yield(element)
    return (action.result, action.resume)
}

@Suite("BatchHandOver state")
struct BatchHandOverTests {
    @Test("yields say stop at the high watermark; taking below the low one asks for more, once per demand")
    func watermarks() {
        var state = State(lowWatermark: 2, highWatermark: 4)
        _ = state.iteratorMade()
        #expect(yield(&state, "a").0 == .produceMore)
        #expect(yield(&state, "b").0 == .produceMore)
        #expect(yield(&state, "c").0 == .produceMore)
        #expect(yield(&state, "d").0 == .stopProducing)
        #expect(state.bufferedCount == 4)
        #expect(next(&state) == .element("a", demand: false))  // 3 left
        #expect(next(&state) == .element("b", demand: false))  // 2 left
        #expect(next(&state) == .element("c", demand: true))  // 1 left: below the low watermark
        #expect(next(&state) == .element("d", demand: false))  // the demand is outstanding already
        #expect(next(&state) == .suspend)
        #expect(state.suspend(7).isWaiting(demand: false))
        // A yield hands the element to the waiter, not to the buffer.
        let (result, waiter) = yield(&state, "e")
        #expect(result == .produceMore && waiter == 7)
        #expect(state.bufferedCount == 0)
        #expect(next(&state) == .suspend)
    }

    @Test("waiting on an empty buffer after a stop asks for more")
    func waitingDemands() {
        var state = State(lowWatermark: 1, highWatermark: 2)
        _ = state.iteratorMade()
        #expect(yield(&state, "a").0 == .produceMore)
        #expect(yield(&state, "b").0 == .stopProducing)
        #expect(next(&state) == .element("a", demand: false))
        #expect(next(&state) == .element("b", demand: true))
        #expect(yield(&state, "c").0 == .produceMore)
        #expect(next(&state) == .element("c", demand: false), "the yield's result was the demand")
        #expect(next(&state) == .suspend)
        #expect(state.suspend(1).isWaiting(demand: false))
        var fresh = State(lowWatermark: 1, highWatermark: 2)
        _ = fresh.iteratorMade()
        #expect(next(&fresh) == .suspend)
        #expect(fresh.suspend(1).isWaiting(demand: true), "the first wait asks for the first batch")
    }

    @Test("a finish hands out what is buffered first, then the failure once, then the end")
    func finishAfterBuffered() {
        var state = State(lowWatermark: 1, highWatermark: 10)
        _ = state.iteratorMade()
        _ = yield(&state, "a")
        _ = yield(&state, "b")
        #expect(state.finish(Failure()) == nil, "nobody waits")
        #expect(yield(&state, "late").0 == .dropped)
        #expect(next(&state) == .element("a", demand: false))
        #expect(next(&state) == .element("b", demand: false))
        #expect(next(&state) == .end(failed: true, cancelled: false, terminate: true))
        #expect(next(&state) == .end(failed: false, cancelled: false, terminate: false))
    }

    @Test("a finish discarding what is buffered ends at once")
    func finishDiscarding() {
        var state = State(lowWatermark: 1, highWatermark: 10)
        _ = state.iteratorMade()
        _ = yield(&state, "a")
        #expect(state.finish(Failure(), discardingBuffered: true) == nil)
        #expect(state.bufferedCount == 0)
        #expect(next(&state) == .end(failed: true, cancelled: false, terminate: true))
    }

    @Test("a finish resumes a waiting next()")
    func finishWhileWaiting() {
        var state = State(lowWatermark: 1, highWatermark: 10)
        _ = state.iteratorMade()
        #expect(next(&state) == .suspend)
        #expect(state.suspend(3).isWaiting(demand: true))
        let resumed = state.finish(nil)
        #expect(resumed?.0 == 3 && resumed?.1 == nil)
        #expect(next(&state) == .end(failed: false, cancelled: false, terminate: false))
        #expect(state.finish(Failure()) == nil, "finishing twice does nothing")
    }

    @Test("cancellation resumes a waiting next(), or makes the next one throw, and terminates once")
    func cancellation() {
        var waiting = State(lowWatermark: 1, highWatermark: 10)
        _ = waiting.iteratorMade()
        #expect(next(&waiting) == .suspend)
        _ = waiting.suspend(5)
        let action = waiting.cancelled()
        #expect(action.waiter == 5 && action.terminate)
        #expect(waiting.cancelled().terminate == false)
        #expect(yield(&waiting, "x").0 == .dropped)

        var buffered = State(lowWatermark: 1, highWatermark: 10)
        _ = buffered.iteratorMade()
        _ = yield(&buffered, "a")
        let first = buffered.cancelled()
        #expect(first.waiter == nil && first.terminate)
        #expect(next(&buffered) == .end(failed: false, cancelled: true, terminate: false))
        #expect(next(&buffered) == .end(failed: false, cancelled: false, terminate: false))
    }

    @Test("the iterator's end terminates once and drops what is buffered; a sequence's end only without iterator")
    func iteratorAndSequenceEnd() {
        var state = State(lowWatermark: 1, highWatermark: 10)
        _ = state.iteratorMade()
        _ = yield(&state, "a")
        #expect(state.sequenceEnded() == false, "an iterator was made: the sequence's end changes nothing")
        #expect(state.iteratorEnded() == true)
        #expect(state.bufferedCount == 0)
        #expect(state.iteratorEnded() == false)
        #expect(yield(&state, "b").0 == .dropped)

        var unused = State(lowWatermark: 1, highWatermark: 10)
        _ = yield(&unused, "a")
        #expect(unused.sequenceEnded() == true, "never iterated: the consumer closes")
        #expect(unused.sequenceEnded() == false)
    }

    /// A taken batch holds librdkafka's messages and the fetch responses they point into: the buffer must not keep
    /// it while the producer keeps the buffer from ever running empty (as a loop a little slower than fetching does).
    @Test("a taken element is released at once, though the buffer never runs empty")
    func takenElementsAreReleased() {
        final class Batch: Sendable {}
        var state = BatchHandOverState<Batch, Int>(lowWatermark: 2, highWatermark: 4)
        _ = state.iteratorMade()
        _ = state.yield(Batch())
        var released: [() -> Bool] = []
        for _ in 0..<100 {
            let batch = Batch()
            _ = state.yield(batch)
            do {
                guard case .element(let taken, _) = state.next() else {
                    Issue.record("expected a buffered element")
                    return
                }
                weak var weakTaken = taken
                released.append { weakTaken == nil }
            }
            #expect(state.bufferedCount == 1)
        }
        #expect(released.allSatisfy { $0() }, "\(released.filter { !$0() }.count) of 100 taken elements still held")
    }

    @Test("a second iterator, or a second next() while one waits, is refused (an error, never a trap)")
    func misuse() {
        var state = State(lowWatermark: 1, highWatermark: 4)
        let first = state.iteratorMade()
        let second = state.iteratorMade()
        #expect(first && !second, "a second iterator")
        #expect(next(&state) == .suspend)
        #expect(state.suspend(1).isWaiting(demand: true))
        #expect(next(&state) == .concurrentNext)
        // The waiting next() is unaffected: a yield still reaches it.
        let (result, waiter) = yield(&state, "a")
        #expect(result == .produceMore && waiter == 1)
    }
}

extension BatchHandOverState.SuspendAction {
    fileprivate func isWaiting(demand: Bool) -> Bool {
        if case .waiting(let d) = self { return d == demand }
        return false
    }

}
