/// Configuration of a ``KafkaConsumer``: what to consume, typed fields for what is set most, and
/// ``librdkafkaOverrides`` for any other librdkafka property.
///
/// Every field names the librdkafka property it sets. ``validate()`` checks every value against librdkafka, and
/// ``KafkaConsumer/init(configuration:rebalanceHandler:logger:)`` calls it, so a wrong key or value fails at creation with an error
/// that names the key, the value and librdkafka's reason.
///
/// ```swift
/// var config = KafkaConsumerConfiguration(
///     bootstrapServers: ["localhost:9092"],
///     consumptionStrategy: .group(id: "billing", topics: ["orders"])
/// )
/// config.autoOffsetReset = .earliest
/// ```
public struct KafkaConsumerConfiguration: Sendable {
    /// What the consumer reads: a consumer group's share of some topics, or fixed partitions.
    public struct ConsumptionStrategy: Sendable {
        enum Kind: Sendable {
            case group(id: String, topics: [String])
            case partitions([KafkaTopicPartition: KafkaOffset])
            case topics([String], startingAt: KafkaOffset)
        }

        let kind: Kind

        /// Join consumer group `id` (`group.id`) and share the partitions of `topics` with its other members.
        /// Offsets are committed to the group; a new group starts at ``KafkaConsumerConfiguration/autoOffsetReset``.
        ///
        /// A topic that starts with `^` is a regular expression (POSIX extended, as librdkafka takes it):
        /// `.group(id: "audit", topics: ["^orders-.*"])` reads every matching topic, including topics created
        /// later (found at the next metadata refresh, `topic.metadata.refresh.interval.ms`, default 5 min).
        public static func group(id: String, topics: [String]) -> ConsumptionStrategy {
            ConsumptionStrategy(kind: .group(id: id, topics: topics))
        }

        /// Read the given partitions from the given offsets, without a consumer group.
        public static func partitions(_ partitions: [KafkaTopicPartition: KafkaOffset]) -> ConsumptionStrategy {
            ConsumptionStrategy(kind: .partitions(partitions))
        }

        /// Read every partition of `topics` from `offset`, without a consumer group (like `kcat -C`).
        /// The partitions are looked up when the consumer starts.
        public static func topics(_ topics: [String], startingAt offset: KafkaOffset) -> ConsumptionStrategy {
            ConsumptionStrategy(kind: .topics(topics, startingAt: offset))
        }

        /// The consumer group id, for ``group(id:topics:)``.
        public var groupID: String? {
            if case .group(let id, _) = kind { return id }
            return nil
        }
    }

    /// Where a consumer starts in a partition that has no committed offset (`auto.offset.reset`).
    public struct AutoOffsetReset: Hashable, Sendable, CustomStringConvertible {
        /// The value librdkafka takes.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// Start at the oldest message.
        public static let earliest = AutoOffsetReset("earliest")
        /// Start after the newest message: only what is produced from now on.
        public static let latest = AutoOffsetReset("latest")
        /// Fail with an error instead of guessing.
        public static let error = AutoOffsetReset("error")
        public var description: String { rawValue }
    }

    /// How many polled messages the consumer holds for a slow reader before it pauses fetching.
    public struct Buffer: Sendable {
        /// Most messages handed over from librdkafka at once (one batch).
        public var batchSize: Int
        /// Batches held before fetching pauses.
        public var highWatermark: Int
        /// Batches held below which fetching resumes.
        public var lowWatermark: Int

        /// - Precondition: `1 <= lowWatermark < highWatermark`, `batchSize >= 1`.
        public init(batchSize: Int = 1_000, lowWatermark: Int = 2, highWatermark: Int = 10) {
            self.batchSize = batchSize
            self.lowWatermark = lowWatermark
            self.highWatermark = highWatermark
        }
    }

