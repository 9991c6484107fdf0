extension KafkaAdminClient {
    /// Deletes every message before the given offset in each partition (`DeleteRecords`): the partition's low
    /// watermark moves up to it. ``KafkaOffset/end`` deletes everything there is now.
    /// - Returns: per partition, its new low watermark, or its error (e.g. `OFFSET_OUT_OF_RANGE` for an offset past
    ///   the high watermark).
    public func deleteRecords(
        before offsets: [KafkaTopicPartition: KafkaOffset],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaTopicPartition, KafkaOffset> {
        let items = offsets.keys.sorted(by: Self.partitionOrder)
        try Self.validatePartitions(items)
        for (partition, offset) in offsets where offset.rawValue < 0 && offset != .end {
            throw KafkaError.invalidAdminRequest(
                "\(partition): \(offset.rawValue) is not an offset to delete before (>= 0, or .end for everything)"
            )
        }
        guard !items.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DeleteRecords",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.deleteRecords(items.map { ($0, offsets[$0] ?? .end) }, options: options)
        }
        return Self.results(items, operation: "DeleteRecords", answers)
    }

    /// The cluster's id, controller and brokers, as the running librdkafka reports them (from metadata).
    public func describeCluster(timeout: Duration = .seconds(30)) async throws -> KafkaClusterDescription {
        let ms = Int32(clamping: timeout.kafkaMilliseconds)
        return try await withClient(timeout) { client throws(KafkaError) in
            let metadata = try client.metadata(topics: [], timeoutMilliseconds: ms)
            let identity = client.clusterIdentity(timeoutMilliseconds: ms)
            return KafkaClusterDescription(
                clusterID: identity.clusterID,
                controllerID: identity.controllerID ?? (metadata.controllerID >= 0 ? metadata.controllerID : nil),
                brokers: metadata.brokers.sorted { $0.id < $1.id }
            )
        }
    }

    // MARK: - ACLs

    /// Creates ACL bindings (`CreateAcls`). The cluster must have an authorizer configured.
    /// - Returns: per binding, success or its error (`SECURITY_DISABLED` without an authorizer).
    public func createACLs(
        _ bindings: [KafkaACLBinding],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaACLBinding, Void> {
        for binding in bindings { try binding.validate() }
        try Self.checkUnique(bindings, "ACL")
        guard !bindings.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "CreateAcls",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.createACLs(bindings, options: options)
        }
        return KafkaAdminResults(
            zip(bindings, answers).map { KafkaAdminResults.Entry(item: $0, result: Self.voidResult($1)) }
        )
    }

    /// The ACL bindings that match `filter` (`DescribeAcls`).
    public func describeACLs(
        _ filter: KafkaACLFilter = .all,
        timeout: Duration = .seconds(30)
    ) async throws -> [KafkaACLBinding] {
        try filter.validate()
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DescribeAcls",
            timeout: timeout,
            needsController: true
        )
        return try await withClient(timeout) { client throws(KafkaError) in
            try client.describeACLs(filter, options: options)
        }
    }

    /// Deletes every ACL binding that matches each filter (`DeleteAcls`).
    /// - Returns: per filter, the bindings it deleted, or its error.
    public func deleteACLs(
        _ filters: [KafkaACLFilter],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaACLFilter, [KafkaACLBinding]> {
        for filter in filters { try filter.validate() }
        try Self.checkUnique(filters, "ACL filter")
        guard !filters.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(
            operation: "DeleteAcls",
            timeout: timeout,
            needsController: true
        )
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            try client.deleteACLs(filters, options: options)
        }
        return KafkaAdminResults(zip(filters, answers).map { KafkaAdminResults.Entry(item: $0, result: $1) })
    }
}
