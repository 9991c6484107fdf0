#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One snapshot of librdkafka's statistics for a client, emitted every
/// ``KafkaProducerConfiguration/statisticsInterval`` (or the consumer's).
///
/// The fields are librdkafka's (its `STATISTICS.md` documents each); counters are totals since the client started.
/// A field the running librdkafka does not report reads as zero, or `nil` where it is optional. ``json`` keeps the
/// whole document for anything not decoded here.
public struct KafkaStatistics: Sendable {
    /// The document as librdkafka wrote it.
    public var json: String
    /// The client's instance name (`name`), e.g. `rdkafka#producer-1`.
    public var name: String
    /// `client_id`.
    public var clientID: String
    /// `producer` or `consumer` (`type`).
    public var type: String
    /// When librdkafka wrote it, in seconds since the epoch (`time`).
    public var time: Int64
    /// How long the client has existed (`age`).
    public var age: Duration
    /// Operations (callbacks, events) waiting for the application to poll them (`replyq`).
    public var replyQueueLength: Int64
    /// Messages in the producer's queues, waiting to be sent or acknowledged (`msg_cnt`).
    public var queuedMessages: Int64
    /// The bytes of those messages (`msg_size`).
    public var queuedBytes: Int64
    /// The most messages the queues may hold (`msg_max`, `queue.buffering.max.messages`).
    public var queueMaxMessages: Int64
    /// The most bytes the queues may hold (`msg_size_max`).
    public var queueMaxBytes: Int64
    /// Requests sent to brokers (`tx`).
    public var requestsSent: Int64
    /// Bytes sent to brokers (`tx_bytes`).
    public var bytesSent: Int64
    /// Responses received from brokers (`rx`).
    public var responsesReceived: Int64
    /// Bytes received from brokers (`rx_bytes`).
    public var bytesReceived: Int64
    /// Messages sent to brokers (`txmsgs`).
    public var messagesSent: Int64
    /// Message bytes sent, payloads and keys (`txmsg_bytes`).
    public var messageBytesSent: Int64
    /// Messages consumed, not counting ignored ones (`rxmsgs`).
    public var messagesReceived: Int64
    /// Message bytes consumed (`rxmsg_bytes`).
    public var messageBytesReceived: Int64
    /// The brokers the client knows, ordered by node id (bootstrap entries, with node id -1, first).
    public var brokers: [Broker]
    /// The topics the client uses, ordered by name.
    public var topics: [Topic]
    /// The consumer group, for a consumer in one (`cgrp`).
    public var consumerGroup: ConsumerGroup?

    /// A broker connection's statistics (`brokers.*`).
    public struct Broker: Sendable {
        /// `name`, e.g. `localhost:9092/1`.
        public var name: String
        /// The broker's node id (`nodeid`); -1 for a bootstrap entry not yet resolved.
        public var nodeID: Int32
        /// `host:port` (`nodename`).
        public var nodeName: String
        /// How the client learned of it: `configured`, `learned`, `internal` or `logical` (`source`).
        public var source: String
        /// The connection's state, e.g. `UP`, `DOWN`, `CONNECT` (`state`).
        public var state: String
        /// Time since the last state change (`stateage`).
        public var stateAge: Duration
        /// Requests waiting to be sent (`outbuf_cnt`).
        public var requestsWaitingToSend: Int64
        /// Requests sent and waiting for a response (`waitresp_cnt`).
        public var requestsInFlight: Int64
        /// Requests sent (`tx`).
        public var requestsSent: Int64
        /// Bytes sent (`txbytes`).
        public var bytesSent: Int64
        /// Send errors (`txerrs`).
        public var sendErrors: Int64
        /// Requests retried (`txretries`).
        public var retries: Int64
        /// Requests timed out (`req_timeouts`).
        public var requestTimeouts: Int64
        /// Responses received (`rx`).
        public var responsesReceived: Int64
        /// Bytes received (`rxbytes`).
        public var bytesReceived: Int64
        /// Receive errors (`rxerrs`).
        public var receiveErrors: Int64
        /// Connection attempts, successful or not (`connects`).
        public var connects: Int64
        /// Disconnects, by the broker or the client (`disconnects`).
        public var disconnects: Int64
        /// Round-trip times of requests over the last window (`rtt`).
        public var roundTrip: Window
        /// Time the broker asked the client to hold back over the last window (`throttle`).
        public var throttle: Window
        /// Time produced messages waited in the client before being sent, over the last window (`int_latency`).
        public var internalLatency: Window
    }