    /// How much librdkafka fetches ahead of the loop, and how it asks brokers for data. Every field left `nil`
    /// keeps librdkafka's default, except ``maxBytes`` (8 MiB here, 50 MiB in librdkafka).
    ///
    /// The prefetch decides both speed and memory: librdkafka keeps fetching until its queue holds
    /// ``prefetchMessages`` messages or ``prefetchBytes`` bytes, whatever the ``KafkaConsumer/messages`` loop
    /// takes. A consumer far behind that must catch up fast raises both; one with large messages and little memory
    /// lowers ``prefetchBytes``. The consumer's own buffer (``KafkaConsumerConfiguration/buffer``) comes on top.
    ///
    /// librdkafka checks these limits before it sends a fetch request, not while the responses come in, so its
    /// queue overshoots them by up to one response per broker: ``maxBytes`` each. That is why ``maxBytes`` is
    /// lower here than librdkafka's 50 MiB. With 50 MiB, a consumer of 64 partitions of 100-byte messages, far
    /// behind, held up to ~600,000 messages after its first fetches, six times its `queued.min.messages`, and
    /// peaked at up to 261 MiB (librdkafka keeps ~300 bytes per message besides its payload); with 8 MiB, at
    /// 115-167 MiB.
    ///
    /// ```swift
    /// config.fetch.prefetchMessages = 1_000_000
    /// config.fetch.prefetchBytes = 256 * 1024 * 1024
    /// ```
    public struct Fetch: Sendable {
        /// `queued.min.messages`: librdkafka stops fetching once its consumer queue holds this many messages.
        /// librdkafka's default: 100,000.
        public var prefetchMessages: Int?
        /// `queued.max.messages.kbytes` (given here in bytes, rounded up to whole KiB): librdkafka stops fetching
        /// once its consumer queue holds this many bytes of messages. librdkafka's default: 64 MiB. At most
        /// 2,097,151 KiB.
        public var prefetchBytes: Int?
        /// `fetch.wait.max.ms`: how long a broker may hold a fetch request open waiting for
        /// ``minBytes``. librdkafka's default: 500 ms.
        public var maxWait: Duration?
        /// `fetch.min.bytes`: the least data a broker should answer a fetch with (it answers earlier once
        /// ``maxWait`` passed). librdkafka's default: 1.
        public var minBytes: Int?
        /// `fetch.max.bytes`: the most data one fetch response may hold (a broker still returns a first record
        /// batch larger than this, so that the consumer makes progress).
        ///
        /// When `nil`: 8 MiB, lowered to ``prefetchBytes`` when that is smaller and raised to `message.max.bytes`
        /// when that is larger (librdkafka requires it; 1,000,000 unless set in
        /// ``KafkaConsumerConfiguration/librdkafkaOverrides``). librdkafka's own default is 50 MiB. One response
        /// per broker can land on top of the prefetch limits, so this bounds a lagging consumer's memory; on the
        /// embedded cluster it was also faster than 50 MiB (see `Benchmarks/README.md`). A consumer far from its
        /// brokers (tens of milliseconds away) that must catch up at full speed may want more: one fetch per
        /// round trip carries at most this much per broker.
        public var maxBytes: Int?
        /// `max.partition.fetch.bytes`: the most data one fetch response may hold per partition.
        /// librdkafka's default: 1 MiB.
        public var maxBytesPerPartition: Int?
        /// `fetch.queue.backoff.ms` (librdkafka 2.2 and later): how long librdkafka waits before it fetches a
        /// partition again after finding its queue at ``prefetchMessages`` or ``prefetchBytes``. Draining the queue
        /// does not end the wait, so with librdkafka's 1 s a consumer that keeps up with its fetches stalls a
        /// second at a time.
        ///
        /// When `nil`: 10 ms where the running librdkafka has the property (measured in `Benchmarks/README.md`).
        /// librdkafka 2.0 and 2.1 have no such property and always wait up to 1 s; there the consumer restarts
        /// fetching itself as soon as its queue was drained. Setting it on those versions is an error.
        public var queueBackoff: Duration?

        /// librdkafka's defaults for everything but ``maxBytes``.
        public init() {}

