@testable import Kafka
import Testing

private let tp0 = KafkaTopicPartition(topic: "t", partition: 0)
private let tp1 = KafkaTopicPartition(topic: "t", partition: 1)
private let delivered = Result<KafkaDelivery, KafkaError>.success(
    KafkaDelivery(topic: "t", partition: 0, offset: 7, timestamp: nil)
)

@Suite("DeliveryRegistry")
struct DeliveryRegistryTests {
    @Test("a report resumes the waiter that attached first")
    func waiterFirst() {
        var registry = DeliveryRegistry<String>()
        guard case .wait = registry.attach("w1", for: 1) else { Issue.record("expected wait"); return }
        #expect(registry.complete(1, with: delivered) == "w1")
        #expect(registry.count == 0)
    }

    @Test("a report that comes before its waiter is kept for it")
    func reportFirst() {
        var registry = DeliveryRegistry<String>()
        #expect(registry.complete(2, with: delivered) == nil)
        guard case .resume(let outcome) = registry.attach("w2", for: 2) else { Issue.record("expected resume"); return }
        #expect((try? outcome.get())?.offset == 7)
        #expect(registry.count == 0)
    }

    @Test("close hands back the waiters and fails later ones without a report")
    func close() {
        var registry = DeliveryRegistry<String>()
        _ = registry.attach("a", for: 1)
        _ = registry.complete(2, with: delivered)
        #expect(registry.close() == ["a"])
        guard case .resume = registry.attach("b", for: 2) else { Issue.record("a kept report still resumes"); return }
        guard case .failShutdown = registry.attach("c", for: 3) else { Issue.record("expected failShutdown"); return }
    }

    @Test("a failed produce takes its waiter back")
    func cancel() {
        var registry = DeliveryRegistry<String>()
        _ = registry.attach("a", for: 1)
        #expect(registry.cancel(1) == "a")
        #expect(registry.cancel(1) == nil)
    }
}

@Suite("ProducerStateMachine")
struct ProducerStateMachineTests {
    let now = ContinuousClock.now

    @Test("flush waits until the queue is empty")
    func flushWaitsForEmptyQueue() {
        var machine = ProducerStateMachine<String>()
        guard case .wait = machine.flush("f", deadline: now + .seconds(10)) else { Issue.record("expected wait"); return }
        let r1 = machine.tick(outQueueLength: 3, now: now).flushed
        #expect(r1.isEmpty)
        let tick = machine.tick(outQueueLength: 0, now: now)
        #expect(tick.flushed.map(\.0) == ["f"])
        #expect(tick.flushed.map(\.1) == [true])
        let r2 = machine.tick(outQueueLength: 0, now: now).flushed
        #expect(r2.isEmpty, "resumed once")
    }

    @Test("flush fails at its deadline")
    func flushDeadline() {
        var machine = ProducerStateMachine<String>()
        _ = machine.flush("f", deadline: now + .milliseconds(5))
        let tick = machine.tick(outQueueLength: 1, now: now + .milliseconds(6))
        #expect(tick.flushed.map(\.1) == [false])
    }

    @Test("the first close starts it, later ones wait, after closed they resume at once")
    func close() {
        var machine = ProducerStateMachine<String>()
        #expect(machine.isRunning)
        let r3 = machine.close("c1", deadline: now)
        #expect(r3 == .startClose)
        let r4 = machine.close("c2", deadline: now)
        #expect(r4 == .wait)
        let r5 = machine.close(nil, deadline: now)
        #expect(r5 == .wait)
        let r6 = machine.tick(outQueueLength: 0, now: now).closeDeadline
        #expect(r6 == now)
        let r7 = machine.waitUntilClosed("run")
        #expect(r7)
        let (flush, close) = machine.closed()
        #expect(flush.isEmpty)
        #expect(close == ["c1", "c2", "run"])
        let r8 = machine.close("c3", deadline: now)
        #expect(r8 == .resume)
        let r9 = machine.waitUntilClosed("late")
        #expect(!r9)
        guard case .failShutdown = machine.flush("f", deadline: now) else { Issue.record("expected failShutdown"); return }
    }
}