    /// A rolling window of durations (librdkafka's `rtt`, `throttle`, `int_latency`): empty (all zero) when
    /// nothing was measured in the window.
    public struct Window: Sendable, Equatable {
        /// The smallest.
        public var min: Duration
        /// The largest.
        public var max: Duration
        /// The mean.
        public var average: Duration
        /// The median.
        public var p50: Duration
        /// The 95th percentile.
        public var p95: Duration
        /// The 99th percentile.
        public var p99: Duration
        /// How many values the window holds (`cnt`).
        public var count: Int64

        /// A window with nothing measured.
        public static let empty = Window(
            min: .zero,
            max: .zero,
            average: .zero,
            p50: .zero,
            p95: .zero,
            p99: .zero,
            count: 0
        )
    }

    /// A topic's statistics (`topics.*`).
    public struct Topic: Sendable {
        /// The topic's name.
        public var name: String
        /// Age of the client's metadata for it (`metadata_age`).
        public var metadataAge: Duration
        /// Its partitions, ordered by number (librdkafka's internal unassigned partition, -1, left out).
        public var partitions: [Partition]
    }

    /// A topic-partition's statistics (`topics.*.partitions.*`).
    public struct Partition: Sendable {
        /// The partition.
        public var partition: KafkaPartition
        /// The node id of the broker the client talks to for it (`broker`); -1 when none.
        public var broker: Int32
        /// The node id of its leader (`leader`).
        public var leader: Int32
        /// Whether the client uses it (assigned, or produced to) (`desired`).
        public var isDesired: Bool
        /// Messages waiting in the producer's queue for it (`msgq_cnt`).
        public var queuedMessages: Int64
        /// The bytes of those (`msgq_bytes`).
        public var queuedBytes: Int64
        /// Messages sent and waiting for acknowledgement (`msgs_inflight`).
        public var messagesInFlight: Int64
        /// Messages fetched and waiting for the application (`fetchq_cnt`).
        public var fetchQueueMessages: Int64
        /// The bytes of those (`fetchq_size`).
        public var fetchQueueBytes: Int64
        /// The consumer's fetch state, e.g. `active`, `stopped`, `offset-query` (`fetch_state`).
        public var fetchState: String
        /// The next offset to fetch (`next_offset`), when known.
        public var nextOffset: KafkaOffset?
        /// The offset of the last message handed to the application, plus one (`app_offset`), when known.
        public var applicationOffset: KafkaOffset?
        /// The offset stored for the next commit (`stored_offset`), when known.
        public var storedOffset: KafkaOffset?
        /// The last committed offset (`committed_offset`), when known.
        public var committedOffset: KafkaOffset?
        /// The partition's low watermark (`lo_offset`), when known.
        public var lowWatermark: KafkaOffset?
        /// The partition's high watermark (`hi_offset`), when known.
        public var highWatermark: KafkaOffset?
        /// The last stable offset (`ls_offset`), when known.
        public var lastStableOffset: KafkaOffset?
        /// How far the group's committed position is behind the end: the high watermark (the last stable offset
        /// under `read_committed`) minus the committed offset (`consumer_lag`); `nil` until both are known, e.g.
        /// before the first commit.
        public var consumerLag: Int64?
        /// The same, from the offset stored for the next commit (`consumer_lag_stored`): what the lag will be once
        /// the stored offsets are committed; `nil` until both are known.
        public var consumerLagStored: Int64?
        /// Messages sent to it (`txmsgs`).
        public var messagesSent: Int64
        /// Bytes sent to it (`txbytes`).
        public var bytesSent: Int64
        /// Messages consumed from it (`rxmsgs`).
        public var messagesReceived: Int64
        /// Bytes consumed from it (`rxbytes`).
        public var bytesReceived: Int64
    }

    /// A consumer group member's statistics (`cgrp`).
    public struct ConsumerGroup: Sendable {
        /// The coordinator state, e.g. `up`, `wait-coord` (`state`).
        public var state: String
        /// Time since the last state change (`stateage`).
        public var stateAge: Duration
        /// The join state, e.g. `steady`, `wait-join` (`join_state`).
        public var joinState: String
        /// Time since the last rebalance (`rebalance_age`).
        public var rebalanceAge: Duration
        /// Rebalances so far, assignments and revocations (`rebalance_cnt`).
        public var rebalanceCount: Int64
        /// Why the last rebalance happened (`rebalance_reason`).
        public var rebalanceReason: String
        /// Partitions assigned to this member (`assignment_size`).
        public var assignmentSize: Int64
    }

