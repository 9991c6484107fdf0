/// Something that has a configuration: a topic, a broker, or the cluster's default for every broker.
///
/// ```swift
/// let entries = try await admin.describeConfigs([.topic("orders"), .broker(1)]).get()
/// ```
public struct KafkaConfigResource: Hashable, Sendable, CustomStringConvertible {
    /// The kind of resource.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        /// A topic (its name is the topic's).
        case topic
        /// A broker (its name is the broker id; an empty name is the cluster-wide default of every broker).
        case broker

        public var description: String {
            switch self {
            case .topic: return "topic"
            case .broker: return "broker"
            }
        }
    }

    /// The kind of resource.
    public var kind: Kind
    /// The topic name, or the broker id in decimal.
    public var name: String

    /// A resource of `kind` named `name`.
    public init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// Topic `name`.
    public static func topic(_ name: String) -> KafkaConfigResource { KafkaConfigResource(kind: .topic, name: name) }

    /// Broker `id`.
    public static func broker(_ id: Int32) -> KafkaConfigResource {
        KafkaConfigResource(kind: .broker, name: String(id))
    }

    /// The cluster-wide default of every broker (alterable; `describe` shows the dynamic defaults only).
    public static let brokerDefaults = KafkaConfigResource(kind: .broker, name: "")

    public var description: String { name.isEmpty && kind == .broker ? "broker defaults" : "\(kind) \(name)" }

    /// Checks what the cluster would refuse, before anything is sent.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidUsage`` naming the resource.
    public func validate() throws(KafkaError) {
        switch kind {
        case .topic: try KafkaNewTopic.validateName(name)
        case .broker:
            if !name.isEmpty && Int32(name).map({ $0 < 0 }) ?? true {
                throw KafkaError.invalidAdminRequest("'\(name)' is not a broker id")
            }
        }
    }
}

/// One configuration entry of a topic or a broker, as the cluster describes it.
public struct KafkaConfigEntry: Hashable, Sendable, CustomStringConvertible {
    /// Where a configuration value comes from, most specific first.
    public enum Source: Hashable, Sendable, CustomStringConvertible {
        /// Set on this topic (`kafka-configs.sh --entity-type topics --alter`, or at creation).
        case dynamicTopic
        /// Set dynamically on this broker.
        case dynamicBroker
        /// Set dynamically as the default of every broker.
        case dynamicDefaultBroker
        /// From the broker's `server.properties`.
        case staticBroker
        /// Kafka's built-in default.
        case defaultConfig
        /// Not reported (older brokers), or a source this library does not know (its number).
        case unknown(Int32)

        init(raw: Int32) {
            switch raw {
            case 1: self = .dynamicTopic
            case 2: self = .dynamicBroker
            case 3: self = .dynamicDefaultBroker
            case 4: self = .staticBroker
            case 5: self = .defaultConfig
            default: self = .unknown(raw)
            }
        }

        public var description: String {
            switch self {
            case .dynamicTopic: return "DYNAMIC_TOPIC_CONFIG"
            case .dynamicBroker: return "DYNAMIC_BROKER_CONFIG"
            case .dynamicDefaultBroker: return "DYNAMIC_DEFAULT_BROKER_CONFIG"
            case .staticBroker: return "STATIC_BROKER_CONFIG"
            case .defaultConfig: return "DEFAULT_CONFIG"
            case .unknown(let raw): return raw == 0 ? "UNKNOWN" : "UNKNOWN(\(raw))"
            }
        }
    }

    /// The property name, e.g. `retention.ms`.
    public var name: String
    /// The value, or `nil` when the cluster withholds it (a sensitive entry) or it has none.
    public var value: String?
    /// Where the value comes from.
    public var source: Source
    /// Whether the entry cannot be changed.
    public var isReadOnly: Bool
    /// Whether the value is the default (not set on this resource).
    public var isDefault: Bool
    /// Whether the value is secret (the cluster never returns it; neither does this description).
    public var isSensitive: Bool
    /// The values this entry would fall back to, most specific first, where the cluster returned them.
    public var synonyms: [KafkaConfigEntry]

    /// An entry.
    public init(
        name: String,
        value: String?,
        source: Source,
        isReadOnly: Bool = false,
        isDefault: Bool = false,
        isSensitive: Bool = false,
        synonyms: [KafkaConfigEntry] = []
    ) {
        self.name = name
        self.value = value
        self.source = source
        self.isReadOnly = isReadOnly
        self.isDefault = isDefault
        self.isSensitive = isSensitive
        self.synonyms = synonyms
    }

    public var description: String {
        "\(name)=\(isSensitive ? "(sensitive)" : value ?? "(null)") (\(source))"
    }
}

/// One change to a resource's configuration, for ``KafkaAdminClient/alterConfigs(_:validateOnly:timeout:)``.
public enum KafkaConfigChange: Hashable, Sendable, CustomStringConvertible {
    /// Set `name` to `value`.
    case set(String, String)
    /// Remove `name` from the resource, so it falls back to its default.
    case delete(String)
    /// Add `value` to the comma-separated list `name` (unless it is there already).
    case append(String, String)
    /// Remove `value` from the comma-separated list `name`.
    case subtract(String, String)

    /// The property the change concerns.
    public var name: String {
        switch self {
        case .set(let name, _), .delete(let name), .append(let name, _), .subtract(let name, _): return name
        }
    }

    public var description: String {
        switch self {
        case .set(let name, let value): return "set \(name)=\(value)"
        case .delete(let name): return "delete \(name)"
        case .append(let name, let value): return "append \(value) to \(name)"
        case .subtract(let name, let value): return "subtract \(value) from \(name)"
        }
    }
}