        /// The values librdkafka applies when a field is `nil`.
        static let librdkafkaPrefetchMessages = 100_000
        static let librdkafkaPrefetchBytes = 65_536 * 1024
        static let librdkafkaMaxMessageBytes = 1_000_000
        /// ``maxBytes`` when `nil`, before the adjustments it documents.
        static let defaultMaxBytes = 8 * 1024 * 1024
        /// ``queueBackoff`` when `nil`, where librdkafka has the property.
        static let defaultQueueBackoff: Duration = .milliseconds(10)

        /// `fetch.max.bytes` for `properties` that do not set it: ``defaultMaxBytes``, within what librdkafka
        /// accepts next to the other properties. `nil` (librdkafka's default) when one of those is not a number in
        /// librdkafka's range; librdkafka then refuses it by name.
        static func defaultMaxBytes(given properties: LibrdkafkaProperties) -> Int? {
            let ranges: KeyValuePairs<String, ClosedRange<Int>> = [
                "queued.max.messages.kbytes": 1...2_097_151,
                "message.max.bytes": 1_000...1_000_000_000,
                "receive.message.max.bytes": 1_000...2_147_483_647,
            ]
            var given: [String: Int] = [:]
            for (key, range) in ranges {
                guard let text = properties.value(for: key) else { continue }
                guard let value = Int(text), range.contains(value) else { return nil }
                given[key] = value
            }
            let prefetchBytes = given["queued.max.messages.kbytes"].map { $0 * 1024 } ?? librdkafkaPrefetchBytes
            var bytes = min(defaultMaxBytes, prefetchBytes)
            // A response must fit `receive.message.max.bytes`, with 512 bytes of framing, when that is set.
            if let receiveMax = given["receive.message.max.bytes"] { bytes = min(bytes, receiveMax - 512) }
            // And `fetch.max.bytes` must be at least `message.max.bytes`.
            return max(bytes, given["message.max.bytes"] ?? librdkafkaMaxMessageBytes)
        }

        var properties: [(String, String)] {
            var p: [(String, String)] = []
            if let prefetchMessages { p.append(("queued.min.messages", String(prefetchMessages))) }
            if let prefetchBytes {
                let kilobytes = prefetchBytes <= 0 ? prefetchBytes : (prefetchBytes + 1023) / 1024
                p.append(("queued.max.messages.kbytes", String(kilobytes)))
            }
            if let maxWait { p.append(("fetch.wait.max.ms", String(maxWait.kafkaMilliseconds))) }
            if let minBytes { p.append(("fetch.min.bytes", String(minBytes))) }
            if let maxBytes { p.append(("fetch.max.bytes", String(maxBytes))) }
            if let maxBytesPerPartition { p.append(("max.partition.fetch.bytes", String(maxBytesPerPartition))) }
            if let queueBackoff { p.append(("fetch.queue.backoff.ms", String(queueBackoff.kafkaMilliseconds))) }
            return p
        }
    }

    /// How a consumer group spreads partitions over its members (`partition.assignment.strategy`).
    public struct AssignmentStrategy: Hashable, Sendable, CustomStringConvertible {
        /// The value librdkafka takes.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// Consecutive ranges of each topic's partitions per member (eager: every rebalance revokes everything).
        public static let range = AssignmentStrategy("range")
        /// Partitions dealt out one by one over the members (eager).
        public static let roundRobin = AssignmentStrategy("roundrobin")
        /// Sticky and incremental: a rebalance only moves the partitions that must move, and the others keep
        /// being read during it. Cannot be mixed with the eager strategies.
        public static let cooperativeSticky = AssignmentStrategy("cooperative-sticky")
        public var description: String { rawValue }
    }

    /// How a consumer group's members agree on who reads which partition (`group.protocol`).
    public struct GroupProtocol: Hashable, Sendable, CustomStringConvertible {
        /// The value librdkafka takes.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The classic protocol: members join and sync through the group coordinator, and a member (the group
        /// leader) computes the assignment with one of ``KafkaConsumerConfiguration/assignmentStrategies``. The
        /// default, and the only protocol before librdkafka 2.4 and Apache Kafka 4.0.
        public static let classic = GroupProtocol("classic")

