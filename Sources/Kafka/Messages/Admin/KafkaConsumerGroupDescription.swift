/// The state of a consumer group, as its coordinator reports it.
public enum KafkaConsumerGroupState: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Members are joining; partitions are about to move.
    case preparingRebalance
    /// Members joined; the assignment is being handed out.
    case completingRebalance
    /// Every member has its partitions.
    case stable
    /// The group has no member and no committed offset left, and is being removed.
    case dead
    /// The group has no member, but committed offsets (the state in which its offsets can be reset).
    case empty
    /// A state the broker did not name, or that this library does not know.
    case unknown

    init(raw: UInt32) {
        switch raw {
        case 1: self = .preparingRebalance
        case 2: self = .completingRebalance
        case 3: self = .stable
        case 4: self = .dead
        case 5: self = .empty
        default: self = .unknown
        }
    }

    var raw: UInt32 {
        switch self {
        case .unknown: return 0
        case .preparingRebalance: return 1
        case .completingRebalance: return 2
        case .stable: return 3
        case .dead: return 4
        case .empty: return 5
        }
    }

    /// The name Kafka's tools print (`Stable`, `Empty`, `PreparingRebalance`, ...).
    public var description: String {
        switch self {
        case .preparingRebalance: return "PreparingRebalance"
        case .completingRebalance: return "CompletingRebalance"
        case .stable: return "Stable"
        case .dead: return "Dead"
        case .empty: return "Empty"
        case .unknown: return "Unknown"
        }
    }

    /// Parses a name as ``description`` prints it (case-insensitive), or `nil`.
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.description.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = state
    }
}

/// A consumer group as ``KafkaAdminClient/listConsumerGroups(states:timeout:)`` lists it.
public struct KafkaConsumerGroupListing: Hashable, Sendable {
    /// The group id.
    public var groupID: String
    /// Whether it is a "simple" group: one that commits offsets but whose members do not join (no protocol).
    public var isSimple: Bool
    /// Its state.
    public var state: KafkaConsumerGroupState

    /// A listing.
    public init(groupID: String, isSimple: Bool, state: KafkaConsumerGroupState) {
        self.groupID = groupID
        self.isSimple = isSimple
        self.state = state
    }
}

/// What ``KafkaAdminClient/listConsumerGroups(states:timeout:)`` found: the groups of every broker that answered,
/// and an error for each broker that did not (so a partial listing is never mistaken for a whole one).
public struct KafkaConsumerGroupList: Sendable {
    /// The groups, sorted by id.
    public var groups: [KafkaConsumerGroupListing]
    /// One error per broker that could not list its groups; empty when the listing is complete.
    public var errors: [KafkaError]

    /// A listing.
    public init(groups: [KafkaConsumerGroupListing], errors: [KafkaError]) {
        self.groups = groups
        self.errors = errors
    }
}

/// A consumer group as ``KafkaAdminClient/describeConsumerGroups(_:timeout:)`` describes it.
public struct KafkaConsumerGroupDescription: Hashable, Sendable {
    /// One member of the group.
    public struct Member: Hashable, Sendable {
        /// The member id the coordinator gave it.
        public var memberID: String
        /// Its static membership id (`group.instance.id`), if it has one.
        public var groupInstanceID: String?
        /// Its `client.id`.
        public var clientID: String
        /// The host it connects from, as the coordinator sees it.
        public var host: String
        /// The partitions assigned to it, sorted.
        public var assignment: [KafkaTopicPartition]

        /// A member.
        public init(
            memberID: String,
            groupInstanceID: String?,
            clientID: String,
            host: String,
            assignment: [KafkaTopicPartition]
        ) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.clientID = clientID
            self.host = host
            self.assignment = assignment
        }
    }

    /// The group id.
    public var groupID: String
    /// Whether it is a simple group (see ``KafkaConsumerGroupListing/isSimple``).
    public var isSimple: Bool
    /// Its state.
    public var state: KafkaConsumerGroupState
    /// The partition assignor its members agreed on (the protocol name: `range`, `roundrobin`,
    /// `cooperative-sticky`, ...), empty while the group has no member.
    public var partitionAssignor: String
    /// The broker coordinating the group, when reported.
    public var coordinator: KafkaClusterMetadata.Broker?
    /// Its members, sorted by member id.
    public var members: [Member]

    /// A description.
    public init(
        groupID: String,
        isSimple: Bool,
        state: KafkaConsumerGroupState,
        partitionAssignor: String,
        coordinator: KafkaClusterMetadata.Broker?,
        members: [Member]
    ) {
        self.groupID = groupID
        self.isSimple = isSimple
        self.state = state
        self.partitionAssignor = partitionAssignor
        self.coordinator = coordinator
        self.members = members
    }
}

/// One partition of a consumer group's position: its committed offset, the partition's watermarks and the lag
/// between them, and the member that holds it. Returned by ``KafkaAdminClient/consumerGroupLag(_:topics:timeout:)``.
public struct KafkaPartitionLag: Hashable, Sendable {
    /// The partition.
    public var partition: KafkaTopicPartition
    /// The group's committed offset (the next message it will read), or ``KafkaOffset/invalid`` when it committed
    /// none.
    public var committed: KafkaOffset
    /// The partition's low and high watermarks.
    public var watermarks: KafkaWatermarks
    /// The member that holds the partition now, if any.
    public var member: KafkaConsumerGroupDescription.Member?

    /// A row.
    public init(
        partition: KafkaTopicPartition,
        committed: KafkaOffset,
        watermarks: KafkaWatermarks,
        member: KafkaConsumerGroupDescription.Member?
    ) {
        self.partition = partition
        self.committed = committed
        self.watermarks = watermarks
        self.member = member
    }

    /// Messages the group has not read: high watermark minus the committed offset (from the low watermark when it
    /// committed nothing, or committed an offset that retention has since deleted).
    public var lag: Int64 {
        let from = committed.rawValue >= 0 ? max(committed.rawValue, watermarks.low.rawValue) : watermarks.low.rawValue
        return max(0, watermarks.high.rawValue - from)
    }
}
