// Offsets, positions and fetch control. Each call is queued to the consumer's poll thread, which makes the
// librdkafka call (blocking ones included) off Swift's cooperative thread pool; the caller's task suspends meanwhile.

extension KafkaConsumer {
    /// Commits every offset stored so far (the messages the loop has finished with) and waits for the broker's
    /// answer, at most `timeout`. Nothing stored is not an error.
    /// - Throws: ``KafkaError`` from the commit (e.g. the group's `REBALANCE_IN_PROGRESS` while it rebalances),
    ///   ``KafkaError/Code/timedOut`` when the group coordinator did not answer in time (the commit may still
    ///   land), ``KafkaError/Code/shutdown`` once closed, or when it comes while the consumer closes: leaving the
    ///   ``messages`` loop closes the consumer, and the close commits what the loop finished with, so commit inside
    ///   the loop, not after it.
    public nonisolated func commit(timeout: Duration = .seconds(30)) async throws {
        try await core.commit(nil, timeout: timeout)
    }

    /// Commits `message` and everything before it in its partition, and waits for the broker's answer, at most
    /// `timeout`.
    /// - Throws: as ``commit(timeout:)``.
    public nonisolated func commit(_ message: KafkaConsumerMessage, timeout: Duration = .seconds(30)) async throws {
        let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
        try await core.commit([(partition, KafkaOffset(rawValue: message.offset.rawValue + 1))], timeout: timeout)
    }

    /// Commits explicit offsets (each the offset of the next message to read in its partition) and waits, at most
    /// `timeout`.
    /// - Throws: as ``commit(timeout:)``.
    public nonisolated func commit(
        _ offsets: [KafkaTopicPartition: KafkaOffset],
        timeout: Duration = .seconds(30)
    ) async throws {
        try await core.commit(offsets.map { ($0.key, $0.value) }, timeout: timeout)
    }

    /// Starts committing every offset stored so far without waiting; a failure arrives on ``events`` as
    /// ``KafkaConsumerEvent/commitFailed(_:)``.
    public nonisolated func commitAsync() {
        core.commitInBackground(nil)
    }

    /// Starts committing `message` and everything before it in its partition, without waiting; a failure arrives
    /// on ``events``.
    public nonisolated func commitAsync(_ message: KafkaConsumerMessage) {
        let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
        core.commitInBackground([(partition, KafkaOffset(rawValue: message.offset.rawValue + 1))])
    }

