internal import CLibrdkafka

/// An error raised by a Kafka client.
///
/// Every failure of this library, whether it comes from librdkafka, from the broker, or from validating
/// configuration, is a `KafkaError`. Its ``code`` tells what went wrong; ``isRetriable`` and ``isFatal`` tell what
/// to do about it, and ``topic`` / ``partition`` say where, when that applies.
///
/// ```swift
/// do {
///     let delivery = try await producer.send(message)
/// } catch let error as KafkaError where error.code == .messageTimedOut {
///     // the broker did not acknowledge the message within `message.timeout.ms`
/// }
/// ```
public struct KafkaError: Error, Sendable {
    /// The fields, behind one reference (copy-on-write): an error is one word wherever it travels, e.g. in every
    /// delivery report's `Result`, which would otherwise be sized for ~120 bytes of fields.
    private struct Fields {
        var code: Code
        var message: String
        var isRetriable: Bool
        var isFatal: Bool
        var requiresTransactionAbort: Bool = false
        var topic: String?
        var partition: KafkaPartition?
        var configurationKey: String?
        var configurationValue: String?
        var underlying: (any Error & Sendable)?
        var file: String
        var line: Int
    }

    private final class Storage: @unchecked Sendable {
        // @unchecked: mutated only through `KafkaError`'s setters, after `isKnownUniquelyReferenced`.
        var fields: Fields

        init(_ fields: Fields) {
            self.fields = fields
        }
    }

    private var storage: Storage

    private var writable: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
            return storage
        }
    }

    /// What kind of failure this is.
    public var code: Code {
        get { storage.fields.code }
        set { writable.fields.code = newValue }
    }
    /// A human readable description of the failure, from librdkafka or from this library.
    public var message: String {
        get { storage.fields.message }
        set { writable.fields.message = newValue }
    }
    /// Whether retrying the operation may succeed (a transient broker or network condition).
    public var isRetriable: Bool {
        get { storage.fields.isRetriable }
        set { writable.fields.isRetriable = newValue }
    }
    /// Whether the client can no longer be used (for example an idempotent producer that lost its guarantees).
    public var isFatal: Bool {
        get { storage.fields.isFatal }
        set { writable.fields.isFatal = newValue }
    }
    /// Whether the open transaction can no longer commit and must be aborted (librdkafka's "abortable" errors,
    /// `rd_kafka_error_txn_requires_abort`): a message of it failed, or the coordinator lost its state. The
    /// producer stays usable: abort, then run the whole transaction again. See ``transactionRemedy``.
    public var requiresTransactionAbort: Bool {
        get { storage.fields.requiresTransactionAbort }
        set { writable.fields.requiresTransactionAbort = newValue }
    }
    /// The topic the failure concerns, where that applies.
    public var topic: String? {
        get { storage.fields.topic }
        set { writable.fields.topic = newValue }
    }
    /// The partition the failure concerns, where that applies.
    public var partition: KafkaPartition? {
        get { storage.fields.partition }
        set { writable.fields.partition = newValue }
    }
    /// The configuration key the failure concerns, for ``Code/invalidConfiguration``.
    public var configurationKey: String? {
        get { storage.fields.configurationKey }
        set { writable.fields.configurationKey = newValue }
    }
    /// The configuration value that was rejected, for ``Code/invalidConfiguration``.
    public var configurationValue: String? {
        get { storage.fields.configurationValue }
        set { writable.fields.configurationValue = newValue }
    }
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)? {
        get { storage.fields.underlying }
        set { writable.fields.underlying = newValue }
    }
    /// The source file that raised the error, for diagnostics.
    public var file: String {
        get { storage.fields.file }
        set { writable.fields.file = newValue }
    }
    /// The source line that raised the error, for diagnostics.
    public var line: Int {
        get { storage.fields.line }
        set { writable.fields.line = newValue }
    }

    package init(
        code: Code,
        message: String,
        isRetriable: Bool = false,
        isFatal: Bool = false,
        topic: String? = nil,
        partition: KafkaPartition? = nil,
        configurationKey: String? = nil,
        configurationValue: String? = nil,
        underlying: (any Error & Sendable)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.storage = Storage(
            Fields(
                code: code,
                message: message,
                isRetriable: isRetriable,
                isFatal: isFatal,
                topic: topic,
                partition: partition,
                configurationKey: configurationKey,
                configurationValue: configurationValue,
                underlying: underlying,
                file: file,
                line: line
            )
        )
    }
}

