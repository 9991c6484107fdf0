extension KafkaAdminClient {
    /// Runs an admin request's `body` with the handle the client's calls share (see ``withSharedClient(_:timeout:_:)``).
    func withClient<T: Sendable>(
        _ timeout: Duration,
        operation: String = #function,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await withSharedClient(String(operation.prefix(while: { $0 != "(" })), timeout: timeout, body)
    }

    /// Builds per-item results in request order; an item the cluster did not answer for is a failure saying so.
    static func results<Item: Hashable & Sendable, Value: Sendable>(
        _ items: [Item],
        operation: String,
        _ answers: [Item: Result<Value, KafkaError>]
    ) -> KafkaAdminResults<Item, Value> {
        KafkaAdminResults(
            items.map { item in
                KafkaAdminResults.Entry(
                    item: item,
                    result: answers[item]
                        ?? .failure(
                            KafkaError(
                                code: .unsupported,
                                message: "\(operation): the cluster returned no result for \(item)"
                            )
                        )
                )
            }
        )
    }

    /// Refuses a request that names an item twice.
    static func checkUnique<Item: Hashable>(_ items: [Item], _ what: String) throws(KafkaError) {
        var seen = Set<Item>()
        for item in items where !seen.insert(item).inserted {
            throw KafkaError.invalidAdminRequest("\(what) \(item) is named twice in one request")
        }
    }

    /// Creates topics (`CreateTopics`), each with its partitions, replication and configuration.
    ///
    /// ```swift
    /// let results = try await admin.createTopics([KafkaNewTopic(name: "orders", partitions: 6, replicationFactor: 3)])
    /// try results.throwIfAnyFailed()
    /// ```
    /// - Parameters:
    ///   - topics: the topics; each is validated before anything is sent.
    ///   - validateOnly: ask the cluster whether it would create them, without creating them.
    ///   - timeout: how long the cluster may take, including until every broker knows the topic.
    /// - Returns: per topic, success or its error (e.g. ``KafkaError/Code/topicAlreadyExists``).
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/invalidUsage`` for an invalid request (nothing was sent), or
    ///   for a failure of the whole request (no answer within `timeout`, a broker that does not support it).
    public func createTopics(
        _ topics: [KafkaNewTopic],
        validateOnly: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<String, Void> {
        for topic in topics { try topic.validate() }
        try Self.checkUnique(topics.map(\.name), "topic")
        guard !topics.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "CreateTopics",
            timeout: timeout,
            validateOnly: validateOnly,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.createTopics(topics, options: options)
        }
        return Self.results(topics.map(\.name), operation: "CreateTopics", answers.mapValues(Self.voidResult))
    }

    /// Creates one topic.
    /// - Throws: ``KafkaError``: the topic's own error (e.g. ``KafkaError/Code/topicAlreadyExists``) or the
    ///   request's.
    public func createTopic(
        _ topic: KafkaNewTopic,
        validateOnly: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws {
        try await createTopics([topic], validateOnly: validateOnly, timeout: timeout).throwIfAnyFailed()
    }

    /// Deletes topics (`DeleteTopics`) and every message in them.
    /// - Returns: per topic, success or its error (e.g. ``KafkaError/Code/unknownTopicOrPartition``).
    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws -> KafkaAdminResults<
        String, Void
    > {
        for name in names { try KafkaNewTopic.validateName(name) }
        try Self.checkUnique(names, "topic")
        guard !names.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DeleteTopics",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.deleteTopics(names, options: options)
        }
        return Self.results(names, operation: "DeleteTopics", answers.mapValues(Self.voidResult))
    }

    /// Adds partitions to existing topics (`CreatePartitions`). Messages with a key may map to another partition
    /// afterwards.
    /// - Returns: per topic, success or its error (e.g. `INVALID_PARTITIONS` when the count is not larger).
    public func createPartitions(
        _ increases: [KafkaPartitionIncrease],
        validateOnly: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<String, Void> {
        for increase in increases { try increase.validate() }
        try Self.checkUnique(increases.map(\.topic), "topic")
        guard !increases.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "CreatePartitions",
            timeout: timeout,
            validateOnly: validateOnly,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.createPartitions(increases, options: options)
        }
        return Self.results(increases.map(\.topic), operation: "CreatePartitions", answers.mapValues(Self.voidResult))
    }

    /// The cluster's topics, sorted by name (from its metadata).
    /// - Parameters:
    ///   - includeInternal: also list Kafka's internal topics (`__consumer_offsets`, ...).
    ///   - timeout: how long the metadata request may take.
    public func listTopics(includeInternal: Bool = false, timeout: Duration = .seconds(30)) async throws
        -> [KafkaTopicListing]
    {
        let metadata = try await metadata(topics: nil, timeout: timeout)
        return metadata.topics.compactMap { topic in
            let internalTopic = KafkaTopicListing.isInternalName(topic.name)
            if internalTopic && !includeInternal { return nil }
            return KafkaTopicListing(
                name: topic.name,
                partitionCount: topic.partitions.count,
                isInternal: internalTopic
            )
        }.sorted { $0.name < $1.name }
    }

    /// Describes topics: partitions with their leaders, replicas and in-sync replicas (from metadata) and, with
    /// `includeConfigs`, their configuration (`DescribeConfigs`).
    /// - Returns: per topic, its description or its error (e.g. ``KafkaError/Code/unknownTopicOrPartition``).
    public func describeTopics(
        _ names: [String],
        includeConfigs: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<String, KafkaTopicDescription> {
        for name in names { try KafkaNewTopic.validateName(name) }
        try Self.checkUnique(names, "topic")
        guard !names.isEmpty else { return KafkaAdminResults([]) }
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        let options = RDKafkaClient.AdminRequestOptions(operation: "DescribeConfigs", timeout: timeout)
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            let metadata = try client.metadata(topics: names, timeoutMilliseconds: ms)
            var answers: [String: Result<KafkaTopicDescription, KafkaError>] = [:]
            var found: [String] = []
            for topic in metadata.topics {
                if let error = topic.error {
                    answers[topic.name] = .failure(
                        KafkaError(code: error, message: "topic '\(topic.name)': \(error.name)", topic: topic.name)
                    )
                    continue
                }
                found.append(topic.name)
                answers[topic.name] = .success(
                    KafkaTopicDescription(
                        name: topic.name,
                        isInternal: KafkaTopicListing.isInternalName(topic.name),
                        partitions: topic.partitions,
                        configs: []
                    )
                )
            }
            if includeConfigs && !found.isEmpty {
                let configs = try client.describeConfigs(found.map(KafkaConfigResource.topic), options: options)
                for name in found {
                    switch configs[.topic(name)] {
                    case .success(let entries)?:
                        if case .success(var description)? = answers[name] {
                            description.configs = entries
                            answers[name] = .success(description)
                        }
                    case .failure(let error)?: answers[name] = .failure(error)
                    case nil: break
                    }
                }
            }
            return answers
        }
        return Self.results(names, operation: "DescribeTopics", answers)
    }

    static func voidResult(_ error: KafkaError?) -> Result<Void, KafkaError> {
        if let error { return .failure(error) }
        return .success(())
    }
}