        /// The consumer protocol of KIP-848: the broker assigns partitions
        /// (``KafkaConsumerConfiguration/remoteAssignor``), members heartbeat their progress, and a rebalance
        /// moves only the partitions that change owner, without stopping the others.
        ///
        /// Needs ``Librdkafka/Capability/consumerGroupProtocol`` (librdkafka 2.12 or later; 2.4 to 2.11 had it as
        /// early access) and a broker that speaks it (Apache Kafka 4.0 or later). The broker decides the session
        /// timeout and the heartbeat interval (`group.consumer.session.timeout.ms`,
        /// `group.consumer.heartbeat.interval.ms`), so ``KafkaConsumerConfiguration/sessionTimeout``,
        /// ``KafkaConsumerConfiguration/heartbeatInterval`` and ``KafkaConsumerConfiguration/assignmentStrategies``
        /// must stay `nil` with it.
        public static let consumer = GroupProtocol("consumer")

        public var description: String { rawValue }
    }

    /// Which messages of transactions a consumer reads (`isolation.level`).
    public struct IsolationLevel: Hashable, Sendable, CustomStringConvertible {
        /// The value librdkafka takes.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// Only messages of committed transactions (and messages sent outside transactions); a partition is read
        /// up to its first transaction still open. librdkafka's default.
        public static let readCommitted = IsolationLevel("read_committed")
        /// Every message, those of aborted and still open transactions included.
        public static let readUncommitted = IsolationLevel("read_uncommitted")
        public var description: String { rawValue }
    }

    /// The broker-side assignor of the ``GroupProtocol/consumer`` protocol (`group.remote.assignor`).
    public struct RemoteAssignor: Hashable, Sendable, CustomStringConvertible {
        /// The assignor's name as the broker knows it.
        public let rawValue: String
        /// An assignor by its broker-side name (for one a broker is configured with besides the built-in ones).
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Spreads partitions evenly over the members, moving as few as possible (the broker's default).
        public static let uniform = RemoteAssignor(rawValue: "uniform")
        /// Consecutive ranges of each topic's partitions per member.
        public static let range = RemoteAssignor(rawValue: "range")
        public var description: String { rawValue }
    }

