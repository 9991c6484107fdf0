internal import CLibrdkafka

extension KafkaError {
    /// The kind of a ``KafkaError``.
    ///
    /// Codes reported by librdkafka or by the broker keep librdkafka's numeric value in ``rdKafkaCode`` and its
    /// symbolic name (e.g. `MSG_TIMED_OUT`, `UNKNOWN_TOPIC_OR_PART`) in ``name``. Compare against the static members
    /// below; new ones may be added without breaking your code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidConfiguration
            case shutdown
            case timedOut
            case missingValue
            case unsupported
            case invalidUsage
            case librdkafka(Int32)
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        package init(rdKafkaCode: Int32) {
            self.init(.librdkafka(rdKafkaCode))
        }

        /// A configuration key is unknown or its value is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The client is closed or closing.
        public static let shutdown = Code(.shutdown)
        /// An operation of this library did not complete within its deadline.
        public static let timedOut = Code(.timedOut)
        /// A key or value was asked for (e.g. to decode it) but the message has none.
        public static let missingValue = Code(.missingValue)
        /// The running librdkafka lacks what the operation needs (see ``Librdkafka/Capability``); the message
        /// names the capability and the running version.
        public static let unsupported = Code(.unsupported)
        /// The API was used in a way it does not support, e.g. iterating a consumer's messages twice, or waiting
        /// for a consumer's close inside one of its own rebalance hooks. The message says what to do instead.
        public static let invalidUsage = Code(.invalidUsage)

        /// librdkafka's `_MSG_TIMED_OUT`: a message was not delivered within `message.timeout.ms`.
        public static let messageTimedOut = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue)
        /// librdkafka's `_TIMED_OUT`: a request timed out locally.
        public static let requestTimedOutLocally = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue)
        /// librdkafka's `_QUEUE_FULL`: the local producer queue is full.
        public static let queueFull = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue)
        /// librdkafka's `_TRANSPORT`: a broker connection failed.
        public static let transport = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__TRANSPORT.rawValue)
        /// librdkafka's `_ALL_BROKERS_DOWN`: no broker is reachable.
        public static let allBrokersDown = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue)
        /// librdkafka's `_UNKNOWN_TOPIC` / broker's `UNKNOWN_TOPIC_OR_PART`.
        public static let unknownTopicOrPartition = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue)
        /// librdkafka's `_UNKNOWN_PARTITION`: the partition does not exist in the topic.
        public static let unknownPartition = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue)
        /// Broker's `MSG_SIZE_TOO_LARGE`, or librdkafka's local check against `message.max.bytes`.
        public static let messageTooLarge = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue)
        /// librdkafka's `_FATAL`: the client raised a fatal error and must be recreated.
        public static let fatal = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__FATAL.rawValue)
        /// librdkafka's `_FENCED`: this transactional producer was fenced by a newer instance with the same
        /// `transactional.id` (fatal).
        public static let fenced = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__FENCED.rawValue)
        /// Broker's `PRODUCER_FENCED`: a newer producer with the same `transactional.id` exists (fatal).
        public static let producerFenced = Code(rdKafkaCode: 90)
        /// Broker's `INVALID_PRODUCER_EPOCH`: the producer's epoch is stale, fenced by a newer instance.
        public static let invalidProducerEpoch = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH.rawValue)
        /// librdkafka's `_STATE`: the call is not allowed in the client's current state (e.g. sending outside a
        /// transaction on a transactional producer).
        public static let invalidState = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__STATE.rawValue)
        /// librdkafka's `_PARTITION_EOF`: the consumer reached the end of a partition.
        public static let partitionEOF = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__PARTITION_EOF.rawValue)
        /// librdkafka's `_PURGE_QUEUE`: a message was purged before delivery, e.g. by a close that timed out.
        public static let purgedFromQueue = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue)
        /// librdkafka's `_PURGE_INFLIGHT`: an in-flight message was purged by a close that timed out.
        public static let purgedInFlight = Code(rdKafkaCode: RD_KAFKA_RESP_ERR__PURGE_INFLIGHT.rawValue)

        /// Broker's `NOT_LEADER_FOR_PARTITION`: the partition's leader moved (retriable).
        public static let notLeaderForPartition = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue)
        /// Broker's `REQUEST_TIMED_OUT` (retriable).
        public static let requestTimedOut = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue)
        /// Broker's `NOT_ENOUGH_REPLICAS` (retriable).
        public static let notEnoughReplicas = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue)
        /// Broker's `LEADER_NOT_AVAILABLE` (retriable).
        public static let leaderNotAvailable = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue)
        /// Broker's `NOT_COORDINATOR` (retriable).
        public static let notCoordinator = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue)
        /// Broker's `COORDINATOR_NOT_AVAILABLE`: the group or transaction coordinator is not available (retriable).
        public static let coordinatorNotAvailable = Code(
            rdKafkaCode: RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue
        )
        /// Broker's `CONCURRENT_TRANSACTIONS`: the producer's previous transaction is still being completed
        /// (retriable).
        public static let concurrentTransactions = Code(
            rdKafkaCode: RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS.rawValue
        )
        /// Broker's `TOPIC_ALREADY_EXISTS`.
        public static let topicAlreadyExists = Code(rdKafkaCode: RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue)

        /// librdkafka's numeric error code (`rd_kafka_resp_err_t`), or `nil` for codes of this library.
        public var rdKafkaCode: Int32? {
            if case .librdkafka(let code) = base { return code }
            return nil
        }

        /// The code's symbolic name: librdkafka's (`MSG_TIMED_OUT`, `_TRANSPORT`, ...) or this library's.
        public var name: String {
            switch base {
            case .invalidConfiguration: return "invalidConfiguration"
            case .shutdown: return "shutdown"
            case .timedOut: return "timedOut"
            case .missingValue: return "missingValue"
            case .unsupported: return "unsupported"
            case .invalidUsage: return "invalidUsage"
            case .librdkafka(let code):
                return String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
            }
        }

        public var description: String { name }

        /// Codes that the Kafka protocol or librdkafka describe as transient.
        static let retriableCodes: Set<Int32> = [
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
            RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
            RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__RETRY,
            RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NOT_CONTROLLER,
            RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND,
            RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH, RD_KAFKA_RESP_ERR_LISTENER_NOT_FOUND,
            RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH,
            RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED,
        ].reduce(into: Set<Int32>()) { $0.insert($1.rawValue) }
    }
}
