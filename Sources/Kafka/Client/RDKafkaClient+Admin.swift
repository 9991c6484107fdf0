internal import CLibrdkafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// The Admin API (`rd_kafka_CreateTopics`, `rd_kafka_DescribeConfigs`, ...). Every function here blocks until the
// result arrives or its deadline passes, so each runs only on a thread of the library's own
// (`RDKafkaClient.withTemporaryClient`), never on Swift's cooperative pool. What librdkafka returns is read into
// value types before the result event is destroyed; nothing borrowed escapes.
extension RDKafkaClient {
    /// Options of one admin request.
    struct AdminRequestOptions {
        /// Kafka's name of the request, for errors (`CreateTopics`, ...).
        var operation: String
        var timeout: Duration
        var validateOnly = false
        var requireStableOffsets = false
        var matchStates: [KafkaConsumerGroupState] = []
        /// Refuse at once, before sending, when the cluster names no controller among its brokers: for requests
        /// librdkafka sends to the controller only (topics, topic configs, ACLs), which would wait for one until
        /// the timeout, and for the group requests, whose refusal crashes librdkafka 2.0.2 to 2.16 (an assertion
        /// on a reference count, `DeleteGroups` and `DeleteConsumerGroupOffsets` against the embedded cluster),
        /// deadlocks it (2.0.2's `DescribeConsumerGroups`) or leaks a queue of the handle (`ListConsumerGroups`,
        /// `DeleteRecords`).
        var needsController = false
    }

    /// Fails fast when the cluster names no controller among its brokers (see
    /// ``AdminRequestOptions/needsController``). Apache Kafka always names one of its brokers (a KRaft cluster, a
    /// broker that forwards to the controller quorum); librdkafka's embedded cluster names controller 0, none of
    /// its brokers, and answers no admin request.
    func requireController(_ operation: String, timeoutMilliseconds: Int32) throws(KafkaError) {
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let err = rd_kafka_metadata(pointer, 0, nil, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw Self.adminError(
                err,
                operation: operation,
                text: "no metadata: \(String(cString: rd_kafka_err2str(err)))"
            )
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokers = (0..<Int(metadata.pointee.broker_cnt)).compactMap { metadata.pointee.brokers?[$0].id }
        let controller = rd_kafka_controllerid(pointer, 0)
        guard brokers.contains(controller) else {
            throw KafkaError(
                code: .unsupported,
                message: "\(operation): the cluster names no controller among its brokers (controller \(controller), "
                    + "brokers \(brokers.sorted().map(String.init).joined(separator: ", "))), so it answers no admin "
                    + "request (librdkafka's embedded cluster is such a cluster)"
            )
        }
    }

    /// Sends one admin request, waits for its result event (within the timeout plus a grace period in which
    /// librdkafka reports its own timeout), and reads it.
    /// - Throws: ``KafkaError`` for a failure of the whole request, its message starting with the operation.
    func adminRequest<T>(
        _ options: AdminRequestOptions,
        send: (OpaquePointer, OpaquePointer) -> Void,
        read: (OpaquePointer) throws(KafkaError) -> T
    ) throws(KafkaError) -> T {
        guard let queue = rd_kafka_queue_new(pointer) else {
            throw KafkaError(code: .shutdown, message: "\(options.operation): librdkafka made no result queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        guard let adminOptions = rd_kafka_AdminOptions_new(pointer, RD_KAFKA_ADMIN_OP_ANY) else {
            throw KafkaError(code: .shutdown, message: "\(options.operation): librdkafka made no admin options")
        }
        defer { rd_kafka_AdminOptions_destroy(adminOptions) }
        let milliseconds = Int32(clamping: max(options.timeout.kafkaMilliseconds, 1))
        if options.needsController { try requireController(options.operation, timeoutMilliseconds: milliseconds) }
        var errstr = [CChar](repeating: 0, count: 512)
        func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.librdkafka(
                    err,
                    message: "\(options.operation): \(what): \(String(nulTerminated: errstr))"
                )
            }
        }
        try check(
            rd_kafka_AdminOptions_set_request_timeout(adminOptions, milliseconds, &errstr, errstr.count),
            "timeout"
        )
        try check(
            rd_kafka_AdminOptions_set_operation_timeout(adminOptions, milliseconds, &errstr, errstr.count),
            "timeout"
        )
        if options.validateOnly {
            try check(rd_kafka_AdminOptions_set_validate_only(adminOptions, 1, &errstr, errstr.count), "validate only")
        }
        if options.requireStableOffsets, let error = rd_kafka_AdminOptions_set_require_stable_offsets(adminOptions, 1) {
            throw KafkaError(consuming: error)
        }
        if !options.matchStates.isEmpty {
            var states = options.matchStates.map { rd_kafka_consumer_group_state_t(rawValue: $0.raw) }
            if let error = rd_kafka_AdminOptions_set_match_consumer_group_states(adminOptions, &states, states.count) {
                throw KafkaError(consuming: error)
            }
        }
        send(queue, adminOptions)
        // librdkafka ends the request itself at its timeout; the grace covers its own bookkeeping.
        guard let event = rd_kafka_queue_poll(queue, milliseconds &+ 5_000) else {
            throw KafkaError(
                code: .timedOut,
                message: "\(options.operation): no answer within \(options.timeout)"
            )
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw Self.adminError(err, operation: options.operation, text: text)
        }
        return try read(event)
    }

