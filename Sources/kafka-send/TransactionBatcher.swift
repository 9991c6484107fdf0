import Kafka

/// kafka-send's transactions (`--transactional-id`): begins one before the first message of each batch, commits
/// it after `size` messages (or at the end of the input), aborts the open one on any failure or interruption,
/// and counts what was committed and what was aborted.
final class TransactionBatcher {
    let producer: KafkaProducer
    /// Messages per transaction; `nil`: the whole input in one.
    let size: Int?
    /// Each step's deadline; `nil`: the producer's transaction timeout.
    let timeout: Duration?

    private(set) var committedMessages = 0
    private(set) var committedTransactions = 0
    private(set) var abortedMessages = 0
    private(set) var abortedTransactions = 0
    /// Messages queued in the open transaction.
    private var openCount = 0
    private var isOpen = false

    init(producer: KafkaProducer, size: Int?, timeout: Duration? = nil) {
        self.producer = producer
        self.size = size
        self.timeout = timeout
    }

    /// Before a message is queued: opens a transaction if none is.
    func beforeSend() async throws {
        guard !isOpen else { return }
        try await producer.beginTransaction(timeout: timeout)
        isOpen = true
    }

    /// After a message was queued: commits once the transaction holds `size` messages.
    func afterQueued() async throws {
        openCount += 1
        if let size, openCount >= size { try await commit() }
    }

    /// Commits the open transaction (if any). An abortable failure aborts it first; the error is rethrown.
    func commit() async throws {
        guard isOpen else { return }
        do {
            try await producer.commitTransaction(timeout: timeout)
        } catch let error as KafkaError where error.requiresTransactionAbort && !error.isFatal {
            await abort()
            throw error
        }
        committedMessages += openCount
        committedTransactions += 1
        openCount = 0
        isOpen = false
    }

    /// Aborts the open transaction (if any); a failure of the abort is returned.
    @discardableResult
    func abort() async -> (any Error)? {
        guard isOpen else { return nil }
        var failure: (any Error)? = nil
        do {
            try await producer.abortTransaction(timeout: timeout)
        } catch {
            failure = error
        }
        abortedMessages += openCount
        abortedTransactions += 1
        openCount = 0
        isOpen = false
        return failure
    }

    /// `committed N messages in T transactions; aborted M messages (1 transaction)`.
    var summary: String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        var line =
            "committed \(plural(committedMessages, "message")) in \(plural(committedTransactions, "transaction"))"
        if abortedTransactions > 0 {
            line += "; aborted \(plural(abortedMessages, "message")) (\(plural(abortedTransactions, "transaction")))"
        }
        return line
    }
}
