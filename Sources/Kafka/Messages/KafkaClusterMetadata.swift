/// What a cluster reports about itself: its brokers and, for each topic asked about, the partitions with their
/// leaders, replicas and in-sync replicas. Returned by ``KafkaAdminClient/metadata(topics:timeout:)``.
public struct KafkaClusterMetadata: Hashable, Sendable {
    /// One broker of the cluster.
    public struct Broker: Hashable, Sendable {
        /// The broker's node id.
        public var id: Int32
        /// The host name the broker advertises.
        public var host: String
        /// The port the broker advertises.
        public var port: Int32

        /// A broker.
        public init(id: Int32, host: String, port: Int32) {
            self.id = id
            self.host = host
            self.port = port
        }
    }

    /// One partition of a topic.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var id: KafkaPartition
        /// The node id of the leader, or -1 when the partition has none.
        public var leader: Int32
        /// The node ids of the replicas.
        public var replicas: [Int32]
        /// The node ids of the in-sync replicas.
        public var inSyncReplicas: [Int32]
        /// The broker's error for this partition (e.g. leader not available), if any.
        public var error: KafkaError.Code?

        /// A partition.
        public init(
            id: KafkaPartition,
            leader: Int32,
            replicas: [Int32],
            inSyncReplicas: [Int32],
            error: KafkaError.Code?
        ) {
            self.id = id
            self.leader = leader
            self.replicas = replicas
            self.inSyncReplicas = inSyncReplicas
            self.error = error
        }
    }

    /// One topic.
    public struct Topic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partitions, in partition order.
        public var partitions: [Partition]
        /// The broker's error for this topic (e.g. ``KafkaError/Code/unknownTopicOrPartition``), if any.
        public var error: KafkaError.Code?

        /// A topic.
        public init(name: String, partitions: [Partition], error: KafkaError.Code?) {
            self.name = name
            self.partitions = partitions
            self.error = error
        }
    }

    /// The brokers, in the order the cluster listed them.
    public var brokers: [Broker]
    /// The topics, in the order the cluster listed them.
    public var topics: [Topic]
    /// The id of the broker that answered.
    public var originatingBrokerID: Int32
    /// The name (`host:port/id`) of the broker that answered.
    public var originatingBrokerName: String
    /// The id of the controller broker, or -1 when unknown.
    public var controllerID: Int32

    /// Metadata with the given parts.
    public init(
        brokers: [Broker],
        topics: [Topic],
        originatingBrokerID: Int32,
        originatingBrokerName: String,
        controllerID: Int32
    ) {
        self.brokers = brokers
        self.topics = topics
        self.originatingBrokerID = originatingBrokerID
        self.originatingBrokerName = originatingBrokerName
        self.controllerID = controllerID
    }
}