    /// The group's committed offsets (the offset of the next message to read) for `partitions`, or for the
    /// current assignment when `nil`. ``KafkaOffset/invalid`` where nothing was committed.
    public nonisolated func committed(
        _ partitions: [KafkaTopicPartition]? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> [KafkaTopicPartition: KafkaOffset] {
        let list: [KafkaTopicPartition]
        if let partitions { list = partitions } else { list = try await assignment() }
        return try await core.committed(list, timeout: timeout)
    }

    /// The fetch position of `partitions` (default: the current assignment): the offset after the last message
    /// taken from librdkafka, messages buffered for the loop included. ``KafkaOffset/invalid`` before the first.
    public nonisolated func position(_ partitions: [KafkaTopicPartition]? = nil) async throws -> [KafkaTopicPartition:
        KafkaOffset]
    {
        try await core.perform("position") { client throws(KafkaError) in
            try client.position(partitions ?? client.assignment())
        }
    }

    /// The partitions assigned to this consumer now.
    public nonisolated func assignment() async throws -> [KafkaTopicPartition] {
        try await core.perform("assignment") { client in client.assignment() }
    }

    /// Continues reading `partition` (assigned to this consumer) at `offset`: an offset, ``KafkaOffset/beginning``,
    /// ``KafkaOffset/end`` or ``KafkaOffset/tail(_:)``. Messages of the partition already buffered are dropped;
    /// the next message of it the loop gets is the one at `offset`.
    ///
    /// Waits up to `timeout` for librdkafka to apply the seek (its partition's broker thread takes it).
    /// - Throws: ``KafkaError`` `_TIMED_OUT` when the seek was not applied in time.
    public nonisolated func seek(
        _ partition: KafkaTopicPartition,
        to offset: KafkaOffset,
        timeout: Duration = .seconds(10)
    ) async throws {
        try await core.seek([(partition, offset)], timeout: timeout)
    }

    /// Continues reading `partition` at the first message whose timestamp is at or after `timestamp`
    /// (the end of the partition when none is).
    /// - Note: the broker must support ListOffsets by timestamp (librdkafka 2.0.2's mock cluster answers -1).
    /// - Parameters:
    ///   - partition: a partition assigned to this consumer.
    ///   - timestamp: where to continue: the first message at or after it.
    ///   - timeout: bounds the offset lookup and, again, the seek.
    public nonisolated func seek(
        _ partition: KafkaTopicPartition,
        to timestamp: KafkaTimestamp,
        timeout: Duration = .seconds(10)
    ) async throws {
        let milliseconds = ConsumerCore.milliseconds(timeout)
        let offsets = try await core.perform("offsets for times") { client throws(KafkaError) in
            try client.offsets(
                forTimes: [(partition, timestamp.millisecondsSinceEpoch)],
                timeoutMilliseconds: milliseconds
            )
        }
        let offset = offsets[partition] ?? .end
        try await core.seek([(partition, offset.rawValue < 0 ? .end : offset)], timeout: timeout)
    }

    /// Stops fetching `partitions` until ``resume(_:)``. Messages of them already buffered for the loop (at most
    /// the configured ``KafkaConsumerConfiguration/buffer``) are still handed out.
    public nonisolated func pause(_ partitions: [KafkaTopicPartition]) async throws {
        try await core.setUserPaused(true, partitions: partitions)
    }

    /// Resumes fetching `partitions` paused by ``pause(_:)``.
    public nonisolated func resume(_ partitions: [KafkaTopicPartition]) async throws {
        try await core.setUserPaused(false, partitions: partitions)
    }

    /// Asks the partition's leader for its low and high watermarks (any partition, assigned or not).
    public nonisolated func watermarks(
        of partition: KafkaTopicPartition,
        timeout: Duration = .seconds(10)
    ) async throws -> KafkaWatermarks {
        let ms = ConsumerCore.milliseconds(timeout)
        return try await core.perform("watermarks") { client throws(KafkaError) in
            try client.queryWatermarks(partition, timeoutMilliseconds: ms)
        }
    }

    /// Messages behind, per assigned partition: the high watermark minus the fetch position (or minus the low
    /// watermark before the first fetch). Uses the watermarks from the latest fetch responses, asking the leader
    /// only for partitions not fetched yet.
    public nonisolated func lag(timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64] {
        let ms = ConsumerCore.milliseconds(timeout)
        return try await core.perform("lag") { client throws(KafkaError) in
            let assigned = client.assignment()
            let positions = try client.position(assigned)
            var lag: [KafkaTopicPartition: Int64] = [:]
            for partition in assigned {
                let marks: KafkaWatermarks
                if let cached = client.cachedWatermarks(partition) {
                    marks = cached
                } else {
                    marks = try client.queryWatermarks(partition, timeoutMilliseconds: ms)
                }
                let position = positions[partition].map(\.rawValue) ?? -1
                let from = position >= 0 ? position : marks.low.rawValue
                lag[partition] = max(marks.high.rawValue - from, 0)
            }
            return lag
        }
    }
}

extension KafkaConsumer {
    /// This member's group metadata (group id, member id, generation), for a transactional producer that commits
    /// the offsets of what this consumer read (``KafkaTransaction/sendOffsets(_:groupMetadata:timeout:)``).
    ///
    /// Take it when sending the offsets: the generation changes with every rebalance, and the group coordinator
    /// refuses offsets sent with an older one.
    /// - Throws: ``KafkaError/Code/invalidUsage`` for a consumer without a group; ``KafkaError/Code/shutdown``
    ///   once closed.
    public nonisolated func groupMetadata() async throws -> KafkaConsumerGroupMetadata {
        guard let groupID = core.configuration.consumptionStrategy.groupID else {
            throw KafkaError(
                code: .invalidUsage,
                message: "group metadata: this consumer reads assigned partitions, not as a member of a group"
            )
        }
        // librdkafka asks its main thread for it and waits: a blocking call, so it runs on the poll thread (which
        // serves it inside a rebalance hook too).
        return try await core.perform("group metadata") { client throws(KafkaError) in
            try client.groupMetadata(groupID: groupID)
        }
    }
}