    /// Decodes librdkafka's statistics document.
    /// - Throws: a `DecodingError` when `json` is not a statistics document.
    public init(json: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let raw = try decoder.decode(Raw.Client.self, from: Data(json.utf8))
        self.json = json
        name = raw.name ?? ""
        clientID = raw.clientId ?? ""
        type = raw.type ?? ""
        time = raw.time ?? 0
        age = .microseconds(raw.age ?? 0)
        replyQueueLength = raw.replyq ?? 0
        queuedMessages = raw.msgCnt ?? 0
        queuedBytes = raw.msgSize ?? 0
        queueMaxMessages = raw.msgMax ?? 0
        queueMaxBytes = raw.msgSizeMax ?? 0
        requestsSent = raw.tx ?? 0
        bytesSent = raw.txBytes ?? 0
        responsesReceived = raw.rx ?? 0
        bytesReceived = raw.rxBytes ?? 0
        messagesSent = raw.txmsgs ?? 0
        messageBytesSent = raw.txmsgBytes ?? 0
        messagesReceived = raw.rxmsgs ?? 0
        messageBytesReceived = raw.rxmsgBytes ?? 0
        brokers = (raw.brokers ?? [:]).values.map(Broker.init).sorted { ($0.nodeID, $0.name) < ($1.nodeID, $1.name) }
        topics = (raw.topics ?? [:]).map { Topic(name: $0.key, raw: $0.value) }.sorted { $0.name < $1.name }
        consumerGroup = raw.cgrp.map(ConsumerGroup.init)
    }
}

extension KafkaStatistics {
    /// The partition's statistics, if the client reported it.
    public func partition(_ partition: KafkaPartition, of topic: String) -> Partition? {
        topics.first { $0.name == topic }?.partitions.first { $0.partition == partition }
    }
}

// MARK: - Decoding

extension KafkaStatistics.Broker {
    fileprivate init(_ raw: KafkaStatistics.Raw.Broker) {
        name = raw.name ?? ""
        nodeID = raw.nodeid ?? -1
        nodeName = raw.nodename ?? ""
        source = raw.source ?? ""
        state = raw.state ?? ""
        stateAge = .microseconds(raw.stateage ?? 0)
        requestsWaitingToSend = raw.outbufCnt ?? 0
        requestsInFlight = raw.waitrespCnt ?? 0
        requestsSent = raw.tx ?? 0
        bytesSent = raw.txbytes ?? 0
        sendErrors = raw.txerrs ?? 0
        retries = raw.txretries ?? 0
        requestTimeouts = raw.reqTimeouts ?? 0
        responsesReceived = raw.rx ?? 0
        bytesReceived = raw.rxbytes ?? 0
        receiveErrors = raw.rxerrs ?? 0
        connects = raw.connects ?? 0
        disconnects = raw.disconnects ?? 0
        roundTrip = KafkaStatistics.Window(raw.rtt, unit: .microseconds)
        throttle = KafkaStatistics.Window(raw.throttle, unit: .milliseconds)
        internalLatency = KafkaStatistics.Window(raw.intLatency, unit: .microseconds)
    }
}

extension KafkaStatistics.Window {
    fileprivate enum Unit { case microseconds, milliseconds }

    fileprivate init(_ raw: KafkaStatistics.Raw.Window?, unit: Unit) {
        guard let raw, (raw.cnt ?? 0) > 0 else {
            self = .empty
            return
        }
        func duration(_ value: Int64?) -> Duration {
            let value = value ?? 0
            return unit == .microseconds ? .microseconds(value) : .milliseconds(value)
        }
        min = duration(raw.min)
        max = duration(raw.max)
        average = duration(raw.avg)
        p50 = duration(raw.p50)
        p95 = duration(raw.p95)
        p99 = duration(raw.p99)
        count = raw.cnt ?? 0
    }
}

extension KafkaStatistics.Topic {
    fileprivate init(name: String, raw: KafkaStatistics.Raw.Topic) {
        self.name = name
        metadataAge = .milliseconds(raw.metadataAge ?? 0)
        partitions = (raw.partitions ?? [:]).values
            .compactMap { raw in raw.partition.flatMap { $0 >= 0 ? KafkaStatistics.Partition($0, raw: raw) : nil } }
            .sorted { $0.partition < $1.partition }
    }
}

