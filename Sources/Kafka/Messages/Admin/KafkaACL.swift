/// An access control entry: who (``principal``, from ``host``) may or may not (``permission``) do what
/// (``operation``) to which resources (``resourceType``, ``resourceName``, ``patternType``).
///
/// ```swift
/// let readOrders = KafkaACLBinding(
///     resourceType: .topic, resourceName: "orders", patternType: .literal,
///     principal: "User:analytics", host: "*", operation: .read, permission: .allow)
/// try await admin.createACLs([readOrders]).throwIfAnyFailed()
/// ```
public struct KafkaACLBinding: Hashable, Sendable, CustomStringConvertible {
    /// The kind of resource: ``KafkaACLResourceType/topic``, ``KafkaACLResourceType/group`` or
    /// ``KafkaACLResourceType/cluster``.
    public var resourceType: KafkaACLResourceType
    /// The resource's name (`kafka-cluster` for the cluster), or its prefix with ``KafkaACLPatternType/prefixed``.
    public var resourceName: String
    /// How ``resourceName`` matches: ``KafkaACLPatternType/literal`` (or `*` for every resource) or
    /// ``KafkaACLPatternType/prefixed``.
    public var patternType: KafkaACLPatternType
    /// The principal, e.g. `User:alice` (`User:*` for everyone).
    public var principal: String
    /// The host the principal connects from, or `*` for any.
    public var host: String
    /// The operation allowed or denied.
    public var operation: KafkaACLOperation
    /// Whether the operation is allowed or denied.
    public var permission: KafkaACLPermission

    /// A binding.
    public init(
        resourceType: KafkaACLResourceType,
        resourceName: String,
        patternType: KafkaACLPatternType = .literal,
        principal: String,
        host: String = "*",
        operation: KafkaACLOperation,
        permission: KafkaACLPermission = .allow
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    public var description: String {
        "\(permission) \(principal) from \(host) \(operation) on \(resourceType) \(patternType):\(resourceName)"
    }

    /// Checks what the cluster would refuse, before anything is sent: every field concrete (no `any`), a
    /// principal of the form `Type:name`.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidUsage`` naming the field.
    public func validate() throws(KafkaError) {
        if resourceType == .any { throw KafkaError.invalidAdminRequest("ACL \(self): the resource type cannot be any") }
        if patternType == .any || patternType == .match {
            throw KafkaError.invalidAdminRequest("ACL \(self): the pattern type must be literal or prefixed")
        }
        if operation == .any { throw KafkaError.invalidAdminRequest("ACL \(self): the operation cannot be any") }
        if permission == .any { throw KafkaError.invalidAdminRequest("ACL \(self): the permission cannot be any") }
        if resourceName.isEmpty { throw KafkaError.invalidAdminRequest("ACL \(self): the resource name is empty") }
        try KafkaACLBinding.validatePrincipal(principal, in: "ACL \(self)")
        if host.isEmpty { throw KafkaError.invalidAdminRequest("ACL \(self): the host is empty (use * for any)") }
    }

    static func validatePrincipal(_ principal: String, in what: String) throws(KafkaError) {
        let parts = principal.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty {
            throw KafkaError.invalidAdminRequest(
                "\(what): the principal '\(principal)' is not of the form Type:name (e.g. User:alice)"
            )
        }
    }
}

/// Which ACL bindings ``KafkaAdminClient/describeACLs(_:timeout:)`` and ``KafkaAdminClient/deleteACLs(_:timeout:)``
/// match: every field that is `nil` (or `any`) matches everything.
public struct KafkaACLFilter: Hashable, Sendable, CustomStringConvertible {
    /// The resource type to match, or ``KafkaACLResourceType/any``.
    public var resourceType: KafkaACLResourceType
    /// The resource name to match, or `nil` for any.
    public var resourceName: String?
    /// How to match ``resourceName``: ``KafkaACLPatternType/any``, ``KafkaACLPatternType/literal``,
    /// ``KafkaACLPatternType/prefixed``, or ``KafkaACLPatternType/match`` (every binding that applies to the name:
    /// literal, wildcard and prefixes).
    public var patternType: KafkaACLPatternType
    /// The principal to match, or `nil` for any.
    public var principal: String?
    /// The host to match, or `nil` for any.
    public var host: String?
    /// The operation to match, or ``KafkaACLOperation/any``.
    public var operation: KafkaACLOperation
    /// The permission to match, or ``KafkaACLPermission/any``.
    public var permission: KafkaACLPermission