    /// `bootstrap.servers`: `host:port` of one or more brokers to discover the cluster from.
    public var bootstrapServers: [String]
    /// What to read.
    public var consumptionStrategy: ConsumptionStrategy
    /// `client.id`: the name brokers log and quota this client by. Default `swift-kafka`.
    public var clientID: String = "swift-kafka"
    /// `auto.offset.reset`: where to start without a committed offset. Default ``AutoOffsetReset/latest``.
    public var autoOffsetReset: AutoOffsetReset = .latest
    /// `enable.auto.commit`: commit processed offsets periodically, and on close. Default `true`.
    ///
    /// A message counts as processed once the ``KafkaConsumer/messages`` loop asked for the one after it
    /// (at-least-once): a message the loop was handling when it stopped, or that was buffered but never handed out,
    /// is read again by the next member of the group.
    public var enableAutoCommit: Bool = true
    /// `auto.commit.interval.ms`. Default 5 s.
    public var autoCommitInterval: Duration = .seconds(5)
    /// `isolation.level`: whether messages of aborted or still open transactions are read. Default
    /// ``IsolationLevel/readCommitted``, as librdkafka's.
    public var isolationLevel: IsolationLevel = .readCommitted
    /// `group.protocol`: how the group assigns partitions. Default ``GroupProtocol/classic``.
    public var groupProtocol: GroupProtocol = .classic
    /// `group.remote.assignor`: the broker-side assignor with ``GroupProtocol/consumer``. Default `nil`: the
    /// broker's (``RemoteAssignor/uniform`` on Apache Kafka).
    public var remoteAssignor: RemoteAssignor?
    /// `session.timeout.ms`: how long the group waits for a silent member before evicting it. Default `nil`:
    /// librdkafka's 45 s. Classic protocol only (with ``GroupProtocol/consumer`` the broker decides).
    public var sessionTimeout: Duration?
    /// `heartbeat.interval.ms`: how often a member tells the group it is alive (and hears of a rebalance).
    /// Default `nil`: librdkafka's 3 s. Classic protocol only (with ``GroupProtocol/consumer`` the broker
    /// decides).
    public var heartbeatInterval: Duration?
    /// `group.instance.id`: static membership, so a restart within the session timeout causes no rebalance.
    public var groupInstanceID: String?
    /// `partition.assignment.strategy`, in order of preference. Default `nil`: librdkafka's `range,roundrobin`.
    /// All members of a group must share one protocol: eager (range, round-robin) or cooperative. Classic protocol
    /// only (with ``GroupProtocol/consumer`` the broker assigns: see ``remoteAssignor``).
    public var assignmentStrategies: [AssignmentStrategy]?
    /// `max.poll.interval.ms`: the longest the ``KafkaConsumer/messages`` loop may hold one message. Past it, a
    /// group member leaves its group, so its partitions move on, and rejoins once the loop asks for the next message
    /// (see ``KafkaConsumerEvent/pollIntervalExceeded(_:)``). Also the longest a revocation waits for the loop to
    /// finish the message in its hands. At least the session timeout. Default 5 min.
    public var maxPollInterval: Duration = .seconds(300)
    /// The longest ``KafkaConsumer/close()`` (and the close after leaving the ``KafkaConsumer/messages`` loop, or a
    /// graceful shutdown of ``KafkaConsumer/run()``) waits for the final revocation, its hook, the last commit and
    /// leaving the group. Past it the handle is freed anyway; the group notices the member's absence after the
    /// session timeout. Default 30 s.
    public var closeTimeout: Duration = .seconds(30)
    /// `statistics.interval.ms`: how often librdkafka reports its statistics to ``KafkaConsumer/statistics`` (and to the
    /// metrics). `nil` (the default) reports none, unless ``metrics`` is set, which reads them every 5 s.
    public var statisticsInterval: Duration? = nil
    /// Report through swift-metrics (see ``KafkaConfiguration/Metrics``). Default `nil`: no metric.
    public var metrics: KafkaConfiguration.Metrics? = nil
    /// Distributed tracing (see ``KafkaConfiguration/Tracing``). Default `nil`: none.
    public var tracing: KafkaConfiguration.Tracing? = nil
    /// The longest a ``KafkaRebalanceHandler`` hook may run before the rebalance goes on without it (its task is
    /// cancelled, and ``KafkaConsumerEvent/error(_:)`` reports ``KafkaError/Code/timedOut``). Default 30 s; during
    /// a close, the close's deadline bounds it too.
    public var rebalanceHookTimeout: Duration = .seconds(30)
    /// Report ``KafkaConsumerEvent/partitionEnd(_:offset:)`` on ``KafkaConsumer/events`` each time a partition
    /// is read to its end (`enable.partition.eof`). Default `false`.
    public var reportPartitionEnds: Bool = false
    /// Finish ``KafkaConsumer/messages`` once every assigned partition has been read to its end
    /// (`enable.partition.eof`), like `kcat -e`. Default `false`: wait for new messages forever.
    ///
    /// The end is where the loop is, not where fetching is: a seek (or a rebalance) made while the loop still
    /// works through messages fetched before the end is carried out, and a partition seeked back is read to its
    /// end again before the sequence finishes. A seek to the end, or past it, leaves the partition at its end.
    public var stopAtEndOfPartitions: Bool = false
    /// Buffering between librdkafka and the ``KafkaConsumer/messages`` loop.
    public var buffer: Buffer = Buffer()
    /// librdkafka's prefetch and fetch request sizes.
    public var fetch: Fetch = Fetch()
    /// `security.protocol` and its TLS / SASL settings. Default plaintext.
    public var security: KafkaConfiguration.Security = .plaintext
    /// Any librdkafka property, applied after the typed fields (so it wins). See librdkafka's CONFIGURATION.md.
    public var librdkafkaOverrides: [String: String] = [:]