@Suite("ConsumerStateMachine")
struct ConsumerStateMachineTests {
    @Test("backpressure pauses every assigned partition once, and resumes them")
    func backpressure() {
        var machine = ConsumerStateMachine<String>()
        let r10 = machine.assigned([tp1, tp0])
        #expect(r10 == .none)
        let r11 = machine.reconcileFetching()
        #expect(r11 == .none)
        let r12 = machine.stopProducing()
        #expect(r12)
        let r13 = machine.stopProducing()
        #expect(!r13, "a second stop needs no wake-up")
        let r14 = machine.reconcileFetching()
        #expect(r14 == .pause([tp0, tp1]))
        let r15 = machine.reconcileFetching()
        #expect(r15 == .none)
        let r16 = machine.produceMore()
        #expect(r16)
        let r17 = machine.reconcileFetching()
        #expect(r17 == .resume([tp0, tp1]))
        let r18 = machine.produceMore()
        #expect(!r18)
    }

    @Test("partitions assigned while paused are paused too")
    func assignWhilePaused() {
        var machine = ConsumerStateMachine<String>()
        _ = machine.assigned([tp0])
        _ = machine.stopProducing()
        _ = machine.reconcileFetching()
        let r19 = machine.assigned([tp1])
        #expect(r19 == .pause([tp1]))
        machine.revoked([tp0])
        #expect(machine.assigned == [tp1])
    }

    @Test("no wake-up for more demand once closing")
    func noWakeDuringClose() {
        var machine = ConsumerStateMachine<String>()
        _ = machine.stopProducing()
        let r20 = machine.close(nil)
        #expect(r20 == .startClose)
        let r21 = machine.produceMore()
        #expect(!r21)
    }

    @Test("close waiters are resumed once closed")
    func close() {
        var machine = ConsumerStateMachine<String>()
        let r22 = machine.waitUntilClosed("run")
        #expect(r22)
        let r23 = machine.close("a")
        #expect(r23 == .startClose)
        let r24 = machine.close("b")
        #expect(r24 == .wait)
        #expect(!machine.isRunning)
        let r25 = machine.closed()
        #expect(r25 == ["run", "a", "b"])
        let r26 = machine.close("c")
        #expect(r26 == .resume)
    }

    @Test("all at end once every assigned partition reached its end")
    func ends() {
        var machine = ConsumerStateMachine<String>()
        _ = machine.assigned([tp0, tp1])
        let r27 = machine.reachedEnd(tp0)
        #expect(!r27)
        let r28 = machine.reachedEnd(tp1)
        #expect(r28)
    }
}

@Suite("PartitionEndTracker")
struct PartitionEndTrackerTests {
    @Test("nothing assigned is never at end")
    func emptyIsNotAtEnd() {
        var tracker = PartitionEndTracker()
        #expect(!tracker.allAtEnd)
        tracker.reachedEnd(tp0)
        #expect(!tracker.allAtEnd, "an end of a partition not assigned does not count")
    }

    @Test("a message after an end means the partition is not at its end any more")
    func messageAfterEnd() {
        var tracker = PartitionEndTracker()
        tracker.assign([tp0, tp1])
        tracker.reachedEnd(tp0)
        tracker.reachedEnd(tp1)
        #expect(tracker.allAtEnd)
        tracker.received(tp1)
        #expect(!tracker.allAtEnd)
        tracker.reachedEnd(tp1)
        #expect(tracker.allAtEnd)
    }

    @Test("revoking a partition that is behind leaves the rest at end; a new one must reach its end")
    func revokeAndAssign() {
        var tracker = PartitionEndTracker()
        tracker.assign([tp0, tp1])
        tracker.reachedEnd(tp0)
        #expect(!tracker.allAtEnd)
        tracker.revoke([tp1])
        #expect(tracker.allAtEnd)
        tracker.assign([tp1])
        #expect(!tracker.allAtEnd)
    }
}
