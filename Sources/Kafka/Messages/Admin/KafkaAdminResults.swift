/// The outcome of an admin request that names several items (topics, groups, partitions, configuration resources,
/// ACL bindings), one result per item, in the order of the request.
///
/// One item's failure never hides the others' results: a request for three topics where one already exists
/// returns two successes and one ``KafkaError`` with ``KafkaError/Code/topicAlreadyExists``. A failure of the whole
/// request (no broker answered in time, the broker does not support the request) is thrown by the call instead.
///
/// ```swift
/// let created = try await admin.createTopics([KafkaNewTopic(name: "a", partitions: 3), KafkaNewTopic(name: "b")])
/// for failure in created.failures { print("\(failure.item): \(failure.error)") }
/// try created.throwIfAnyFailed()
/// ```
public struct KafkaAdminResults<Item: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One item and its result.
    public struct Entry: Sendable {
        /// The item, as the request named it.
        public var item: Item
        /// Its value, or the error the cluster (or validation) gave for it.
        public var result: Result<Value, KafkaError>

        /// An entry.
        public init(item: Item, result: Result<Value, KafkaError>) {
            self.item = item
            self.result = result
        }
    }

    /// Every item's result, in the order of the request.
    public var entries: [Entry]

    /// Results for `entries`.
    public init(_ entries: [Entry]) {
        self.entries = entries
    }

    /// The result for `item`, or `nil` when the request did not name it.
    public subscript(item: Item) -> Result<Value, KafkaError>? {
        entries.first(where: { $0.item == item })?.result
    }

    /// The items that succeeded, with their values.
    public var values: [Item: Value] {
        var result: [Item: Value] = [:]
        for entry in entries {
            if case .success(let value) = entry.result { result[entry.item] = value }
        }
        return result
    }

    /// The items that failed, with their errors, in the order of the request.
    public var failures: [(item: Item, error: KafkaError)] {
        entries.compactMap { entry in
            if case .failure(let error) = entry.result { return (entry.item, error) }
            return nil
        }
    }

    /// Whether every item succeeded.
    public var allSucceeded: Bool { failures.isEmpty }

    /// Throws when any item failed: the first failure's error, its message extended with every other failure, so
    /// none is lost.
    public func throwIfAnyFailed() throws(KafkaError) {
        let failures = failures
        guard var first = failures.first?.error else { return }
        first.message = failures.map { "\($0.item): \($0.error.message)" }.joined(separator: "; ")
        throw first
    }

    /// Every item's value, or throws as ``throwIfAnyFailed()`` does.
    public func get() throws(KafkaError) -> [Item: Value] {
        try throwIfAnyFailed()
        return values
    }
}

extension KafkaAdminResults: CustomStringConvertible {
    public var description: String {
        let parts = entries.map { entry -> String in
            switch entry.result {
            case .success: return "\(entry.item): ok"
            case .failure(let error): return "\(entry.item): \(error.code.name) (\(error.message))"
            }
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}
