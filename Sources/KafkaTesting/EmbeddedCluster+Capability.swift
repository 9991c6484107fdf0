public import Kafka

extension EmbeddedCluster {
    /// Something only the embedded cluster of some librdkafka versions can do, detected in the librdkafka loaded
    /// at run time. Tests that need one skip by capability, with ``unavailableReason`` as the reason:
    ///
    /// ```swift
    /// @Test(
    ///     .enabled(
    ///         if: EmbeddedCluster.supports(.advertisedAddresses),
    ///         Comment(rawValue: EmbeddedCluster.Capability.advertisedAddresses.unavailableReason ?? "")
    ///     )
    /// )
    /// func overTLS() async throws { ... }
    /// ```
    public struct Capability: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable, CaseIterable {
            case advertisedAddresses
            case transactionMarkers
            case consumerGroupProtocol
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A broker can advertise another `host:port` than the one it listens on
        /// (``EmbeddedCluster/setAdvertisedAddress(broker:host:port:)``), e.g. a TLS terminator in front of it.
        /// librdkafka 2.10 and later (`rd_kafka_mock_broker_set_host_port`).
        public static let advertisedAddresses = Capability(.advertisedAddresses)

        /// Committing or aborting a transaction writes a control record (a COMMIT or ABORT marker) that takes an
        /// offset of each partition written, as a real broker does. librdkafka 2.15 and later. Note that no
        /// version of the embedded cluster hides aborted messages from `read_committed` consumers.
        public static let transactionMarkers = Capability(.transactionMarkers)

        /// The consumer group protocol of KIP-848 (`KafkaConsumerConfiguration.GroupProtocol.consumer`), with
        /// static membership (`group.instance.id`), which the classic protocol of the embedded cluster ignores.
        /// Needs the cluster's `ConsumerGroupHeartbeat` (librdkafka 2.8 and later) and the client's protocol
        /// (`Librdkafka.Capability.consumerGroupProtocol`).
        public static let consumerGroupProtocol = Capability(.consumerGroupProtocol)

        /// The capability's name.
        public var description: String {
            switch base {
            case .advertisedAddresses: return "advertisedAddresses"
            case .transactionMarkers: return "transactionMarkers"
            case .consumerGroupProtocol: return "consumerGroupProtocol"
            }
        }

        /// What the capability needs.
        public var requirement: String {
            switch base {
            case .advertisedAddresses: return "librdkafka 2.10 or later (rd_kafka_mock_broker_set_host_port)"
            case .transactionMarkers: return "librdkafka 2.15 or later"
            case .consumerGroupProtocol:
                return "librdkafka 2.8 or later (ConsumerGroupHeartbeat in the embedded cluster)"
            }
        }

        /// Why the running librdkafka's embedded cluster lacks the capability, or `nil` when it has it.
        public var unavailableReason: String? {
            isAvailable
                ? nil
                : "the embedded cluster's \(self) needs \(requirement); this process runs librdkafka \(Librdkafka.version)"
        }

        var isAvailable: Bool {
            switch base {
            case .advertisedAddresses:
                return MockFunctions.setHostPort != nil
            case .transactionMarkers:
                // The mock writes markers since 2.15.0 (librdkafka's commit 7c70398); no function marks the change.
                return Librdkafka.version >= Librdkafka.Version(2, 15, 0)
            case .consumerGroupProtocol:
                return MockFunctions.setConsumerGroupHeartbeatInterval != nil
                    && Librdkafka.supports(.consumerGroupProtocol)
            }
        }

        /// Every capability this package knows of.
        static let all = Base.allCases.map(Capability.init)
    }

    /// Whether the embedded cluster of the running librdkafka has `capability`.
    public static func supports(_ capability: Capability) -> Bool {
        capability.isAvailable
    }

    /// Every capability of the running librdkafka's embedded cluster.
    public static var capabilities: [Capability] {
        Capability.all.filter(\.isAvailable)
    }
}
