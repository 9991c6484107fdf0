import Testing

@testable import Kafka

private let tp0 = KafkaTopicPartition(topic: "t", partition: 0)
private let tp1 = KafkaTopicPartition(topic: "t", partition: 1)
private let tp2 = KafkaTopicPartition(topic: "t", partition: 2)
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
        guard case .wait = machine.flush("f", deadline: now + .seconds(10)) else {
            Issue.record("expected wait"); return
        }
        let waiting = machine.tick(outQueueLength: 3, now: now)
        #expect(waiting.flushed.isEmpty)
        #expect(waiting.flushing, "the poll thread serves as a flush while one waits")
        let tick = machine.tick(outQueueLength: 0, now: now)
        #expect(tick.flushed.map(\.0) == ["f"])
        #expect(tick.flushed.map(\.1) == [true])
        #expect(!tick.flushing, "nothing waits any more")
        let r2 = machine.tick(outQueueLength: 0, now: now).flushed
        #expect(r2.isEmpty, "resumed once")
    }

    @Test("flush fails at its deadline")
    func flushDeadline() {
        var machine = ProducerStateMachine<String>()
        _ = machine.flush("f", deadline: now + .milliseconds(5))
        let tick = machine.tick(outQueueLength: 1, now: now + .milliseconds(6))
        #expect(tick.flushed.map(\.1) == [false])
        #expect(!tick.flushing)
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
        guard case .failShutdown = machine.flush("f", deadline: now) else {
            Issue.record("expected failShutdown"); return
        }
    }

    @Test("report flow: a .stopProducing that crossed the reader's later demand is ignored, so no send parks")
    func staleStopIsIgnored() {
        var machine = ProducerStateMachine<String>()
        // The serving thread takes the demand count, then yields; the reader drains its buffer and asks for more
        // (produceMore) before the yield's .stopProducing answer is applied.
        let seen = machine.reportDemandGeneration
        #expect(machine.reportReaderWantsMore().isEmpty)
        machine.reportReaderBehind(seenDemand: seen)
        #expect(!machine.isReportReaderBehind, "the stale answer must not hold sends back")
        #expect(machine.waitForReportReader("send") == .resumeNow)
        // A current answer does hold them back, until the next demand.
        machine.reportReaderBehind(seenDemand: machine.reportDemandGeneration)
        #expect(machine.isReportReaderBehind)
        #expect(machine.waitForReportReader("s1") == .wait)
        #expect(machine.waitForReportReader("s2") == .wait)
        #expect(machine.reportReaderWantsMore() == ["s1", "s2"])
        #expect(!machine.isReportReaderBehind)
    }

    @Test("report flow: once the reader is gone, no send waits for it")
    func readerGone() {
        var machine = ProducerStateMachine<String>()
        machine.reportReaderBehind(seenDemand: machine.reportDemandGeneration)
        #expect(machine.waitForReportReader("s1") == .wait)
        #expect(machine.reportReaderGone() == ["s1"])
        machine.reportReaderBehind(seenDemand: machine.reportDemandGeneration)
        #expect(!machine.isReportReaderBehind)
        #expect(machine.waitForReportReader("s2") == .resumeNow)
    }

    @Test("queue space: waiters are released by served reports, and at the close; none parks after it")
    func queueSpaceWaiters() {
        var machine = ProducerStateMachine<String>()
        #expect(machine.waitForQueueSpace("a") == .wait)
        #expect(machine.queueSpaceMayHaveFreed() == ["a"])
        #expect(machine.queueSpaceMayHaveFreed().isEmpty)
        #expect(machine.waitForQueueSpace("b") == .wait)
        machine.reportReaderBehind(seenDemand: machine.reportDemandGeneration)
        #expect(machine.waitForReportReader("r") == .wait)
        #expect(machine.close(nil, deadline: now + .seconds(30)) == .startClose)
        // Closing but not draining yet: the handle still takes sends, which may still wait.
        #expect(machine.waitForQueueSpace("c") == .wait)
        // The poll thread closes the handle to sends: every waiter goes, in one action.
        #expect(Set(machine.beginDraining()) == ["b", "c", "r"])
        // A send that found the queue full just before, and parks after the last wake-up, is not left waiting.
        #expect(machine.waitForQueueSpace("late") == .resumeNow)
        #expect(machine.waitForReportReader("late reader") == .resumeNow)
        #expect(machine.tick(outQueueLength: 1, now: now).closeDeadline == now + .seconds(30))
        let (flush, close) = machine.closed()
        #expect(flush.isEmpty && close.isEmpty)
    }
}