    /// A configuration with librdkafka's defaults for everything but the servers and what to read.
    public init(bootstrapServers: [String], consumptionStrategy: ConsumptionStrategy) {
        self.bootstrapServers = bootstrapServers
        self.consumptionStrategy = consumptionStrategy
    }

    /// Checks every value against librdkafka, and what to read for consistency.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidConfiguration`` naming the key, the value and
    ///   the reason.
    public func validate() throws(KafkaError) {
        try ConfigurationChecks.checkBootstrapServers(bootstrapServers)
        switch consumptionStrategy.kind {
        case .group(let id, let topics):
            guard !id.isEmpty else {
                throw KafkaError.invalidConfiguration(key: "group.id", value: id, reason: "the group id is empty")
            }
            try Self.checkTopics(topics)
        case .topics(let topics, _):
            try Self.checkTopics(topics)
        case .partitions(let partitions):
            guard !partitions.isEmpty else {
                throw KafkaError.invalidConfiguration(key: nil, value: nil, reason: "no partitions to consume")
            }
            if let bad = partitions.keys.first(where: { $0.partition.rawValue < 0 || $0.topic.isEmpty }) {
                throw KafkaError.invalidConfiguration(
                    key: nil,
                    value: "\(bad)",
                    reason: "a partition to consume needs a topic name and a partition number >= 0"
                )
            }
        }
        guard buffer.batchSize >= 1, buffer.lowWatermark >= 1, buffer.lowWatermark < buffer.highWatermark else {
            throw KafkaError.invalidConfiguration(
                key: nil,
                value: "batchSize=\(buffer.batchSize) low=\(buffer.lowWatermark) high=\(buffer.highWatermark)",
                reason: "buffer needs batchSize >= 1 and 1 <= lowWatermark < highWatermark"
            )
        }
        for (name, value) in [("closeTimeout", closeTimeout), ("rebalanceHookTimeout", rebalanceHookTimeout)]
        where value <= .zero {
            throw KafkaError.invalidConfiguration(
                key: nil,
                value: "\(name)=\(value)",
                reason: "\(name) must be positive"
            )
        }
        if fetch.queueBackoff != nil, !Librdkafka.hasFetchQueueBackoff {
            throw KafkaError.invalidConfiguration(
                key: "fetch.queue.backoff.ms",
                value: fetch.queueBackoff.map { "\($0)" },
                reason: "needs librdkafka 2.2 or later; this process runs librdkafka \(Librdkafka.version), where "
                    + "the consumer restarts fetching itself"
            )
        }
        let properties = self.properties
        try Self.checkGroupProtocol(properties)
        try properties.validate()
    }

    /// The classic protocol's properties, which the broker decides under ``GroupProtocol/consumer``.
    static let classicOnlyProperties = [
        "session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy", "group.protocol.type",
    ]

    /// The protocol `properties` select (``librdkafkaOverrides`` may set `group.protocol` too) must be one the
    /// running librdkafka has, and none of the other protocol's properties may be set with it.
    private static func checkGroupProtocol(_ properties: LibrdkafkaProperties) throws(KafkaError) {
        let chosen = properties.value(for: "group.protocol") ?? GroupProtocol.classic.rawValue
        if chosen == GroupProtocol.consumer.rawValue {
            guard Librdkafka.supports(.consumerGroupProtocol) else {
                var error = KafkaError.unsupported(.consumerGroupProtocol, "group.protocol=consumer (KIP-848)")
                error.configurationKey = "group.protocol"
                error.configurationValue = chosen
                throw error
            }
            if let key = classicOnlyProperties.first(where: { properties.value(for: $0) != nil }) {
                throw KafkaError.invalidConfiguration(
                    key: key,
                    value: properties.value(for: key),
                    reason: "a classic group protocol setting, refused with group.protocol=consumer, where the broker "
                        + "decides it (group.consumer.session.timeout.ms, group.consumer.heartbeat.interval.ms, "
                        + "group.remote.assignor): leave it unset"
                )
            }
        } else if let assignor = properties.value(for: "group.remote.assignor") {
            throw KafkaError.invalidConfiguration(
                key: "group.remote.assignor",
                value: assignor,
                reason: "a setting of group.protocol=consumer only (this configuration uses group.protocol=\(chosen))"
            )
        }
    }

