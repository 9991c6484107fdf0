/// The cluster as ``KafkaAdminClient/describeCluster(timeout:)`` reports it.
public struct KafkaClusterDescription: Hashable, Sendable {
    /// The cluster id (Kafka 0.10.1 and later), or `nil` when the cluster did not report one.
    public var clusterID: String?
    /// The controller's broker id, or `nil` when unknown.
    public var controllerID: Int32?
    /// The brokers, sorted by id.
    public var brokers: [KafkaClusterMetadata.Broker]

    /// A description.
    public init(clusterID: String?, controllerID: Int32?, brokers: [KafkaClusterMetadata.Broker]) {
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.brokers = brokers
    }
}

/// Where ``KafkaAdminClient/resetConsumerGroupOffsets(_:topics:to:execute:timeout:)`` moves a group's offsets.
/// Every target is clamped into the partition's watermarks, as Kafka's `kafka-consumer-groups.sh` does.
public enum KafkaOffsetResetTarget: Hashable, Sendable, CustomStringConvertible {
    /// The oldest message still in each partition (its low watermark).
    case earliest
    /// Past the newest message (the high watermark): the group skips everything there is.
    case latest
    /// This offset in every partition, clamped into its watermarks.
    case offset(Int64)
    /// The first message at or after this time; the high watermark where no message is that recent.
    case timestamp(KafkaTimestamp)
    /// The committed offset moved by this many messages (negative: back), clamped; from the low watermark where
    /// nothing is committed.
    case shift(by: Int64)

    public var description: String {
        switch self {
        case .earliest: return "earliest"
        case .latest: return "latest"
        case .offset(let n): return "offset \(n)"
        case .timestamp(let ts): return "timestamp \(ts.millisecondsSinceEpoch)"
        case .shift(let n): return "shift by \(n)"
        }
    }

    /// The new offset for one partition.
    /// - Parameters:
    ///   - watermarks: the partition's watermarks.
    ///   - committed: the group's committed offset there (``KafkaOffset/invalid`` for none).
    ///   - offsetForTime: for ``timestamp(_:)``, the partition's offset for that time (negative for none).
    public func newOffset(watermarks: KafkaWatermarks, committed: KafkaOffset, offsetForTime: KafkaOffset?) -> Int64 {
        let low = watermarks.low.rawValue
        let high = watermarks.high.rawValue
        func clamp(_ n: Int64) -> Int64 { min(max(n, low), high) }
        switch self {
        case .earliest: return low
        case .latest: return high
        case .offset(let n): return clamp(n)
        case .timestamp:
            let offset = offsetForTime?.rawValue ?? -1
            return offset >= 0 ? clamp(offset) : high
        case .shift(let n):
            let base = committed.rawValue >= 0 ? committed.rawValue : low
            let (sum, overflow) = base.addingReportingOverflow(n)
            return overflow ? (n < 0 ? low : high) : clamp(sum)
        }
    }
}

/// What an offset reset did, or would do: per partition, the group's committed offset and the new one.
public struct KafkaOffsetResetPlan: Hashable, Sendable {
    /// One partition's move.
    public struct Move: Hashable, Sendable {
        /// The partition.
        public var partition: KafkaTopicPartition
        /// The committed offset before the reset (``KafkaOffset/invalid`` for none).
        public var current: KafkaOffset
        /// The offset after it.
        public var new: KafkaOffset

        /// A move.
        public init(partition: KafkaTopicPartition, current: KafkaOffset, new: KafkaOffset) {
            self.partition = partition
            self.current = current
            self.new = new
        }
    }

    /// The group.
    public var group: String
    /// The moves, by topic and partition.
    public var moves: [Move]
    /// Whether the new offsets were committed (`false` for a dry run).
    public var executed: Bool

    /// A plan.
    public init(group: String, moves: [Move], executed: Bool) {
        self.group = group
        self.moves = moves
        self.executed = executed
    }
}
