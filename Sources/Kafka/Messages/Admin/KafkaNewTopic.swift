/// A topic to create with ``KafkaAdminClient/createTopics(_:validateOnly:timeout:)``.
///
/// ```swift
/// let orders = KafkaNewTopic(name: "orders", partitions: 12, replicationFactor: 3, configs: ["retention.ms": "86400000"])
/// let pinned = KafkaNewTopic(name: "audit", replicaAssignment: [[1, 2], [2, 3], [3, 1]])
/// ```
public struct KafkaNewTopic: Hashable, Sendable {
    /// The topic name: 1 to 249 characters of `a-z A-Z 0-9 . _ -`, neither `.` nor `..`.
    public var name: String
    /// The number of partitions, or `nil` for the broker's default (`num.partitions`; Apache Kafka 2.4 and later).
    public var partitions: Int?
    /// The number of replicas of each partition, or `nil` for the broker's default (`default.replication.factor`;
    /// Apache Kafka 2.4 and later). Must be `nil` with a ``replicaAssignment``.
    public var replicationFactor: Int?
    /// The broker ids of each partition's replicas, partition by partition (the first is the preferred leader), or
    /// `nil` to let the cluster place them. Every partition has the same number of replicas.
    public var replicaAssignment: [[Int32]]?
    /// Topic configuration (`retention.ms`, `cleanup.policy`, ...), as Kafka's `kafka-topics.sh --config` takes it.
    public var configs: [String: String]

    /// A topic with `partitions` partitions of `replicationFactor` replicas each (`nil`: the broker's defaults).
    public init(name: String, partitions: Int? = nil, replicationFactor: Int? = nil, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.replicaAssignment = nil
        self.configs = configs
    }

    /// A topic whose replicas are placed explicitly: one list of broker ids per partition.
    public init(name: String, replicaAssignment: [[Int32]], configs: [String: String] = [:]) {
        self.name = name
        self.partitions = replicaAssignment.count
        self.replicationFactor = nil
        self.replicaAssignment = replicaAssignment
        self.configs = configs
    }

    /// Checks what the cluster would refuse, before anything is sent.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidUsage`` naming the topic and the problem.
    public func validate() throws(KafkaError) {
        try KafkaNewTopic.validateName(name)
        if let partitions, partitions < 1 || partitions > Int(Int32.max) {
            throw KafkaError.invalidAdminRequest("topic '\(name)': partitions must be at least 1, not \(partitions)")
        }
        if let replicationFactor, replicationFactor < 1 || replicationFactor > Int(Int16.max) {
            throw KafkaError.invalidAdminRequest(
                "topic '\(name)': replicationFactor must be at least 1, not \(replicationFactor)"
            )
        }
        if let replicaAssignment {
            if replicationFactor != nil {
                throw KafkaError.invalidAdminRequest(
                    "topic '\(name)': give either a replicationFactor or a replicaAssignment, not both"
                )
            }
            try Self.validateAssignment(replicaAssignment, what: "topic '\(name)'")
            if let partitions, partitions != replicaAssignment.count {
                throw KafkaError.invalidAdminRequest(
                    "topic '\(name)': partitions is \(partitions) but the replica assignment lists "
                        + "\(replicaAssignment.count) partitions"
                )
            }
        }
        for key in configs.keys where key.isEmpty {
            throw KafkaError.invalidAdminRequest("topic '\(name)': a config has an empty name")
        }
    }

    /// Checks a topic name against Kafka's rules (1 to 249 characters of `a-z A-Z 0-9 . _ -`, not `.` or `..`).
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidUsage`` naming the name and the rule it breaks.
    public static func validateName(_ name: String) throws(KafkaError) {
        if name.isEmpty { throw KafkaError.invalidAdminRequest("a topic name cannot be empty") }
        if name == "." || name == ".." {
            throw KafkaError.invalidAdminRequest("'\(name)' cannot be a topic name")
        }
        if name.utf8.count > 249 {
            throw KafkaError.invalidAdminRequest(
                "topic name '\(name.prefix(40))...' is \(name.utf8.count) characters long; at most 249 are allowed"
            )
        }
        for byte in name.utf8 {
            let legal =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            if !legal {
                throw KafkaError.invalidAdminRequest(
                    "topic name '\(name)' may only contain a-z, A-Z, 0-9, '.', '_' and '-'"
                )
            }
        }
    }

