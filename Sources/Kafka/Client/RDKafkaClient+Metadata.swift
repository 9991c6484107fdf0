internal import CLibrdkafka

// Cluster metadata. Blocking; called from the admin client's own thread only.
extension RDKafkaClient {
    /// Asks the cluster for its brokers and for `topics` (every topic when `nil`).
    func metadata(topics: [String]?, timeoutMilliseconds: Int32) throws(KafkaError) -> KafkaClusterMetadata {
        guard let topics else {
            return try metadataRequest(topic: nil, timeoutMilliseconds: timeoutMilliseconds)
        }
        var merged: KafkaClusterMetadata? = nil
        for topic in topics {
            let one = try metadataRequest(topic: topic, timeoutMilliseconds: timeoutMilliseconds)
            if merged == nil {
                merged = one
            } else {
                merged?.topics += one.topics
            }
        }
        if let merged { return merged }
        // No topic: the brokers only (librdkafka asks for the topics it knows locally, none for a new handle).
        var empty = try metadataRequest(topic: nil, allTopics: false, timeoutMilliseconds: timeoutMilliseconds)
        empty.topics = []
        return empty
    }

    private func metadataRequest(
        topic: String?,
        allTopics: Bool = true,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> KafkaClusterMetadata {
        var rkt: OpaquePointer? = nil
        if let topic {
            guard let handle = rd_kafka_topic_new(pointer, topic, nil) else {
                throw KafkaError.librdkafka(rd_kafka_last_error(), topic: topic)
            }
            rkt = handle
        }
        defer { if let rkt { rd_kafka_topic_destroy(rkt) } }
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let err = rd_kafka_metadata(pointer, topic == nil && allTopics ? 1 : 0, rkt, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.librdkafka(
                err,
                message: "metadata request failed: \(String(cString: rd_kafka_err2str(err)))",
                topic: topic
            )
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let md = metadata.pointee
        var brokers: [KafkaClusterMetadata.Broker] = []
        for i in 0..<Int(md.broker_cnt) {
            guard let b = md.brokers?[i] else { continue }
            brokers.append(
                KafkaClusterMetadata.Broker(id: b.id, host: b.host.map { String(cString: $0) } ?? "", port: b.port)
            )
        }
        func code(_ err: rd_kafka_resp_err_t) -> KafkaError.Code? {
            err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(rdKafkaCode: err.rawValue)
        }
        var topics: [KafkaClusterMetadata.Topic] = []
        for i in 0..<Int(md.topic_cnt) {
            guard let t = md.topics?[i] else { continue }
            var partitions: [KafkaClusterMetadata.Partition] = []
            for j in 0..<Int(t.partition_cnt) {
                guard let p = t.partitions?[j] else { continue }
                let replicas = (0..<Int(p.replica_cnt)).compactMap { p.replicas?[$0] }
                let isrs = (0..<Int(p.isr_cnt)).compactMap { p.isrs?[$0] }
                partitions.append(
                    KafkaClusterMetadata.Partition(
                        id: KafkaPartition(rawValue: p.id),
                        leader: p.leader,
                        replicas: replicas,
                        inSyncReplicas: isrs,
                        error: code(p.err)
                    )
                )
            }
            partitions.sort { $0.id < $1.id }
            topics.append(
                KafkaClusterMetadata.Topic(
                    name: t.topic.map { String(cString: $0) } ?? "",
                    partitions: partitions,
                    error: code(t.err)
                )
            )
        }
        return KafkaClusterMetadata(
            brokers: brokers,
            topics: topics,
            originatingBrokerID: md.orig_broker_id,
            originatingBrokerName: md.orig_broker_name.map { String(cString: $0) } ?? "",
            controllerID: rd_kafka_controllerid(pointer, 0)
        )
    }
}
