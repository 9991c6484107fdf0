import Testing

@testable import Kafka

@Suite("Transaction state machine and configuration")
struct TransactionStateMachineTests {
    private let failure = KafkaError(code: .requestTimedOutLocally, message: "timed out", isRetriable: true)
    private let fatal = KafkaError(code: .fenced, message: "fenced", isFatal: true)

    @Test("begin initializes first; a transaction opens, commits, and the next one begins")
    func happyPath() {
        var machine = TransactionStateMachine()
        #expect(machine.start(.begin) == .initializeFirst)
        #expect(machine.start(.initialize) == .run)
        machine.finish(.initialize, error: nil)
        #expect(machine.phase == .ready)
        #expect(machine.start(.initialize) == .skip, "initialized once")
        #expect(machine.start(.begin) == .run)
        machine.finish(.begin, error: nil)
        #expect(machine.phase == .open)
        #expect(machine.start(.sendOffsets) == .run)
        machine.finish(.sendOffsets, error: nil)
        #expect(machine.start(.commit) == .run)
        machine.finish(.commit, error: nil)
        #expect(machine.phase == .ready)
        #expect(machine.start(.begin) == .run)
    }

    @Test("one step at a time; commit, abort and offsets need an open transaction; begin needs none")
    func misuse() {
        var machine = TransactionStateMachine()
        #expect(machine.start(.commit) == .refuse(.notOpen))
        #expect(machine.start(.initialize) == .run)
        #expect(machine.start(.begin) == .refuse(.stepUnderWay(.initialize)))
        machine.finish(.initialize, error: nil)
        #expect(machine.start(.abort) == .refuse(.notOpen))
        #expect(machine.start(.sendOffsets) == .refuse(.notOpen))
        #expect(machine.start(.begin) == .run)
        machine.finish(.begin, error: nil)
        #expect(machine.start(.begin) == .refuse(.alreadyOpen))
        #expect(machine.start(.commit) == .run)
        #expect(machine.start(.abort) == .refuse(.stepUnderWay(.commit)))
    }

    @Test("a failed commit leaves the transaction open, to retry or abort; a failed init leaves it uninitialized")
    func failedSteps() {
        var machine = TransactionStateMachine()
        _ = machine.start(.initialize)
        machine.finish(.initialize, error: failure)
        #expect(machine.phase == .uninitialized)
        #expect(machine.start(.initialize) == .run)
        machine.finish(.initialize, error: nil)
        _ = machine.start(.begin)
        machine.finish(.begin, error: nil)
        _ = machine.start(.commit)
        machine.finish(.commit, error: failure)
        #expect(machine.phase == .open)
        #expect(machine.start(.abort) == .run)
        machine.finish(.abort, error: nil)
        #expect(machine.phase == .ready)
    }

    @Test("a fatal error refuses every later step, with that error")
    func fatalError() {
        var machine = TransactionStateMachine()
        _ = machine.start(.initialize)
        machine.finish(.initialize, error: nil)
        _ = machine.start(.begin)
        machine.finish(.begin, error: nil)
        _ = machine.start(.commit)
        machine.finish(.commit, error: fatal)
        #expect(machine.phase == .failed)
        #expect(machine.fatalError?.code == .fenced)
        for step: TransactionStateMachine.Step in [.initialize, .begin, .sendOffsets, .commit, .abort] {
            #expect(machine.start(step) == .refuse(.fatal))
        }
        #expect(machine.close() == .none, "nothing to abort for a failed producer")
    }

    @Test("close aborts an idle open transaction, not one whose step is under way; then refuses every step")
    func close() {
        var idle = TransactionStateMachine()
        _ = idle.start(.initialize)
        idle.finish(.initialize, error: nil)
        _ = idle.start(.begin)
        idle.finish(.begin, error: nil)
        #expect(idle.close() == .abortOpenTransaction)
        #expect(idle.stepUnderWay == .abort)
        #expect(idle.start(.begin) == .refuse(.closed))
        idle.finish(.abort, error: nil)
        #expect(idle.phase == .closed)
        #expect(idle.stepUnderWay == nil)

        var busy = TransactionStateMachine()
        _ = busy.start(.initialize)
        busy.finish(.initialize, error: nil)
        _ = busy.start(.begin)
        busy.finish(.begin, error: nil)
        _ = busy.start(.commit)
        #expect(busy.close() == .none, "the commit under way finishes the transaction")
        busy.finish(.commit, error: nil)
        #expect(busy.phase == .closed)

        var never = TransactionStateMachine()
        #expect(never.close() == .none)
    }

    @Test("remedies by librdkafka's classification: fatal, then abortable, then retriable")
    func remedies() {
        #expect(fatal.transactionRemedy == .recreateProducer)
        #expect(failure.transactionRemedy == .retry)
        var abortable = KafkaError(code: .messageTimedOut, message: "a message failed", isRetriable: true)
        abortable.requiresTransactionAbort = true
        #expect(abortable.transactionRemedy == .abortAndRetryTransaction)
        #expect("\(abortable)".contains("transaction must abort"))
        #expect(KafkaError(code: .invalidUsage, message: "misuse").transactionRemedy == nil)
    }

    @Test("a transactional producer must be idempotent: the error names both settings")
    func transactionalNeedsIdempotence() {
        var config = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        config.transactionalID = "writer-1"
        config.idempotence = false
        #expect {
            try config.validate()
        } throws: { error in
            let error = error as? KafkaError
            return error?.code == .invalidConfiguration && error?.configurationKey == "enable.idempotence"
                && error?.message.contains("transactional.id") == true
        }
        config.idempotence = true
        #expect(throws: Never.self) { try config.validate() }
    }

    @Test("a transactional producer's message timeout is at most its transaction timeout")
    func messageTimeoutFitsTransaction() throws {
        var config = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        config.transactionalID = "writer-1"
        #expect(config.effectiveProperties["message.timeout.ms"] == "60000", "librdkafka's 60 s transaction timeout")
        config.transactionTimeout = .seconds(10)
        #expect(config.effectiveProperties["transaction.timeout.ms"] == "10000")
        #expect(config.effectiveProperties["message.timeout.ms"] == "10000")
        config.messageTimeout = .seconds(5)
        #expect(config.effectiveProperties["message.timeout.ms"] == "5000")
        try config.validate()
        var plain = KafkaProducerConfiguration(bootstrapServers: ["localhost:9092"])
        plain.transactionTimeout = .seconds(10)
        #expect(plain.effectiveProperties["message.timeout.ms"] == "300000", "not transactional: unchanged")
    }

    @Test("isolation level: read_committed by default, read_uncommitted on request")
    func isolationLevel() {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: ["localhost:9092"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        #expect(config.effectiveProperties["isolation.level"] == "read_committed")
        config.isolationLevel = .readUncommitted
        #expect(config.effectiveProperties["isolation.level"] == "read_uncommitted")
        #expect("\(config)".contains("isolationLevel: read_uncommitted"))
    }
}
