import Testing

@testable import Kafka

private let a0 = KafkaTopicPartition(topic: "a", partition: 0)
private let a1 = KafkaTopicPartition(topic: "a", partition: 1)
private let b0 = KafkaTopicPartition(topic: "b", partition: 0)

@Suite("AssignmentFilter")
struct AssignmentFilterTests {
    @Test("messages of assigned partitions are valid; of never-assigned ones, not")
    func assigned() {
        var filter = AssignmentFilter()
        filter.assign([a0, a1])
        let fetched = filter.epoch
        #expect(filter.isValid(a0, fetchedAt: fetched))
        #expect(filter.isValid(a1, fetchedAt: fetched))
        #expect(!filter.isValid(b0, fetchedAt: fetched))
    }

    @Test("a revocation invalidates the partition's buffered messages, and only that partition's")
    func revoked() {
        var filter = AssignmentFilter()
        filter.assign([a0, a1])
        let fetched = filter.epoch
        filter.revoke([a0])
        #expect(filter.epoch > fetched)
        #expect(!filter.isValid(a0, fetchedAt: fetched))
        #expect(filter.isValid(a1, fetchedAt: fetched))
    }

    @Test("a partition revoked and assigned again: what was buffered before stays invalid, new fetches are valid")
    func reassigned() {
        var filter = AssignmentFilter()
        filter.assign([a0])
        let before = filter.epoch
        filter.revoke([a0])
        filter.assign([a0])
        #expect(!filter.isValid(a0, fetchedAt: before))
        #expect(filter.isValid(a0, fetchedAt: filter.epoch))
    }

    @Test("a seek makes the partition's earlier fetches stale; unassigned partitions stay unassigned")
    func repositioned() {
        var filter = AssignmentFilter()
        filter.assign([a0, a1])
        let before = filter.epoch
        filter.reposition([a1, b0])
        #expect(filter.isValid(a0, fetchedAt: before))
        #expect(!filter.isValid(a1, fetchedAt: before))
        #expect(filter.isValid(a1, fetchedAt: filter.epoch))
        #expect(!filter.isValid(b0, fetchedAt: filter.epoch))
    }
}

@Suite("ConsumerStateMachine: user pause")
struct UserPauseTests {
    typealias Machine = ConsumerStateMachine<Int>

    @Test("pausing touches only assigned partitions in librdkafka, and resume undoes it")
    func pauseResume() {
        var machine = Machine()
        _ = machine.assigned([a0, a1])
        let pause = machine.setUserPaused(true, partitions: [a1, b0])
        #expect(pause == .pause([a1]))
        #expect(machine.userPaused == [a1, b0])
        let resume = machine.setUserPaused(false, partitions: [a1])
        #expect(resume == .resume([a1]))
        #expect(machine.userPaused == [b0])
    }

    @Test("backpressure never resumes a partition the user paused")
    func backpressureKeepsUserPause() {
        var machine = Machine()
        _ = machine.assigned([a0, a1])
        _ = machine.setUserPaused(true, partitions: [a0])
        let start = ContinuousClock.now
        _ = machine.stopProducing(now: start, seenDemand: machine.demandGeneration)
        let pause = machine.nextFetchAction(now: start.advanced(by: .seconds(2)), pauseAfter: .seconds(1))
        #expect(pause == .pause([a0, a1]))
        _ = machine.produceMore()
        let resume = machine.nextFetchAction(now: start.advanced(by: .seconds(3)), pauseAfter: .seconds(1))
        #expect(resume == .resume([a1]))
    }

    @Test("while backpressure pauses fetching, a user resume waits for it to lift")
    func resumeDuringBackpressure() {
        var machine = Machine()
        _ = machine.assigned([a0])
        _ = machine.setUserPaused(true, partitions: [a0])
        let start = ContinuousClock.now
        _ = machine.stopProducing(now: start, seenDemand: machine.demandGeneration)
        _ = machine.nextFetchAction(now: start.advanced(by: .seconds(2)), pauseAfter: .seconds(1))
        let userResume = machine.setUserPaused(false, partitions: [a0])
        #expect(userResume == .poll)
        _ = machine.produceMore()
        let resume = machine.nextFetchAction(now: start.advanced(by: .seconds(3)), pauseAfter: .seconds(1))
        #expect(resume == .resume([a0]))
    }

    @Test("a revoked partition forgets its user pause")
    func revokeForgetsPause() {
        var machine = Machine()
        _ = machine.assigned([a0])
        _ = machine.setUserPaused(true, partitions: [a0])
        machine.revoked([a0])
        #expect(machine.userPaused.isEmpty)
    }
}

@Suite("ConsumerStateMachine: demand race")
struct DemandRaceTests {
    @Test("a 'stop producing' answer that crossed the reader's later demand is ignored, so the loop is not stuck")
    func staleStopIsIgnored() {
        var machine = ConsumerStateMachine<Int>()
        _ = machine.assigned([a0])
        let seen = machine.demandGeneration  // the poll thread yields...
        _ = machine.produceMore()  // ...the reader drains the buffer before the yield's answer is handled
        _ = machine.stopProducing(now: .now, seenDemand: seen)
        let action = machine.nextFetchAction(
            now: ContinuousClock.now.advanced(by: .seconds(5)),
            pauseAfter: .seconds(1)
        )
        #expect(action == .poll)
    }

    @Test("a current 'stop producing' answer holds the loop back")
    func currentStopHolds() {
        var machine = ConsumerStateMachine<Int>()
        _ = machine.assigned([a0])
        let now = ContinuousClock.now
        _ = machine.stopProducing(now: now, seenDemand: machine.demandGeneration)
        #expect(machine.nextFetchAction(now: now, pauseAfter: .seconds(1)) == .wait)
    }
}

@Suite("CommandQueue")
struct CommandQueueTests {
    @Test("commands are taken in order; after close, new ones are refused and the queued ones handed back")
    func order() {
        var queue = CommandQueue()
        let noop = Command(run: { _ in }, fail: {})
        let empty = queue.takeAll()
        #expect(empty == nil)
        let first = queue.append(noop)
        let second = queue.append(noop)
        #expect(first && second)
        let taken = queue.takeAll()
        #expect(taken?.count == 2)
        #expect(queue.isEmpty)
        let third = queue.append(noop)
        #expect(third)
        let handedBack = queue.close()
        #expect(handedBack.count == 1)
        let refused = queue.append(noop)
        #expect(!refused)
    }
}