@Suite("ConsumerStateMachine")
struct ConsumerStateMachineTests {
    @Test("a reader that falls behind first holds the loop back, then pauses every partition, then resumes them")
    func backpressure() {
        var machine = ConsumerStateMachine<String>()
        let t0 = ContinuousClock.now
        let grace = Duration.seconds(1)
        let r0 = machine.assigned([tp1, tp0])
        #expect(r0 == .poll)
        let r1 = machine.nextFetchAction(now: t0, pauseAfter: grace)
        #expect(r1 == .poll)
        let r2 = machine.stopProducing(now: t0, seenDemand: machine.demandGeneration)
        #expect(!r2, "the loop notices by itself")
        let r3 = machine.nextFetchAction(now: t0 + .milliseconds(500), pauseAfter: grace)
        #expect(r3 == .wait, "within the grace period fetched messages stay in librdkafka's queue")
        let r4 = machine.nextFetchAction(now: t0 + .seconds(1), pauseAfter: grace)
        #expect(r4 == .pause([tp0, tp1]))
        let r5 = machine.nextFetchAction(now: t0 + .seconds(2), pauseAfter: grace)
        #expect(r5 == .poll, "paused: keep polling for events")
        let r6 = machine.produceMore()
        #expect(r6, "a paused loop is woken to resume")
        let r7 = machine.nextFetchAction(now: t0 + .seconds(2), pauseAfter: grace)
        #expect(r7 == .resume([tp0, tp1]))
        let r8 = machine.produceMore()
        #expect(!r8)
    }

    @Test("a reader that catches up within the grace period never pauses")
    func shortSaturation() {
        var machine = ConsumerStateMachine<String>()
        let t0 = ContinuousClock.now
        _ = machine.assigned([tp0])
        _ = machine.stopProducing(now: t0, seenDemand: machine.demandGeneration)
        let r1 = machine.produceMore()
        #expect(!r1, "nothing was paused: no wake-up needed")
        let r2 = machine.nextFetchAction(now: t0 + .seconds(5), pauseAfter: .seconds(1))
        #expect(r2 == .poll)
    }

    @Test("partitions assigned while paused are paused too")
    func assignWhilePaused() {
        var machine = ConsumerStateMachine<String>()
        let t0 = ContinuousClock.now
        _ = machine.assigned([tp0])
        _ = machine.stopProducing(now: t0, seenDemand: machine.demandGeneration)
        _ = machine.nextFetchAction(now: t0 + .seconds(2), pauseAfter: .seconds(1))
        let r1 = machine.assigned([tp1])
        #expect(r1 == .pause([tp1]))
        machine.revoked([tp0])
        #expect(machine.assigned == [tp1])
    }

    @Test("no wake-up for more demand once closing")
    func noWakeDuringClose() {
        var machine = ConsumerStateMachine<String>()
        let t0 = ContinuousClock.now
        _ = machine.assigned([tp0])
        _ = machine.stopProducing(now: t0, seenDemand: machine.demandGeneration)
        _ = machine.nextFetchAction(now: t0 + .seconds(2), pauseAfter: .seconds(1))
        let r1 = machine.close(nil, deadline: t0 + .seconds(30))
        #expect(r1 == .startClose)
        let r2 = machine.produceMore()
        #expect(!r2)
    }

    @Test("seeks made while the assign hook runs become start offsets of the partitions being assigned")
    func assignHookStartOffsets() {
        var machine = ConsumerStateMachine<String>()
        // Outside an assign hook, every seek is made now.
        let r1 = machine.seekDuringAssignHook([(tp0, KafkaOffset(5))])
        #expect(r1.map(\.0) == [tp0])
        machine.assignHookStarted([tp0, tp1])
        let now = machine.seekDuringAssignHook([(tp0, KafkaOffset(7)), (tp2, KafkaOffset(3))])
        #expect(now.map(\.0) == [tp2], "a partition not being assigned is seeked now")
        let r2 = machine.assignHookEnded()
        #expect(r2 == [tp0: KafkaOffset(7)])
        // The .assigned notification that follows does not run the hook again; a later one (fixed assignment) does.
        let r3 = machine.assignHookDue()
        #expect(!r3)
        let r4 = machine.assignHookDue()
        #expect(r4)
        let r5 = machine.seekDuringAssignHook([(tp1, KafkaOffset(1))])
        #expect(r5.map(\.0) == [tp1], "the hook is over")
    }