    /// A failure of a whole admin request, explained where librdkafka's text alone would puzzle.
    static func adminError(_ err: rd_kafka_resp_err_t, operation: String, text: String) -> KafkaError {
        var message = "\(operation): \(text.isEmpty ? String(cString: rd_kafka_err2str(err)) : text)"
        if err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE {
            message += " (the broker does not answer \(operation) requests; librdkafka's embedded cluster answers none)"
        } else if err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT {
            message += " (no broker answered in time: are the bootstrap servers right and reachable?)"
        }
        return KafkaError.librdkafka(err, message: message)
    }

    // MARK: - Topics

    func createTopics(_ topics: [KafkaNewTopic], options: AdminRequestOptions) throws(KafkaError) -> [String:
        KafkaError?]
    {
        var handles: [OpaquePointer?] = []
        defer { for handle in handles { rd_kafka_NewTopic_destroy(handle) } }
        var errstr = [CChar](repeating: 0, count: 512)
        for topic in topics {
            guard
                let handle = rd_kafka_NewTopic_new(
                    topic.name,
                    // With an assignment, librdkafka wants its partition count here (and sends -1 itself).
                    Int32(topic.replicaAssignment?.count ?? topic.partitions ?? -1),
                    Int32(topic.replicationFactor ?? -1),
                    &errstr,
                    errstr.count
                )
            else {
                throw KafkaError.invalidAdminRequest("topic '\(topic.name)': \(String(nulTerminated: errstr))")
            }
            handles.append(handle)
            for (index, replicas) in (topic.replicaAssignment ?? []).enumerated() {
                var ids = replicas
                let err = rd_kafka_NewTopic_set_replica_assignment(
                    handle,
                    Int32(index),
                    &ids,
                    ids.count,
                    &errstr,
                    errstr.count
                )
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.invalidAdminRequest(
                        "topic '\(topic.name)', partition \(index): \(String(nulTerminated: errstr))"
                    )
                }
            }
            for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(handle, name, value)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.librdkafka(err, message: "topic '\(topic.name)': config \(name)")
                }
            }
        }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_CreateTopics(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return Self.topicResults(results, count, operation: options.operation)
        }
    }

    func deleteTopics(_ names: [String], options: AdminRequestOptions) throws(KafkaError) -> [String: KafkaError?] {
        var handles: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
        defer { for handle in handles { rd_kafka_DeleteTopic_destroy(handle) } }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_DeleteTopics(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            return Self.topicResults(results, count, operation: options.operation)
        }
    }

    func createPartitions(
        _ increases: [KafkaPartitionIncrease],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [String: KafkaError?] {
        var handles: [OpaquePointer?] = []
        defer { for handle in handles { rd_kafka_NewPartitions_destroy(handle) } }
        var errstr = [CChar](repeating: 0, count: 512)
        for increase in increases {
            guard let handle = rd_kafka_NewPartitions_new(increase.topic, increase.totalCount, &errstr, errstr.count)
            else {
                throw KafkaError.invalidAdminRequest("topic '\(increase.topic)': \(String(nulTerminated: errstr))")
            }
            handles.append(handle)
            for (index, replicas) in (increase.replicaAssignment ?? []).enumerated() {
                var ids = replicas
                let err = rd_kafka_NewPartitions_set_replica_assignment(
                    handle,
                    Int32(index),
                    &ids,
                    ids.count,
                    &errstr,
                    errstr.count
                )
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.invalidAdminRequest(
                        "topic '\(increase.topic)', new partition \(index): \(String(nulTerminated: errstr))"
                    )
                }
            }
        }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_CreatePartitions(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            let results = rd_kafka_CreatePartitions_result_topics(
                rd_kafka_event_CreatePartitions_result(event),
                &count
            )
            return Self.topicResults(results, count, operation: options.operation)
        }
    }

    private static func topicResults(
        _ results: UnsafeMutablePointer<OpaquePointer?>?,
        _ count: Int,
        operation: String
    ) -> [String: KafkaError?] {
        var out: [String: KafkaError?] = [:]
        guard let results else { return out }
        for i in 0..<count {
            guard let result = results[i] else { continue }
            let name = rd_kafka_topic_result_name(result).map { String(cString: $0) } ?? ""
            let err = rd_kafka_topic_result_error(result)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                out[name] = .some(nil)
            } else {
                let text =
                    rd_kafka_topic_result_error_string(result).map { String(cString: $0) }
                    ?? String(cString: rd_kafka_err2str(err))
                out[name] = .some(KafkaError.librdkafka(err, message: "\(operation): \(name): \(text)", topic: name))
            }
        }
        return out
    }

    // MARK: - Configs

    private static func resourceType(_ kind: KafkaConfigResource.Kind) -> rd_kafka_ResourceType_t {
        switch kind {
        case .topic: return RD_KAFKA_RESOURCE_TOPIC
        case .broker: return RD_KAFKA_RESOURCE_BROKER
        }
    }

    func describeConfigs(
        _ resources: [KafkaConfigResource],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] {
        var options = options
        options.needsController = resources.contains { $0.kind == .topic }
        var handles: [OpaquePointer?] = resources.map {
            rd_kafka_ConfigResource_new(Self.resourceType($0.kind), $0.name)
        }
        defer { for handle in handles { rd_kafka_ConfigResource_destroy(handle) } }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_DescribeConfigs(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            let results = rd_kafka_DescribeConfigs_result_resources(
                rd_kafka_event_DescribeConfigs_result(event),
                &count
            )
            return Self.configResults(results, count, readEntries: true, operation: options.operation)
        }
    }

    /// The non-incremental `AlterConfigs`: `entries` replace the resource's whole dynamic configuration.
    func replaceConfigs(
        _ entries: [KafkaConfigResource: [(String, String)]],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] {
        var options = options
        options.needsController = entries.keys.contains { $0.kind == .topic }
        var handles: [OpaquePointer?] = []
        defer { for handle in handles { rd_kafka_ConfigResource_destroy(handle) } }
        for (resource, pairs) in entries {
            let handle = rd_kafka_ConfigResource_new(Self.resourceType(resource.kind), resource.name)
            handles.append(handle)
            for (name, value) in pairs {
                let err = rd_kafka_ConfigResource_set_config(handle, name, value)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.librdkafka(err, message: "AlterConfigs: \(resource): config \(name)")
                }
            }
        }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_AlterConfigs(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            let results = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count)
            return Self.configResults(results, count, readEntries: false, operation: options.operation)
        }
    }

    private typealias AddIncrementalConfig =
        @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?) -> OpaquePointer?
    private typealias IncrementalAlterConfigs =
        @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, Int, OpaquePointer?, OpaquePointer?) ->
        Void
    private typealias IncrementalResult = @convention(c) (OpaquePointer?) -> OpaquePointer?
    private typealias IncrementalResources =
        @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>?) -> UnsafeMutablePointer<OpaquePointer?>?

    /// `IncrementalAlterConfigs` (librdkafka 2.2 and later, looked up at run time): only `changes` change.
    func incrementalAlterConfigs(
        _ changes: [KafkaConfigResource: [KafkaConfigChange]],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] {
        guard
            let add = RuntimeSymbols.function(
                "rd_kafka_ConfigResource_add_incremental_config",
                as: AddIncrementalConfig.self
            ),
            let alter = RuntimeSymbols.function("rd_kafka_IncrementalAlterConfigs", as: IncrementalAlterConfigs.self),
            let result = RuntimeSymbols.function(
                "rd_kafka_event_IncrementalAlterConfigs_result",
                as: IncrementalResult.self
            ),
            let resources = RuntimeSymbols.function(
                "rd_kafka_IncrementalAlterConfigs_result_resources",
                as: IncrementalResources.self
            )
        else {
            throw KafkaError.unsupported(.incrementalAlterConfigs, "IncrementalAlterConfigs")
        }
        var options = options
        options.needsController = changes.keys.contains { $0.kind == .topic }
        var handles: [OpaquePointer?] = []
        defer { for handle in handles { rd_kafka_ConfigResource_destroy(handle) } }
        for (resource, list) in changes {
            let handle = rd_kafka_ConfigResource_new(Self.resourceType(resource.kind), resource.name)
            handles.append(handle)
            for change in list {
                let (op, value): (Int32, String?) =
                    switch change {
                    case .set(_, let value): (0, value)
                    case .delete: (1, nil)
                    case .append(_, let value): (2, value)
                    case .subtract(_, let value): (3, value)
                    }
                if let error = add(handle, change.name, op, value) {
                    var failure = KafkaError(consuming: error)
                    failure.message = "IncrementalAlterConfigs: \(resource): \(change): \(failure.message)"
                    failure.code = .invalidUsage
                    throw failure
                }
            }
        }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            alter(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            let list = resources(result(event), &count)
            return Self.configResults(list, count, readEntries: false, operation: options.operation)
        }
    }

    private static func configResults(
        _ results: UnsafeMutablePointer<OpaquePointer?>?,
        _ count: Int,
        readEntries: Bool,
        operation: String
    ) -> [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] {
        var out: [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] = [:]
        guard let results else { return out }
        for i in 0..<count {
            guard let resource = results[i] else { continue }
            let kind: KafkaConfigResource.Kind =
                rd_kafka_ConfigResource_type(resource) == RD_KAFKA_RESOURCE_BROKER ? .broker : .topic
            let name = rd_kafka_ConfigResource_name(resource).map { String(cString: $0) } ?? ""
            let key = KafkaConfigResource(kind: kind, name: name)
            let err = rd_kafka_ConfigResource_error(resource)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let text =
                    rd_kafka_ConfigResource_error_string(resource).map { String(cString: $0) }
                    ?? String(cString: rd_kafka_err2str(err))
                out[key] = .failure(
                    KafkaError.librdkafka(
                        err,
                        message: "\(operation): \(key): \(text)",
                        topic: kind == .topic ? name : nil
                    )
                )
                continue
            }
            guard readEntries else {
                out[key] = .success([])
                continue
            }
            var entryCount = 0
            let entries = rd_kafka_ConfigResource_configs(resource, &entryCount)
            out[key] = .success(Self.configEntries(entries, entryCount).sorted { $0.name < $1.name })
        }
        return out
    }

    private static func configEntries(_ entries: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int)
        -> [KafkaConfigEntry]
    {
        guard let entries else { return [] }
        var out: [KafkaConfigEntry] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            guard let entry = entries[i] else { continue }
            var synonymCount = 0
            let synonyms = rd_kafka_ConfigEntry_synonyms(entry, &synonymCount)
            out.append(
                KafkaConfigEntry(
                    name: rd_kafka_ConfigEntry_name(entry).map { String(cString: $0) } ?? "",
                    value: rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) },
                    source: KafkaConfigEntry.Source(
                        raw: Int32(bitPattern: rd_kafka_ConfigEntry_source(entry).rawValue)
                    ),
                    isReadOnly: rd_kafka_ConfigEntry_is_read_only(entry) != 0,
                    isDefault: rd_kafka_ConfigEntry_is_default(entry) != 0,
                    isSensitive: rd_kafka_ConfigEntry_is_sensitive(entry) != 0,
                    synonyms: configEntries(synonyms, synonymCount)
                )
            )
        }
        return out
    }

    // MARK: - Records

    /// DeleteRecords: per partition, the new low watermark or the error.
    func deleteRecords(
        _ offsets: [(KafkaTopicPartition, KafkaOffset)],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        let list = RDKafkaTopicPartitionList(offsets)
        guard let request = rd_kafka_DeleteRecords_new(list.pointer) else {
            throw KafkaError(code: .invalidUsage, message: "DeleteRecords: librdkafka refused the partition list")
        }
        var handles: [OpaquePointer?] = [request]
        defer { rd_kafka_DeleteRecords_destroy(request) }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_DeleteRecords(rk, &handles, 1, adminOptions, queue)
        } read: { event in
            let result = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event))
            return Self.partitionResults(result, operation: options.operation)
        }
    }

    /// Per partition of a result list: its offset, or its error.
    static func partitionResults(
        _ list: UnsafePointer<rd_kafka_topic_partition_list_t>?,
        operation: String
    ) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        var out: [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] = [:]
        guard let list, let elems = list.pointee.elems else { return out }
        for i in 0..<Int(list.pointee.cnt) {
            let e = elems[i]
            let topic = e.topic.map { String(cString: $0) } ?? ""
            let key = KafkaTopicPartition(topic: topic, partition: KafkaPartition(rawValue: e.partition))
            if e.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                out[key] = .success(KafkaOffset(rawValue: e.offset))
            } else {
                out[key] = .failure(
                    KafkaError.librdkafka(
                        e.err,
                        message: "\(operation): \(String(cString: rd_kafka_err2str(e.err)))",
                        topic: topic,
                        partition: key.partition
                    )
                )
            }
        }
        return out
    }

    // MARK: - Consumer groups

    func listConsumerGroups(options: AdminRequestOptions) throws(KafkaError) -> KafkaConsumerGroupList {
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_ListConsumerGroups(rk, adminOptions, queue)
        } read: { event in
            let result = rd_kafka_event_ListConsumerGroups_result(event)
            var count = 0
            var groups: [KafkaConsumerGroupListing] = []
            if let valid = rd_kafka_ListConsumerGroups_result_valid(result, &count) {
                for i in 0..<count {
                    guard let listing = valid[i] else { continue }
                    groups.append(
                        KafkaConsumerGroupListing(
                            groupID: rd_kafka_ConsumerGroupListing_group_id(listing).map { String(cString: $0) } ?? "",
                            isSimple: rd_kafka_ConsumerGroupListing_is_simple_consumer_group(listing) != 0,
                            state: KafkaConsumerGroupState(raw: rd_kafka_ConsumerGroupListing_state(listing).rawValue)
                        )
                    )
                }
            }
            var errors: [KafkaError] = []
            if let failures = rd_kafka_ListConsumerGroups_result_errors(result, &count) {
                for i in 0..<count {
                    guard let error = failures[i] else { continue }
                    errors.append(KafkaError(borrowing: error, operation: "ListConsumerGroups"))
                }
            }
            return KafkaConsumerGroupList(groups: groups.sorted { $0.groupID < $1.groupID }, errors: errors)
        }
    }

    func describeConsumerGroups(
        _ groups: [String],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [String: Result<KafkaConsumerGroupDescription, KafkaError>] {
        let rk = pointer
        return try withCStrings(groups) { (names: inout [UnsafePointer<CChar>?]) throws(KafkaError) in
            try adminRequest(options) { queue, adminOptions in
                rd_kafka_DescribeConsumerGroups(rk, &names, names.count, adminOptions, queue)
            } read: { event in
                var count = 0
                var out: [String: Result<KafkaConsumerGroupDescription, KafkaError>] = [:]
                guard
                    let results = rd_kafka_DescribeConsumerGroups_result_groups(
                        rd_kafka_event_DescribeConsumerGroups_result(event),
                        &count
                    )
                else { return out }
                for i in 0..<count {
                    guard let group = results[i] else { continue }
                    let id = rd_kafka_ConsumerGroupDescription_group_id(group).map { String(cString: $0) } ?? ""
                    if let error = rd_kafka_ConsumerGroupDescription_error(group) {
                        out[id] = .failure(KafkaError(borrowing: error, operation: "DescribeConsumerGroups"))
                        continue
                    }
                    out[id] = .success(Self.groupDescription(group, id: id))
                }
                return out
            }
        }
    }

    private static func groupDescription(_ group: OpaquePointer, id: String) -> KafkaConsumerGroupDescription {
        var members: [KafkaConsumerGroupDescription.Member] = []
        for j in 0..<rd_kafka_ConsumerGroupDescription_member_count(group) {
            guard let member = rd_kafka_ConsumerGroupDescription_member(group, j) else { continue }
            var assignment: [KafkaTopicPartition] = []
            if let assigned = rd_kafka_MemberDescription_assignment(member),
                let list = rd_kafka_MemberAssignment_partitions(assigned)
            {
                assignment = RDKafkaTopicPartitionList.read(list).map(\.0)
            }
            members.append(
                KafkaConsumerGroupDescription.Member(
                    memberID: rd_kafka_MemberDescription_consumer_id(member).map { String(cString: $0) } ?? "",
                    groupInstanceID: rd_kafka_MemberDescription_group_instance_id(member).map { String(cString: $0) },
                    clientID: rd_kafka_MemberDescription_client_id(member).map { String(cString: $0) } ?? "",
                    host: rd_kafka_MemberDescription_host(member).map { String(cString: $0) } ?? "",
                    assignment: assignment.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
                )
            )
        }
        var coordinator: KafkaClusterMetadata.Broker? = nil
        if let node = rd_kafka_ConsumerGroupDescription_coordinator(group) {
            coordinator = KafkaClusterMetadata.Broker(
                id: rd_kafka_Node_id(node),
                host: rd_kafka_Node_host(node).map { String(cString: $0) } ?? "",
                port: Int32(rd_kafka_Node_port(node))
            )
        }
        return KafkaConsumerGroupDescription(
            groupID: id,
            isSimple: rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(group) != 0,
            state: KafkaConsumerGroupState(raw: rd_kafka_ConsumerGroupDescription_state(group).rawValue),
            partitionAssignor: rd_kafka_ConsumerGroupDescription_partition_assignor(group).map { String(cString: $0) }
                ?? "",
            coordinator: coordinator,
            members: members.sorted { $0.memberID < $1.memberID }
        )
    }

    func deleteConsumerGroups(
        _ groups: [String],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [String: KafkaError?] {
        var handles: [OpaquePointer?] = groups.map { rd_kafka_DeleteGroup_new($0) }
        defer { for handle in handles { rd_kafka_DeleteGroup_destroy(handle) } }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_DeleteGroups(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            var out: [String: KafkaError?] = [:]
            guard let results = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event), &count)
            else { return out }
            for i in 0..<count {
                guard let result = results[i] else { continue }
                let name = rd_kafka_group_result_name(result).map { String(cString: $0) } ?? ""
                out[name] = .some(
                    rd_kafka_group_result_error(result).map { KafkaError(borrowing: $0, operation: "DeleteGroups") }
                )
            }
            return out
        }
    }

    /// OffsetFetch for one group: per partition its committed offset (`nil` partitions: every partition).
    func listConsumerGroupOffsets(
        _ group: String,
        partitions: [KafkaTopicPartition]?,
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        try groupOffsetsRequest(
            group,
            partitions.map { RDKafkaTopicPartitionList($0.map { ($0, KafkaOffset.invalid) }) },
            options: options,
            make: { rd_kafka_ListConsumerGroupOffsets_new($0, $1) },
            destroy: { rd_kafka_ListConsumerGroupOffsets_destroy($0) },
            send: { rd_kafka_ListConsumerGroupOffsets($0, $1, 1, $2, $3) },
            results: {
                rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result($0), $1)
            }
        )
    }

    func alterConsumerGroupOffsets(
        _ group: String,
        offsets: [(KafkaTopicPartition, KafkaOffset)],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        try groupOffsetsRequest(
            group,
            RDKafkaTopicPartitionList(offsets),
            options: options,
            make: { rd_kafka_AlterConsumerGroupOffsets_new($0, $1) },
            destroy: { rd_kafka_AlterConsumerGroupOffsets_destroy($0) },
            send: { rd_kafka_AlterConsumerGroupOffsets($0, $1, 1, $2, $3) },
            results: {
                rd_kafka_AlterConsumerGroupOffsets_result_groups(
                    rd_kafka_event_AlterConsumerGroupOffsets_result($0),
                    $1
                )
            }
        )
    }

    func deleteConsumerGroupOffsets(
        _ group: String,
        partitions: [KafkaTopicPartition],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        try groupOffsetsRequest(
            group,
            RDKafkaTopicPartitionList(partitions.map { ($0, KafkaOffset.invalid) }),
            options: options,
            make: { rd_kafka_DeleteConsumerGroupOffsets_new($0, $1) },
            destroy: { rd_kafka_DeleteConsumerGroupOffsets_destroy($0) },
            send: { rd_kafka_DeleteConsumerGroupOffsets($0, $1, 1, $2, $3) },
            results: {
                rd_kafka_DeleteConsumerGroupOffsets_result_groups(
                    rd_kafka_event_DeleteConsumerGroupOffsets_result($0),
                    $1
                )
            }
        )
    }

    /// One of the three group-offsets requests (each names one group): builds the request object from `group` and
    /// `list`, sends it, and reads the group's one result.
    private func groupOffsetsRequest(
        _ group: String,
        _ list: RDKafkaTopicPartitionList?,
        options: AdminRequestOptions,
        make: (String, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> OpaquePointer?,
        destroy: (OpaquePointer) -> Void,
        send: (OpaquePointer, UnsafeMutablePointer<OpaquePointer?>, OpaquePointer, OpaquePointer) -> Void,
        results: (OpaquePointer, UnsafeMutablePointer<Int>) -> UnsafeMutablePointer<OpaquePointer?>?
    ) throws(KafkaError) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        guard let request = make(group, list?.pointer) else {
            throw KafkaError.invalidAdminRequest("\(options.operation): librdkafka refused group '\(group)'")
        }
        defer { destroy(request) }
        var handles: [OpaquePointer?] = [request]
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            send(rk, &handles, adminOptions, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            return try Self.groupPartitionResults(results(event, &count), count, operation: options.operation)
        }
    }

    /// The one group result of a group-offsets request: a group-level error is thrown, partitions are per item.
    private static func groupPartitionResults(
        _ results: UnsafeMutablePointer<OpaquePointer?>?,
        _ count: Int,
        operation: String
    ) throws(KafkaError) -> [KafkaTopicPartition: Result<KafkaOffset, KafkaError>] {
        guard let results, count > 0, let result = results[0] else { return [:] }
        if let error = rd_kafka_group_result_error(result) {
            throw KafkaError(borrowing: error, operation: operation)
        }
        return partitionResults(rd_kafka_group_result_partitions(result), operation: operation)
    }

    // MARK: - ACLs

    private func aclBinding(_ binding: KafkaACLBinding) throws(KafkaError) -> OpaquePointer {
        try aclHandle(KafkaACLFilter(binding), what: "ACL \(binding)") {
            rd_kafka_AclBinding_new($0, $1, $2, $3, $4, $5, $6, $7, $8)
        }
    }

    private func aclFilter(_ filter: KafkaACLFilter) throws(KafkaError) -> OpaquePointer {
        try aclHandle(filter, what: "ACL filter \(filter)") {
            rd_kafka_AclBindingFilter_new($0, $1, $2, $3, $4, $5, $6, $7, $8)
        }
    }

    /// A binding (`rd_kafka_AclBinding_new`, every field given) or a filter (`rd_kafka_AclBindingFilter_new`,
    /// `nil` names match any): the two take the same arguments.
    private func aclHandle(
        _ filter: KafkaACLFilter,
        what: String,
        new: (
            rd_kafka_ResourceType_t, UnsafePointer<CChar>?, rd_kafka_ResourcePatternType_t, UnsafePointer<CChar>?,
            UnsafePointer<CChar>?, rd_kafka_AclOperation_t, rd_kafka_AclPermissionType_t,
            UnsafeMutablePointer<CChar>?, Int
        ) -> OpaquePointer?
    ) throws(KafkaError) -> OpaquePointer {
        var errstr = [CChar](repeating: 0, count: 512)
        let handle = withOptionalCString(filter.resourceName) { name in
            withOptionalCString(filter.principal) { principal in
                withOptionalCString(filter.host) { host in
                    new(
                        rd_kafka_ResourceType_t(rawValue: filter.resourceType.raw),
                        name,
                        rd_kafka_ResourcePatternType_t(rawValue: filter.patternType.raw),
                        principal,
                        host,
                        rd_kafka_AclOperation_t(rawValue: filter.operation.raw),
                        rd_kafka_AclPermissionType_t(rawValue: filter.permission.raw),
                        &errstr,
                        errstr.count
                    )
                }
            }
        }
        guard let handle else { throw KafkaError.invalidAdminRequest("\(what): \(String(nulTerminated: errstr))") }
        return handle
    }

    private static func readBinding(_ acl: OpaquePointer) -> KafkaACLBinding {
        KafkaACLBinding(
            resourceType: KafkaACLResourceType(raw: rd_kafka_AclBinding_restype(acl).rawValue) ?? .any,
            resourceName: rd_kafka_AclBinding_name(acl).map { String(cString: $0) } ?? "",
            patternType: KafkaACLPatternType(raw: rd_kafka_AclBinding_resource_pattern_type(acl).rawValue) ?? .any,
            principal: rd_kafka_AclBinding_principal(acl).map { String(cString: $0) } ?? "",
            host: rd_kafka_AclBinding_host(acl).map { String(cString: $0) } ?? "",
            operation: KafkaACLOperation(raw: rd_kafka_AclBinding_operation(acl).rawValue) ?? .any,
            permission: KafkaACLPermission(raw: rd_kafka_AclBinding_permission_type(acl).rawValue) ?? .any
        )
    }

    /// CreateAcls: per binding, in request order, its error or `nil`.
    func createACLs(_ bindings: [KafkaACLBinding], options: AdminRequestOptions) throws(KafkaError) -> [KafkaError?] {
        var handles: [OpaquePointer?] = []
        defer { for handle in handles { rd_kafka_AclBinding_destroy(handle) } }
        for binding in bindings { handles.append(try aclBinding(binding)) }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_CreateAcls(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            var out = [KafkaError?](repeating: nil, count: bindings.count)
            guard let results = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event), &count)
            else { return out }
            for i in 0..<min(count, out.count) {
                guard let result = results[i], let error = rd_kafka_acl_result_error(result) else { continue }
                out[i] = KafkaError(borrowing: error, operation: "CreateAcls")
            }
            return out
        }
    }

    func describeACLs(_ filter: KafkaACLFilter, options: AdminRequestOptions) throws(KafkaError) -> [KafkaACLBinding] {
        let handle = try aclFilter(filter)
        defer { rd_kafka_AclBinding_destroy(handle) }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_DescribeAcls(rk, handle, adminOptions, queue)
        } read: { event in
            var count = 0
            guard let acls = rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event), &count)
            else { return [] }
            return (0..<count).compactMap { acls[$0].map(Self.readBinding) }
        }
    }

    /// DeleteAcls: per filter, in request order, the bindings it deleted or its error.
    func deleteACLs(
        _ filters: [KafkaACLFilter],
        options: AdminRequestOptions
    ) throws(KafkaError) -> [Result<[KafkaACLBinding], KafkaError>] {
        var handles: [OpaquePointer?] = []
        defer { for handle in handles { rd_kafka_AclBinding_destroy(handle) } }
        for filter in filters { handles.append(try aclFilter(filter)) }
        let rk = pointer
        return try adminRequest(options) { queue, adminOptions in
            rd_kafka_DeleteAcls(rk, &handles, handles.count, adminOptions, queue)
        } read: { event in
            var count = 0
            var out = [Result<[KafkaACLBinding], KafkaError>](repeating: .success([]), count: filters.count)
            guard
                let responses = rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(event), &count)
            else { return out }
            for i in 0..<min(count, out.count) {
                guard let response = responses[i] else { continue }
                if let error = rd_kafka_DeleteAcls_result_response_error(response) {
                    out[i] = .failure(KafkaError(borrowing: error, operation: "DeleteAcls"))
                    continue
                }
                var matched = 0
                let acls = rd_kafka_DeleteAcls_result_response_matching_acls(response, &matched)
                out[i] = .success(
                    acls.map { list in (0..<matched).compactMap { list[$0].map(Self.readBinding) } } ?? []
                )
            }
            return out
        }
    }

    // MARK: - Cluster

    /// The cluster id and the controller id as librdkafka knows them (each waits up to `timeoutMilliseconds` for
    /// the first metadata).
    func clusterIdentity(timeoutMilliseconds: Int32) -> (clusterID: String?, controllerID: Int32?) {
        var clusterID: String? = nil
        if let raw = rd_kafka_clusterid(pointer, timeoutMilliseconds) {
            clusterID = String(cString: raw)
            free(raw)
        }
        let controller = rd_kafka_controllerid(pointer, timeoutMilliseconds)
        return (clusterID, controller >= 0 ? controller : nil)
    }
}

/// Runs `body` with `string` as a C string, or with `nil`.
private func withOptionalCString<T>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// Runs `body` with an array of C strings (`const char *`) that live for its duration.
private func withCStrings<T>(
    _ strings: [String],
    _ body: (inout [UnsafePointer<CChar>?]) throws(KafkaError) -> T
) throws(KafkaError) -> T {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    var pointers = copies.map { $0.map { UnsafePointer($0) } }
    return try body(&pointers)
}

extension KafkaError {
    /// Reads a `rd_kafka_error_t` that librdkafka still owns (a result's), without destroying it.
    init(borrowing error: OpaquePointer, operation: String, file: String = #fileID, line: Int = #line) {
        let err = rd_kafka_error_code(error)
        self.init(
            code: Code(rdKafkaCode: err.rawValue),
            message: "\(operation): \(String(cString: rd_kafka_error_string(error)))",
            isRetriable: rd_kafka_error_is_retriable(error) != 0 || Code.retriableCodes.contains(err.rawValue),
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            file: file,
            line: line
        )
    }
}