    static func validateAssignment(_ assignment: [[Int32]], what: String) throws(KafkaError) {
        guard let width = assignment.first?.count else {
            throw KafkaError.invalidAdminRequest("\(what): the replica assignment lists no partition")
        }
        for (index, replicas) in assignment.enumerated() {
            if replicas.isEmpty {
                throw KafkaError.invalidAdminRequest("\(what): partition \(index) is assigned no replica")
            }
            if replicas.count != width {
                throw KafkaError.invalidAdminRequest(
                    "\(what): partition \(index) has \(replicas.count) replicas, partition 0 has \(width);"
                        + " every partition needs the same number"
                )
            }
            if Set(replicas).count != replicas.count {
                throw KafkaError.invalidAdminRequest(
                    "\(what): partition \(index) names a broker twice (\(replicas.map(String.init).joined(separator: ",")))"
                )
            }
            if let negative = replicas.first(where: { $0 < 0 }) {
                throw KafkaError.invalidAdminRequest("\(what): partition \(index) names broker id \(negative)")
            }
        }
    }
}

/// More partitions for an existing topic, for ``KafkaAdminClient/createPartitions(_:validateOnly:timeout:)``.
/// Kafka can only add partitions, never remove them.
public struct KafkaPartitionIncrease: Hashable, Sendable {
    /// The topic.
    public var topic: String
    /// The topic's partition count after the increase (not the number added).
    public var totalCount: Int
    /// The broker ids of each new partition's replicas, for the new partitions only, or `nil` to let the cluster
    /// place them.
    public var replicaAssignment: [[Int32]]?

    /// Grow `topic` to `totalCount` partitions.
    public init(topic: String, totalCount: Int, replicaAssignment: [[Int32]]? = nil) {
        self.topic = topic
        self.totalCount = totalCount
        self.replicaAssignment = replicaAssignment
    }

    /// Checks what the cluster would refuse, before anything is sent.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidUsage`` naming the topic and the problem.
    public func validate() throws(KafkaError) {
        try KafkaNewTopic.validateName(topic)
        if totalCount < 1 || totalCount > Int(Int32.max) {
            throw KafkaError.invalidAdminRequest("topic '\(topic)': the new partition count must be at least 1")
        }
        if let replicaAssignment {
            try KafkaNewTopic.validateAssignment(replicaAssignment, what: "topic '\(topic)'")
        }
    }
}

/// A topic as ``KafkaAdminClient/listTopics(includeInternal:timeout:)`` lists it.
public struct KafkaTopicListing: Hashable, Sendable {
    /// The topic name.
    public var name: String
    /// Its number of partitions.
    public var partitionCount: Int
    /// Whether it is one of Kafka's internal topics (its name starts with `__`: `__consumer_offsets`,
    /// `__transaction_state`).
    public var isInternal: Bool

    /// A listing.
    public init(name: String, partitionCount: Int, isInternal: Bool) {
        self.name = name
        self.partitionCount = partitionCount
        self.isInternal = isInternal
    }

    /// Whether `name` is an internal topic's, by Kafka's convention (a `__` prefix).
    public static func isInternalName(_ name: String) -> Bool { name.hasPrefix("__") }
}

/// A topic as ``KafkaAdminClient/describeTopics(_:includeConfigs:timeout:)`` describes it: its partitions with
/// their leaders, replicas and in-sync replicas, and its configuration.
public struct KafkaTopicDescription: Hashable, Sendable {
    /// The topic name.
    public var name: String
    /// Whether it is an internal topic (see ``KafkaTopicListing/isInternal``).
    public var isInternal: Bool
    /// Its partitions, in partition order.
    public var partitions: [KafkaClusterMetadata.Partition]
    /// Its configuration entries, sorted by name (empty when not asked for).
    public var configs: [KafkaConfigEntry]

    /// A description.
    public init(
        name: String,
        isInternal: Bool,
        partitions: [KafkaClusterMetadata.Partition],
        configs: [KafkaConfigEntry]
    ) {
        self.name = name
        self.isInternal = isInternal
        self.partitions = partitions
        self.configs = configs
    }

    /// The replication factor: the replica count of the first partition.
    public var replicationFactor: Int { partitions.first?.replicas.count ?? 0 }
}

extension KafkaError {
    /// A request that the admin client refuses to send, naming the item and the problem.
    package static func invalidAdminRequest(
        _ message: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        KafkaError(code: .invalidUsage, message: message, file: file, line: line)
    }
}