    @Test("a close that ran the revocation itself skips librdkafka's; commands fail once closed")
    func closePhasesAndCommands() {
        var machine = ConsumerStateMachine<String>()
        #expect(!machine.revocationRanForClose)
        machine.closeRevoked()
        #expect(!machine.revocationRanForClose, "not closing: nothing to skip")
        let r6 = machine.enqueue(Command(run: { _ in }, fail: {}))
        #expect(r6)
        _ = machine.close(nil, deadline: .now + .seconds(1))
        #expect(!machine.revocationRanForClose)
        machine.closeRevoked()
        #expect(machine.revocationRanForClose)
        let r7 = machine.takeCommands()
        #expect(r7?.count == 1)
        let r8 = machine.takeCommands()
        #expect(r8 == nil)
        let r9 = machine.enqueue(Command(run: { _ in }, fail: {}))
        #expect(r9)
        let r10 = machine.closeCommands()
        #expect(r10.count == 1)
        let r11 = machine.enqueue(Command(run: { _ in }, fail: {}))
        #expect(!r11, "closed: the caller fails it")
    }

    @Test("the loop's stall leaves the group once, and moving on rejoins it once")
    func stallLeavesAndRejoins() {
        var machine = ConsumerStateMachine<String>()
        let r12 = machine.loopMovedOn()
        #expect(!r12)
        let r13 = machine.loopStalled()
        #expect(r13)
        let r14 = machine.loopStalled()
        #expect(!r14, "once per stall")
        #expect(machine.leftForStall)
        let r15 = machine.loopMovedOn()
        #expect(r15)
        #expect(!machine.leftForStall && !machine.loopMovedOn())
        _ = machine.close(nil, deadline: .now)
        let r16 = machine.loopStalled()
        #expect(!r16, "no leaving while closing")
    }

    @Test("close waiters are resumed once closed")
    func close() {
        var machine = ConsumerStateMachine<String>()
        let r22 = machine.waitUntilClosed("run")
        #expect(r22)
        let t0 = ContinuousClock.now
        #expect(machine.closeDeadline == nil)
        let r23 = machine.close("a", deadline: t0 + .seconds(30))
        #expect(r23 == .startClose)
        #expect(machine.closeDeadline == t0 + .seconds(30))
        let r24 = machine.close("b", deadline: t0 + .seconds(60))
        #expect(r24 == .wait)
        #expect(machine.closeDeadline == t0 + .seconds(30), "a later, longer close does not push the deadline out")
        let r24b = machine.close("b2", deadline: t0 + .seconds(5))
        #expect(r24b == .wait)
        #expect(machine.closeDeadline == t0 + .seconds(5), "a later, shorter close brings the deadline forward")
        #expect(!machine.isRunning)
        let r25 = machine.closed()
        #expect(r25 == ["run", "a", "b", "b2"])
        let r26 = machine.close("c", deadline: t0)
        #expect(r26 == .resume)
    }

    @Test("all at end once every assigned partition reached its end")
    func ends() {
        var machine = ConsumerStateMachine<String>()
        _ = machine.assigned([tp0, tp1])
        machine.reachedEnd(tp0, offset: 10)
        #expect(!machine.allAtEnd)
        machine.reachedEnd(tp1, offset: 10)
        #expect(machine.allAtEnd)
    }

    @Test(
        "at the end fetching is paused; backpressure lifting, a user resume or a restart do not resume it, leaving the end does"
    )
    func endPause() {
        var machine = ConsumerStateMachine<String>()
        _ = machine.assigned([tp0, tp1])
        _ = machine.setUserPaused(true, partitions: [tp1])
        let r1x = machine.pauseAtEnd()
        #expect(r1x == .pause([tp0, tp1]))
        #expect(machine.restartablePartitions.isEmpty)
        // Backpressure comes and goes while at the end.
        let start = ContinuousClock.now
        _ = machine.stopProducing(now: start, seenDemand: machine.demandGeneration)
        #expect(
            machine.nextFetchAction(now: start.advanced(by: .seconds(2)), pauseAfter: .seconds(1))
                == .pause([tp0, tp1])
        )
        _ = machine.produceMore()
        #expect(machine.nextFetchAction(now: start.advanced(by: .seconds(3)), pauseAfter: .seconds(1)) == .poll)
        let r2x = machine.setUserPaused(false, partitions: [tp1])
        #expect(r2x == .poll)
        _ = machine.setUserPaused(true, partitions: [tp1])
        // A seek moved tp0 off its end: fetch again, but not what the user paused.
        let r3x = machine.resumeAfterEnd()
        #expect(r3x == .resume([tp0]))
        #expect(machine.restartablePartitions == [tp0])
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
        let r4x = tracker.received(tp1, next: 11)
        #expect(!r4x)
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