extension KafkaError: CustomStringConvertible {
    public var description: String {
        var parts = ["KafkaError.\(code.name): \(message)"]
        if let configurationKey {
            var s = "key: '\(configurationKey)'"
            if let configurationValue { s += ", value: '\(configurationValue)'" }
            parts.append(s)
        }
        if let topic { parts.append("topic: \(topic)") }
        if let partition, partition != .unassigned { parts.append("partition: \(partition.rawValue)") }
        if isFatal { parts.append("fatal") }
        if requiresTransactionAbort { parts.append("transaction must abort") }
        if isRetriable { parts.append("retriable") }
        if let underlying { parts.append("underlying: \(underlying)") }
        return parts.joined(separator: ", ")
    }
}

// MARK: - Factories used across the library

extension KafkaError {
    /// An invalid configuration value, with the key, the value and the reason.
    package static func invalidConfiguration(
        key: String?,
        value: String?,
        reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        var message = "invalid configuration"
        if let key { message += " '\(key)'" }
        if let value { message += " = '\(value)'" }
        message += ": \(reason)"
        return KafkaError(
            code: .invalidConfiguration,
            message: message,
            configurationKey: key,
            configurationValue: value,
            file: file,
            line: line
        )
    }

    /// The client was closed, or is closing, so the operation could not run.
    package static func shutdown(_ what: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: .shutdown, message: "\(what): the client is shut down", file: file, line: line)
    }

    /// An error reported by librdkafka as a numeric `rd_kafka_resp_err_t`.
    package static func librdkafka(
        code: Int32,
        message: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        librdkafka(rd_kafka_resp_err_t(rawValue: code), message: message, file: file, line: line)
    }

    /// An error reported by librdkafka as a `rd_kafka_resp_err_t`.
    static func librdkafka(
        _ err: rd_kafka_resp_err_t,
        message: String? = nil,
        topic: String? = nil,
        partition: KafkaPartition? = nil,
        isFatal: Bool = false,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        let code = Code(rdKafkaCode: err.rawValue)
        return KafkaError(
            code: code,
            message: message ?? String(cString: rd_kafka_err2str(err)),
            isRetriable: Code.retriableCodes.contains(err.rawValue),
            isFatal: isFatal || err == RD_KAFKA_RESP_ERR__FATAL,
            topic: topic,
            partition: partition,
            file: file,
            line: line
        )
    }

    /// Takes ownership of a `rd_kafka_error_t`, reads it and destroys it. The only place one is destroyed.
    init(consuming error: OpaquePointer, topic: String? = nil, file: String = #fileID, line: Int = #line) {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        self.init(
            code: Code(rdKafkaCode: err.rawValue),
            message: String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0 || Code.retriableCodes.contains(err.rawValue),
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            topic: topic,
            file: file,
            line: line
        )
        self.storage.fields.requiresTransactionAbort = rd_kafka_error_txn_requires_abort(error) != 0
    }
}

// MARK: - Transactions

extension KafkaError {
    /// What a failed transaction step asks of the application, by librdkafka's classification of the error.
    public enum TransactionRemedy: Hashable, Sendable, CustomStringConvertible {
        /// Retriable (a timeout, a coordinator moving): the same step may succeed when called again; the
        /// transaction is still open. ``KafkaProducer/withTransaction(timeout:_:)`` retries its commit itself
        /// until its deadline.
        case retry
        /// Abortable: the transaction cannot commit. Abort it (``KafkaProducer/withTransaction(timeout:_:)`` did),
        /// then run the whole transaction again: the producer is still usable.
        case abortAndRetryTransaction
        /// Fatal: the producer was fenced by a newer instance with the same `transactional.id`, or is otherwise
        /// unusable. It refuses every further send and transaction with this error; close it and create a new one
        /// (which fences whatever this one left open).
        case recreateProducer

        public var description: String {
            switch self {
            case .retry: return "retry"
            case .abortAndRetryTransaction: return "abortAndRetryTransaction"
            case .recreateProducer: return "recreateProducer"
            }
        }
    }

    /// What to do about this error when a transaction step (``KafkaProducer/beginTransaction(timeout:)``,
    /// ``KafkaProducer/commitTransaction(timeout:)``, a send inside a transaction, ...) threw it: fatal errors
    /// first, then abortable, then retriable; `nil` for an error of none of these kinds (a misuse such as
    /// committing without a transaction: ``Code/invalidUsage``).
    public var transactionRemedy: TransactionRemedy? {
        if isFatal { return .recreateProducer }
        if requiresTransactionAbort { return .abortAndRetryTransaction }
        if isRetriable { return .retry }
        return nil
    }
}
