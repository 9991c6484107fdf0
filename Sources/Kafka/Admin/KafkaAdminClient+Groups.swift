extension KafkaAdminClient {
    /// The cluster's consumer groups (`ListGroups`, asked of every broker), optionally only those in `states`.
    /// - Returns: the groups, and an error for each broker that could not list its own (the listing is then
    ///   incomplete, and says so).
    public func listConsumerGroups(
        states: Set<KafkaConsumerGroupState> = [],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaConsumerGroupList {
        var options = RDKafkaClient.AdminRequestOptions(
            operation: "ListConsumerGroups",
            timeout: timeout,
            needsController: true
        )
        options.matchStates = states.sorted { $0.raw < $1.raw }
        let request = options
        return try await withClient(timeout) { client throws(KafkaError) in
            try client.listConsumerGroups(options: request)
        }
    }

    /// Describes consumer groups (`DescribeGroups`): state, partition assignor, coordinator, and each member with
    /// its client id, host and assigned partitions.
    /// - Returns: per group, its description or its error (e.g. `GROUP_AUTHORIZATION_FAILED`).
    public func describeConsumerGroups(
        _ groups: [String],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<String, KafkaConsumerGroupDescription> {
        try Self.validateGroups(groups)
        guard !groups.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DescribeConsumerGroups",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.describeConsumerGroups(groups, options: options)
        }
        return Self.results(groups, operation: "DescribeConsumerGroups", answers)
    }

    /// Deletes consumer groups and their committed offsets (`DeleteGroups`). The broker refuses a group that has
    /// active members (`NON_EMPTY_GROUP`).
    /// - Returns: per group, success or its error.
    public func deleteConsumerGroups(
        _ groups: [String],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<String, Void> {
        try Self.validateGroups(groups)
        guard !groups.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DeleteGroups",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.deleteConsumerGroups(groups, options: options)
        }
        return Self.results(groups, operation: "DeleteGroups", answers.mapValues(Self.voidResult))
    }

    /// The offsets consumer group `group` committed (`OffsetFetch`): for `partitions`, or for every partition it
    /// committed when `nil`. A partition it committed nothing for has ``KafkaOffset/invalid``.
    /// - Parameters:
    ///   - group: the consumer group.
    ///   - partitions: the partitions, or `nil` for every partition the group committed.
    ///   - requireStable: wait for transactions writing offsets of this group to end first (Apache Kafka 2.5 and
    ///     later).
    ///   - timeout: how long the request may take.
    /// - Throws: ``KafkaError`` for a group-level failure (e.g. `GROUP_AUTHORIZATION_FAILED`) or the request's.
    public func consumerGroupOffsets(
        _ group: String,
        partitions: [KafkaTopicPartition]? = nil,
        requireStable: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaTopicPartition, KafkaOffset> {
        try Self.validateGroups([group])
        if let partitions { try Self.validatePartitions(partitions) }
        var options = RDKafkaClient.AdminRequestOptions(
            operation: "ListConsumerGroupOffsets",
            timeout: timeout,
            needsController: true
        )
        options.requireStableOffsets = requireStable
        let request = options
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.listConsumerGroupOffsets(group, partitions: partitions, options: request)
        }
        let items = partitions ?? answers.keys.sorted(by: Self.partitionOrder)
        return Self.results(items, operation: "ListConsumerGroupOffsets", answers)
    }

    /// Commits `offsets` for consumer group `group` (`OffsetCommit` as an admin request): each the offset of the
    /// next message the group reads. The broker refuses this while the group has active members.
    /// - Returns: per partition, success or its error.
    public func alterConsumerGroupOffsets(
        _ group: String,
        _ offsets: [KafkaTopicPartition: KafkaOffset],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaTopicPartition, Void> {
        try Self.validateGroups([group])
        let items = offsets.keys.sorted(by: Self.partitionOrder)
        try Self.validatePartitions(items)
        for (partition, offset) in offsets where offset.rawValue < 0 {
            throw KafkaError.invalidAdminRequest("\(partition): offset \(offset.rawValue) is not an offset (>= 0)")
        }
        guard !items.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "AlterConsumerGroupOffsets",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.alterConsumerGroupOffsets(
                group,
                offsets: items.map { ($0, offsets[$0] ?? .invalid) },
                options: options
            )
        }
        return Self.results(items, operation: "AlterConsumerGroupOffsets", answers.mapValues { $0.map { _ in () } })
    }

    /// Deletes the committed offsets of `group` for `partitions` (`OffsetDelete`), so the group starts them anew
    /// from `auto.offset.reset`. The broker refuses partitions the group is subscribed to.
    /// - Returns: per partition, success or its error (`GROUP_SUBSCRIBED_TO_TOPIC`, ...).
    public func deleteConsumerGroupOffsets(
        _ group: String,
        partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaTopicPartition, Void> {
        try Self.validateGroups([group])
        try Self.validatePartitions(partitions)
        guard !partitions.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DeleteConsumerGroupOffsets",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.deleteConsumerGroupOffsets(group, partitions: partitions, options: options)
        }
        return Self.results(
            partitions,
            operation: "DeleteConsumerGroupOffsets",
            answers.mapValues { $0.map { _ in () } }
        )
    }

    /// A consumer group's position in `topics` (every partition of each): the committed offset, the watermarks
    /// and the lag, as `kafka-consumer-groups.sh --describe` shows them.
    ///
    /// The committed offsets are fetched as the group's own consumers fetch them (`OffsetFetch` through a consumer
    /// handle), so this works on every server that serves consumer groups, librdkafka's embedded cluster included.
    /// Members are not included; see ``describeConsumerGroups(_:timeout:)``.
    /// - Parameters:
    ///   - group: the consumer group.
    ///   - topics: the topics; `nil` for every topic the group committed offsets for (which needs `OffsetFetch`
    ///     for all partitions: ``consumerGroupOffsets(_:partitions:requireStable:timeout:)``).
    ///   - timeout: how long each request may take.
    public func consumerGroupLag(
        _ group: String,
        topics: [String]? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> [KafkaPartitionLag] {
        try Self.validateGroups([group])
        var names: [String]
        if let topics {
            for topic in topics { try KafkaNewTopic.validateName(topic) }
            names = topics
        } else {
            let committed = try await consumerGroupOffsets(group, timeout: timeout).values
            names = Array(Set(committed.keys.map(\.topic))).sorted()
        }
        guard !names.isEmpty else { return [] }
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        let lookupNames = names
        return try await RDKafkaClient.withTemporaryConsumer(
            properties: properties(group: group),
            logger: logger,
            operation: "consumerGroupLag",
            timeout: timeout
        ) {
            client throws(KafkaError) in
            let partitions = try Self.partitions(of: lookupNames, client: client, timeoutMilliseconds: ms)
            let committed = try client.committed(partitions, timeoutMilliseconds: ms)
            return try partitions.map { partition throws(KafkaError) in
                KafkaPartitionLag(
                    partition: partition,
                    committed: committed[partition] ?? .invalid,
                    watermarks: try client.queryWatermarks(partition, timeoutMilliseconds: ms),
                    member: nil
                )
            }
        }
    }

    /// Moves consumer group `group`'s committed offsets in `topics` to `target`, clamped into each partition's
    /// watermarks, as `kafka-consumer-groups.sh --reset-offsets` does.
    ///
    /// Without `execute` this is a dry run: the plan is computed and returned, nothing is committed. With it, the
    /// new offsets are committed for the group without joining it; the broker refuses that while the group has
    /// active members (stop them first).
    /// - Returns: per partition, the committed offset before and the new one.
    public func resetConsumerGroupOffsets(
        _ group: String,
        topics: [String],
        to target: KafkaOffsetResetTarget,
        execute: Bool,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaOffsetResetPlan {
        for topic in topics { try KafkaNewTopic.validateName(topic) }
        if topics.isEmpty { throw KafkaError.invalidAdminRequest("an offset reset needs at least one topic") }
        return try await resetConsumerGroupOffsets(
            group,
            .topics(topics),
            to: target,
            execute: execute,
            timeout: timeout
        )
    }

    /// ``resetConsumerGroupOffsets(_:topics:to:execute:timeout:)`` for the given partitions only.
    public func resetConsumerGroupOffsets(
        _ group: String,
        partitions: [KafkaTopicPartition],
        to target: KafkaOffsetResetTarget,
        execute: Bool,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaOffsetResetPlan {
        try Self.validatePartitions(partitions)
        if partitions.isEmpty { throw KafkaError.invalidAdminRequest("an offset reset needs at least one partition") }
        return try await resetConsumerGroupOffsets(
            group,
            .partitions(partitions),
            to: target,
            execute: execute,
            timeout: timeout
        )
    }

    enum PartitionSelection: Sendable {
        case topics([String])
        case partitions([KafkaTopicPartition])
    }

    private func resetConsumerGroupOffsets(
        _ group: String,
        _ selection: PartitionSelection,
        to target: KafkaOffsetResetTarget,
        execute: Bool,
        timeout: Duration
    ) async throws -> KafkaOffsetResetPlan {
        try Self.validateGroups([group])
        if case .offset(let n) = target, n < 0 {
            throw KafkaError.invalidAdminRequest("offset \(n) is not an offset (>= 0)")
        }
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        let plan = try await RDKafkaClient.withTemporaryConsumer(
            properties: properties(group: group),
            logger: logger,
            operation: "resetConsumerGroupOffsets",
            timeout: timeout
        ) {
            client throws(KafkaError) in
            let partitions: [KafkaTopicPartition]
            switch selection {
            case .topics(let topics):
                partitions = try Self.partitions(of: topics, client: client, timeoutMilliseconds: ms)
            case .partitions(let list):
                partitions = list
            }
            let committed = try client.committed(partitions, timeoutMilliseconds: ms)
            var times: [KafkaTopicPartition: KafkaOffset] = [:]
            if case .timestamp(let ts) = target {
                times = try client.offsets(
                    forTimes: partitions.map { ($0, ts.millisecondsSinceEpoch) },
                    timeoutMilliseconds: ms
                )
            }
            var moves: [KafkaOffsetResetPlan.Move] = []
            for partition in partitions {
                let watermarks = try client.queryWatermarks(partition, timeoutMilliseconds: ms)
                let current = committed[partition] ?? .invalid
                let new = target.newOffset(watermarks: watermarks, committed: current, offsetForTime: times[partition])
                moves.append(
                    KafkaOffsetResetPlan.Move(partition: partition, current: current, new: KafkaOffset(rawValue: new))
                )
            }
            return KafkaOffsetResetPlan(group: group, moves: moves, executed: false)
        }
        guard execute else { return plan }
        try await commitOffsets(
            group: group,
            Dictionary(uniqueKeysWithValues: plan.moves.map { ($0.partition, $0.new) }),
            timeout: timeout
        )
        var executed = plan
        executed.executed = true
        return executed
    }

    /// Every partition of `topics`, in topic then partition order.
    /// - Throws: ``KafkaError`` naming a topic that does not exist.
    static func partitions(
        of topics: [String],
        client: RDKafkaClient,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [KafkaTopicPartition] {
        let metadata = try client.metadata(topics: topics, timeoutMilliseconds: timeoutMilliseconds)
        var result: [KafkaTopicPartition] = []
        for topic in metadata.topics {
            if let error = topic.error {
                throw KafkaError(code: error, message: "topic '\(topic.name)': \(error.name)", topic: topic.name)
            }
            for partition in topic.partitions {
                result.append(KafkaTopicPartition(topic: topic.name, partition: partition.id))
            }
        }
        return result
    }

    static func partitionOrder(_ a: KafkaTopicPartition, _ b: KafkaTopicPartition) -> Bool {
        (a.topic, a.partition.rawValue) < (b.topic, b.partition.rawValue)
    }

    static func validateGroups(_ groups: [String]) throws(KafkaError) {
        for group in groups where group.isEmpty {
            throw KafkaError.invalidAdminRequest("a consumer group id cannot be empty")
        }
        try checkUnique(groups, "group")
    }

    static func validatePartitions(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        for partition in partitions {
            try KafkaNewTopic.validateName(partition.topic)
            if partition.partition.rawValue < 0 {
                throw KafkaError.invalidAdminRequest("\(partition): \(partition.partition.rawValue) is not a partition")
            }
        }
        try checkUnique(partitions, "partition")
    }
}