    @Test(
        "a seek back from a reported end arms the end: reached by a message at the end offset, since librdkafka reports it only once"
    )
    func seekBackFromEnd() {
        var tracker = PartitionEndTracker()
        tracker.assign([tp0, tp1])
        tracker.reachedEnd(tp0, offset: 3_000)
        tracker.reachedEnd(tp1, offset: 3_000)
        #expect(tracker.allAtEnd)
        tracker.repositioned(tp0, to: 500, knownEnd: 3_000)
        #expect(!tracker.allAtEnd)
        let r5x = tracker.received(tp0, next: 2_999)
        #expect(!r5x)
        #expect(!tracker.allAtEnd)
        let r6x = tracker.received(tp0, next: 3_000)
        #expect(r6x)
        #expect(tracker.allAtEnd)
        // Armed once: a later message past the end means more was written.
        let r7x = tracker.received(tp0, next: 3_001)
        #expect(!r7x)
        #expect(!tracker.allAtEnd)
    }

    @Test("a seek back before librdkafka's end report arms the end at the high watermark seen last")
    func seekBackBeforeReport() {
        var tracker = PartitionEndTracker()
        tracker.assign([tp0])
        tracker.repositioned(tp0, to: 10, knownEnd: 100)
        #expect(!tracker.allAtEnd)
        let r8x = tracker.received(tp0, next: 100)
        #expect(r8x)
        #expect(tracker.allAtEnd)
        // Never fetched: librdkafka reports the end when it gets there, nothing is armed.
        var fresh = PartitionEndTracker()
        fresh.assign([tp0])
        fresh.repositioned(tp0, to: 10, knownEnd: nil)
        let r9x = fresh.received(tp0, next: 1_000)
        #expect(!r9x)
        fresh.reachedEnd(tp0, offset: 1_000)
        #expect(fresh.allAtEnd)
    }

    @Test("a seek to the end, or past it, leaves the partition at its end: librdkafka reports nothing more there")
    func seekToEnd() {
        var tracker = PartitionEndTracker()
        tracker.assign([tp0, tp1])
        tracker.reachedEnd(tp1, offset: 50)
        tracker.repositioned(tp0, to: nil, knownEnd: 40)
        #expect(tracker.allAtEnd)
        tracker.repositioned(tp1, to: 50, knownEnd: 50)
        #expect(tracker.allAtEnd)
        tracker.repositioned(tp1, to: 49, knownEnd: 50)
        #expect(!tracker.allAtEnd)
        tracker.repositioned(tp1, to: 70, knownEnd: 50)
        #expect(tracker.allAtEnd)
        // A partition not assigned is left alone.
        tracker.repositioned(tp2, to: 0, knownEnd: 10)
        #expect(tracker.allAtEnd)
    }

    @Test("a new end reported after a seek back settles the partition, and a revocation forgets what was armed")
    func reportAfterSeekBack() {
        var tracker = PartitionEndTracker()
        tracker.assign([tp0])
        tracker.reachedEnd(tp0, offset: 10)
        tracker.repositioned(tp0, to: 0, knownEnd: 10)
        tracker.reachedEnd(tp0, offset: 20)  // more was written: librdkafka reports the new end
        #expect(tracker.allAtEnd)
        let r10x = tracker.received(tp0, next: 21)
        #expect(!r10x)
        tracker.repositioned(tp0, to: 0, knownEnd: 20)
        tracker.revoke([tp0])
        tracker.assign([tp0])
        let r11x = tracker.received(tp0, next: 20)
        #expect(!r11x, "armed ends go with the revocation")
        #expect(!tracker.allAtEnd)
    }
}