    private static func checkTopics(_ topics: [String]) throws(KafkaError) {
        guard !topics.isEmpty, !topics.contains(where: \.isEmpty) else {
            throw KafkaError.invalidConfiguration(
                key: "topics",
                value: topics.joined(separator: ","),
                reason: "give at least one topic, and no empty topic name"
            )
        }
    }

    /// Every librdkafka property this configuration sets, in the order they are applied.
    var properties: LibrdkafkaProperties {
        var p = LibrdkafkaProperties()
        p.set("bootstrap.servers", bootstrapServers.joined(separator: ","))
        p.set("client.id", clientID)
        if let interval = effectiveStatisticsInterval {
            p.set("statistics.interval.ms", String(max(interval.kafkaMilliseconds, 1)))
        }
        if let groupID = consumptionStrategy.groupID {
            p.set("group.id", groupID)
        }
        if let groupInstanceID { p.set("group.instance.id", groupInstanceID) }
        p.set("auto.offset.reset", autoOffsetReset.rawValue)
        p.set("enable.auto.commit", enableAutoCommit && consumptionStrategy.groupID != nil)
        // At-least-once: offsets are stored by the messages iterator once the reader moved past a message, not
        // when librdkafka hands the message to the poll thread.
        p.set("enable.auto.offset.store", false)
        p.set("auto.commit.interval.ms", milliseconds: autoCommitInterval)
        p.set("isolation.level", isolationLevel.rawValue)
        if groupProtocol != .classic { p.set("group.protocol", groupProtocol.rawValue) }
        if let remoteAssignor { p.set("group.remote.assignor", remoteAssignor.rawValue) }
        if let sessionTimeout { p.set("session.timeout.ms", milliseconds: sessionTimeout) }
        if let heartbeatInterval { p.set("heartbeat.interval.ms", milliseconds: heartbeatInterval) }
        p.set("max.poll.interval.ms", milliseconds: maxPollInterval)
        if let assignmentStrategies, !assignmentStrategies.isEmpty {
            p.set("partition.assignment.strategy", assignmentStrategies.map(\.rawValue).joined(separator: ","))
        }
        p.set("enable.partition.eof", stopAtEndOfPartitions || reportPartitionEnds)
        p.set(contentsOf: fetch.properties)
        p.set(contentsOf: security.properties)
        p.set(contentsOf: librdkafkaOverrides.sorted(by: { $0.key < $1.key }))
        if p.value(for: "fetch.max.bytes") == nil, let maxBytes = Fetch.defaultMaxBytes(given: p) {
            p.set("fetch.max.bytes", String(maxBytes))
        }
        if p.value(for: "fetch.queue.backoff.ms") == nil, Librdkafka.hasFetchQueueBackoff {
            p.set("fetch.queue.backoff.ms", String(Fetch.defaultQueueBackoff.kafkaMilliseconds))
        }
        return p
    }

    /// The prefetch limits librdkafka applies (`queued.min.messages`, and `queued.max.messages.kbytes` in bytes).
    var effectivePrefetchLimits: (messages: Int, bytes: Int) {
        let p = properties
        let messages = p.value(for: "queued.min.messages").flatMap { Int($0) } ?? Fetch.librdkafkaPrefetchMessages
        let kilobytes = p.value(for: "queued.max.messages.kbytes").flatMap { Int($0) }
        return (messages, kilobytes.map { $0 * 1024 } ?? Fetch.librdkafkaPrefetchBytes)
    }

    /// The names of all properties set, each with its value (secrets redacted), for logging and diagnostics.
    public var effectiveProperties: [String: String] {
        properties.redactedDictionary
    }
}

extension KafkaConsumerConfiguration {
    /// The statistics interval in force: the one set, else 5 s when metrics are on.
    var effectiveStatisticsInterval: Duration? {
        statisticsInterval ?? (metrics != nil ? .seconds(5) : nil)
    }
}