    /// A filter; the defaults match every binding.
    public init(
        resourceType: KafkaACLResourceType = .any,
        resourceName: String? = nil,
        patternType: KafkaACLPatternType = .any,
        principal: String? = nil,
        host: String? = nil,
        operation: KafkaACLOperation = .any,
        permission: KafkaACLPermission = .any
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    /// Every binding.
    public static let all = KafkaACLFilter()

    /// The filter that matches exactly `binding`.
    public init(_ binding: KafkaACLBinding) {
        self.init(
            resourceType: binding.resourceType,
            resourceName: binding.resourceName,
            patternType: binding.patternType,
            principal: binding.principal,
            host: binding.host,
            operation: binding.operation,
            permission: binding.permission
        )
    }

    public var description: String {
        "\(permission) \(principal ?? "any principal") from \(host ?? "any host") \(operation) on \(resourceType)"
            + " \(patternType):\(resourceName ?? "*any*")"
    }

    /// Checks what the cluster would refuse, before anything is sent.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/invalidUsage`` naming the field.
    public func validate() throws(KafkaError) {
        if let principal { try KafkaACLBinding.validatePrincipal(principal, in: "ACL filter \(self)") }
        if resourceName?.isEmpty == true {
            throw KafkaError.invalidAdminRequest("ACL filter \(self): the resource name is empty (use nil for any)")
        }
    }
}

/// The kind of resource an ACL protects.
public enum KafkaACLResourceType: Hashable, Sendable, CaseIterable, CustomStringConvertible, LibrdkafkaACLCode {
    /// Any kind (filters only).
    case any
    /// A topic.
    case topic
    /// A consumer group.
    case group
    /// The cluster (its name is `kafka-cluster`).
    case cluster

    var raw: UInt32 {
        switch self {
        case .any: return 1
        case .topic: return 2
        case .group: return 3
        case .cluster: return 4
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .topic: return "topic"
        case .group: return "group"
        case .cluster: return "cluster"
        }
    }
}

/// How an ACL's resource name matches resource names.
public enum KafkaACLPatternType: Hashable, Sendable, CaseIterable, CustomStringConvertible, LibrdkafkaACLCode {
    /// Any pattern type (filters only).
    case any
    /// Every binding that applies to the filter's name: literal, the `*` wildcard, and prefixes of it (filters
    /// only).
    case match
    /// The name exactly (`*`: every resource).
    case literal
    /// Every resource whose name starts with the name.
    case prefixed

    var raw: UInt32 {
        switch self {
        case .any: return 1
        case .match: return 2
        case .literal: return 3
        case .prefixed: return 4
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .match: return "match"
        case .literal: return "literal"
        case .prefixed: return "prefixed"
        }
    }
}

/// An operation an ACL allows or denies.
public enum KafkaACLOperation: Hashable, Sendable, CaseIterable, CustomStringConvertible, LibrdkafkaACLCode {
    /// Any operation (filters only).
    case any
    /// Every operation.
    case all
    /// Read (consume, fetch offsets).
    case read
    /// Write (produce).
    case write
    /// Create (topics).
    case create
    /// Delete (topics, records, groups).
    case delete
    /// Alter (ACLs, partitions).
    case alter
    /// Describe (metadata, groups, offsets).
    case describe
    /// Cluster actions (between brokers).
    case clusterAction
    /// Describe configurations.
    case describeConfigs
    /// Alter configurations.
    case alterConfigs
    /// Idempotent writes.
    case idempotentWrite

    var raw: UInt32 {
        switch self {
        case .any: return 1
        case .all: return 2
        case .read: return 3
        case .write: return 4
        case .create: return 5
        case .delete: return 6
        case .alter: return 7
        case .describe: return 8
        case .clusterAction: return 9
        case .describeConfigs: return 10
        case .alterConfigs: return 11
        case .idempotentWrite: return 12
        }
    }

    /// Kafka's name for it (`Read`, `DescribeConfigs`, ...), as `kafka-acls.sh` takes it.
    public var description: String {
        switch self {
        case .any: return "Any"
        case .all: return "All"
        case .read: return "Read"
        case .write: return "Write"
        case .create: return "Create"
        case .delete: return "Delete"
        case .alter: return "Alter"
        case .describe: return "Describe"
        case .clusterAction: return "ClusterAction"
        case .describeConfigs: return "DescribeConfigs"
        case .alterConfigs: return "AlterConfigs"
        case .idempotentWrite: return "IdempotentWrite"
        }
    }

    /// Parses a name as ``description`` prints it (case-insensitive, `-` and `_` ignored), or `nil`.
    public init?(name: String) {
        let folded = name.lowercased().filter { $0 != "-" && $0 != "_" }
        guard let value = Self.allCases.first(where: { $0.description.lowercased() == folded }) else { return nil }
        self = value
    }
}

/// Whether an ACL allows or denies.
public enum KafkaACLPermission: Hashable, Sendable, CaseIterable, CustomStringConvertible, LibrdkafkaACLCode {
    /// Either (filters only).
    case any
    /// Denies the operation (wins over any allow).
    case deny
    /// Allows the operation.
    case allow

    var raw: UInt32 {
        switch self {
        case .any: return 1
        case .deny: return 2
        case .allow: return 3
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .deny: return "Deny"
        case .allow: return "Allow"
        }
    }
}

/// An ACL enum's number in librdkafka's C enum (`rd_kafka_ResourceType_t`, `rd_kafka_AclOperation_t`, ...).
protocol LibrdkafkaACLCode: CaseIterable {
    var raw: UInt32 { get }
}

extension LibrdkafkaACLCode {
    /// The case librdkafka's number stands for, or `nil` for one this library does not know.
    init?(raw: UInt32) {
        guard let value = Self.allCases.first(where: { $0.raw == raw }) else { return nil }
        self = value
    }
}