extension KafkaStatistics.Partition {
    fileprivate init(_ number: Int32, raw: KafkaStatistics.Raw.Partition) {
        func offset(_ value: Int64?) -> KafkaOffset? {
            guard let value, value >= 0 else { return nil }
            return KafkaOffset(rawValue: value)
        }
        partition = KafkaPartition(rawValue: number)
        broker = raw.broker ?? -1
        leader = raw.leader ?? -1
        isDesired = raw.desired ?? false
        queuedMessages = raw.msgqCnt ?? 0
        queuedBytes = raw.msgqBytes ?? 0
        messagesInFlight = raw.msgsInflight ?? 0
        fetchQueueMessages = raw.fetchqCnt ?? 0
        fetchQueueBytes = raw.fetchqSize ?? 0
        fetchState = raw.fetchState ?? ""
        nextOffset = offset(raw.nextOffset)
        applicationOffset = offset(raw.appOffset)
        storedOffset = offset(raw.storedOffset)
        committedOffset = offset(raw.committedOffset)
        lowWatermark = offset(raw.loOffset)
        highWatermark = offset(raw.hiOffset)
        lastStableOffset = offset(raw.lsOffset)
        consumerLag = raw.consumerLag.flatMap { $0 >= 0 ? $0 : nil }
        consumerLagStored = raw.consumerLagStored.flatMap { $0 >= 0 ? $0 : nil }
        messagesSent = raw.txmsgs ?? 0
        bytesSent = raw.txbytes ?? 0
        messagesReceived = raw.rxmsgs ?? 0
        bytesReceived = raw.rxbytes ?? 0
    }
}

extension KafkaStatistics.ConsumerGroup {
    fileprivate init(_ raw: KafkaStatistics.Raw.ConsumerGroup) {
        state = raw.state ?? ""
        stateAge = .milliseconds(raw.stateage ?? 0)
        joinState = raw.joinState ?? ""
        rebalanceAge = .milliseconds(raw.rebalanceAge ?? 0)
        rebalanceCount = raw.rebalanceCnt ?? 0
        rebalanceReason = raw.rebalanceReason ?? ""
        assignmentSize = raw.assignmentSize ?? 0
    }
}

extension KafkaStatistics {
    /// The document's shape, keys converted from snake case; every field optional, as versions differ.
    fileprivate enum Raw {
        struct Client: Decodable {
            var name: String?
            var clientId: String?
            var type: String?
            var time: Int64?
            var age: Int64?
            var replyq: Int64?
            var msgCnt: Int64?
            var msgSize: Int64?
            var msgMax: Int64?
            var msgSizeMax: Int64?
            var tx: Int64?
            var txBytes: Int64?
            var rx: Int64?
            var rxBytes: Int64?
            var txmsgs: Int64?
            var txmsgBytes: Int64?
            var rxmsgs: Int64?
            var rxmsgBytes: Int64?
            var brokers: [String: Broker]?
            var topics: [String: Topic]?
            var cgrp: ConsumerGroup?
        }

        struct Broker: Decodable {
            var name: String?
            var nodeid: Int32?
            var nodename: String?
            var source: String?
            var state: String?
            var stateage: Int64?
            var outbufCnt: Int64?
            var waitrespCnt: Int64?
            var tx: Int64?
            var txbytes: Int64?
            var txerrs: Int64?
            var txretries: Int64?
            var reqTimeouts: Int64?
            var rx: Int64?
            var rxbytes: Int64?
            var rxerrs: Int64?
            var connects: Int64?
            var disconnects: Int64?
            var rtt: Window?
            var throttle: Window?
            var intLatency: Window?
        }

        struct Window: Decodable {
            var min: Int64?
            var max: Int64?
            var avg: Int64?
            var p50: Int64?
            var p95: Int64?
            var p99: Int64?
            var cnt: Int64?
        }

        struct Topic: Decodable {
            var metadataAge: Int64?
            var partitions: [String: Partition]?
        }

        struct Partition: Decodable {
            var partition: Int32?
            var broker: Int32?
            var leader: Int32?
            var desired: Bool?
            var msgqCnt: Int64?
            var msgqBytes: Int64?
            var msgsInflight: Int64?
            var fetchqCnt: Int64?
            var fetchqSize: Int64?
            var fetchState: String?
            var nextOffset: Int64?
            var appOffset: Int64?
            var storedOffset: Int64?
            var committedOffset: Int64?
            var loOffset: Int64?
            var hiOffset: Int64?
            var lsOffset: Int64?
            var consumerLag: Int64?
            var consumerLagStored: Int64?
            var txmsgs: Int64?
            var txbytes: Int64?
            var rxmsgs: Int64?
            var rxbytes: Int64?
        }

        struct ConsumerGroup: Decodable {
            var state: String?
            var stateage: Int64?
            var joinState: String?
            var rebalanceAge: Int64?
            var rebalanceCnt: Int64?
            var rebalanceReason: String?
            var assignmentSize: Int64?
        }
    }
}
