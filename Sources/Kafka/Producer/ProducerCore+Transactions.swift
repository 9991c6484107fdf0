import Synchronization

// Transactions. Each step is one librdkafka call; the blocking ones (initialize, send offsets, commit, abort) run
// on a thread of the producer's own, started per step, under the step's timeout, while the poll thread keeps
// serving delivery reports (a commit waits for every message of the transaction to be reported). The
// `TransactionStateMachine` refuses overlapping steps and keeps a fatal error.

extension ProducerCore {
    typealias TransactionStep = TransactionStateMachine.Step

    /// Initializes transactions (once; later calls return at once).
    func initializeTransactions(timeout: Duration) async throws {
        try await runStep(.initialize, timeout: timeout) { client, milliseconds throws(KafkaError) in
            try client.initTransactions(timeoutMilliseconds: milliseconds)
        }
    }

    /// Begins a transaction, initializing transactions first when this is the producer's first.
    func beginTransaction(timeout: Duration) async throws {
        while true {
            switch try startStep(.begin) {
            case .run:
                // rd_kafka_begin_transaction does not block: it runs on the caller's thread.
                let result: Result<Void, KafkaError>
                if client.guard.enter() {
                    defer { client.guard.exit() }
                    result = Result { () throws(KafkaError) in try client.beginTransaction() }
                } else {
                    result = .failure(KafkaError.shutdown(TransactionStep.begin.rawValue))
                }
                finishStep(.begin, result)
                return try result.get()
            case .initializeFirst:
                try await initializeTransactions(timeout: timeout)
            case .skip, .refuse:
                return  // startStep threw for a refusal; begin is never skipped
            }
        }
    }

    func sendOffsetsToTransaction(
        _ offsets: [(KafkaTopicPartition, KafkaOffset)],
        groupMetadata: KafkaConsumerGroupMetadata,
        timeout: Duration
    ) async throws {
        try await runStep(.sendOffsets, timeout: timeout) { client, milliseconds throws(KafkaError) in
            try client.sendOffsetsToTransaction(
                offsets,
                groupMetadata: groupMetadata,
                timeoutMilliseconds: milliseconds
            )
        }
    }

    /// One commit attempt: delivers the transaction's outstanding messages, then commits.
    func commitTransaction(timeout: Duration) async throws {
        try await runStep(.commit, timeout: timeout) { client, milliseconds throws(KafkaError) in
            try client.commitTransaction(timeoutMilliseconds: milliseconds)
        }
    }

    /// One abort attempt: purges the transaction's outstanding messages (their reports fail), then aborts.
    func abortTransaction(timeout: Duration) async throws {
        try await runStep(.abort, timeout: timeout) { client, milliseconds throws(KafkaError) in
            try client.abortTransaction(timeoutMilliseconds: milliseconds)
        }
    }

    /// Whether a transaction is open (begun and not yet committed or aborted).
    var isTransactionOpen: Bool {
        transactions.withLock { $0.phase == .open }
    }

    // MARK: Running steps

    /// Starts `step` in the machine; throws its refusal.
    private func startStep(_ step: TransactionStep) throws(KafkaError) -> TransactionStateMachine.StartAction {
        guard isTransactional else {
            throw KafkaError(
                code: .invalidUsage,
                message: "\(step.rawValue): this producer is not transactional (set transactionalID in its "
                    + "configuration)"
            )
        }
        let action = transactions.withLock { $0.start(step) }
        if case .refuse(let refusal) = action { throw refusalError(refusal, step) }
        return action
    }

    private func finishStep(_ step: TransactionStep, _ result: Result<Void, KafkaError>) {
        let error: KafkaError?
        if case .failure(let failure) = result { error = failure } else { error = nil }
        transactions.withLock { $0.finish(step, error: error) }
        if let error {
            if error.isFatal {
                logger.error("\(step.rawValue) failed fatally; the producer refuses further work: \(error)")
            } else {
                logger.debug("\(step.rawValue) failed: \(error)")
            }
        }
    }

    private func refusalError(_ refusal: TransactionStateMachine.Refusal, _ step: TransactionStep) -> KafkaError {
        switch refusal {
        case .fatal:
            let fatal = transactions.withLock { $0.fatalError }
            return fatal ?? KafkaError(code: .fatal, message: "\(step.rawValue): the producer failed", isFatal: true)
        case .closed:
            return KafkaError.shutdown(step.rawValue)
        case .stepUnderWay(let other):
            return KafkaError(
                code: .invalidUsage,
                message: "\(step.rawValue): another transaction step (\(other.rawValue)) is under way; a producer "
                    + "runs one at a time"
            )
        case .alreadyOpen:
            return KafkaError(
                code: .invalidUsage,
                message: "\(step.rawValue): a transaction is open already; commit or abort it first"
            )
        case .notOpen:
            return KafkaError(
                code: .invalidUsage,
                message: "\(step.rawValue): no transaction is open (begin one first)"
            )
        }
    }

    /// Runs a blocking step on a thread of its own, holding the handle's guard, with `timeout` in milliseconds.
    private func runStep(
        _ step: TransactionStep,
        timeout: Duration,
        _ body: @escaping @Sendable (RDKafkaClient, Int32) throws(KafkaError) -> Void
    ) async throws {
        switch try startStep(step) {
        case .run: break
        case .skip, .initializeFirst, .refuse: return
        }
        let milliseconds = Int32(clamping: max(timeout.kafkaMilliseconds, 0))
        let result: Result<Void, KafkaError> = await withCheckedContinuation { continuation in
            onTransactionThread(step, { client throws(KafkaError) in try body(client, milliseconds) }) { result in
                continuation.resume(returning: result)
            }
        }
        finishStep(step, result)
        try result.get()
    }

    /// Runs `body` on a new thread of the producer's own, holding the handle's guard, and hands its result (or
    /// why it could not run) to `completion`, on that thread.
    private func onTransactionThread(
        _ step: TransactionStep,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> Void,
        completion: @escaping @Sendable (Result<Void, KafkaError>) -> Void
    ) {
        let client = self.client
        do throws(KafkaError) {
            try KafkaThread.detach(name: "kafka-txn") {
                guard client.guard.enter() else {
                    completion(.failure(KafkaError.shutdown(step.rawValue)))
                    return
                }
                let result = Result { () throws(KafkaError) in try body(client) }
                client.guard.exit()
                completion(result)
            }
        } catch {
            completion(.failure(error))
        }
    }

    // MARK: Close (poll thread)

    /// Aborts an open transaction before the handle closes (so read-committed consumers need not wait for the
    /// broker's transaction timeout), and waits for a step under way, serving delivery reports meanwhile (a
    /// commit waits for them); both until `deadline`.
    func finishTransactions(deadline: ContinuousClock.Instant) {
        guard isTransactional else { return }
        if transactions.withLock({ $0.close() }) == .abortOpenTransaction {
            let remaining = deadline - .now
            let milliseconds = Int32(clamping: max(remaining.kafkaMilliseconds, 0))
            logger.info("closing with a transaction open: aborting it")
            onTransactionThread(
                .abort,
                { client throws(KafkaError) in
                    try client.abortTransaction(timeoutMilliseconds: milliseconds)
                }
            ) { [self] result in
                if case .failure(let error) = result {
                    logger.warning("aborting the open transaction on close failed: \(error)")
                }
                finishStep(.abort, result)
                client.wakeUp()
            }
        }
        while transactions.withLock({ $0.stepUnderWay != nil }), ContinuousClock.now < deadline {
            _ = serve(timeoutMilliseconds: 100)
        }
    }
}
