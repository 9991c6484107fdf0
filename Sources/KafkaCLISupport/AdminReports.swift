public import Kafka

/// One JSON object, built member by member, rendered as one line (`kafka-admin -J` prints one per row).
public struct JSONLine: Sendable {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    /// An empty object.
    public init() {}

    private mutating func key(_ name: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        JSONWriter.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Adds a string member (`null` for `nil`).
    public mutating func add(_ name: String, _ value: String?) {
        key(name)
        if let value {
            JSONWriter.appendString(value, to: &bytes)
        } else {
            bytes.append(contentsOf: Array("null".utf8))
        }
    }

    /// Adds a number member.
    public mutating func add(_ name: String, _ value: Int64) {
        key(name)
        appendDecimal(value, to: &bytes)
    }

    /// Adds a boolean member.
    public mutating func add(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: Array((value ? "true" : "false").utf8))
    }

    /// Adds an array of numbers.
    public mutating func add(_ name: String, numbers: [Int64]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, n) in numbers.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendDecimal(n, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Adds an array of objects.
    public mutating func add(_ name: String, objects: [JSONLine]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, object) in objects.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: object.closed)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Adds an error member: `{"code": name, "message": text}`, or `null`.
    public mutating func add(error: KafkaError?) {
        guard let error else {
            add("error", nil as String?)
            return
        }
        var inner = JSONLine()
        inner.add("code", error.code.name)
        inner.add("message", error.message)
        add("error", object: inner)
    }

    /// Adds an object member.
    public mutating func add(_ name: String, object: JSONLine) {
        key(name)
        bytes.append(contentsOf: object.closed)
    }

    private var closed: [UInt8] { bytes + [UInt8(ascii: "}")] }

    /// The object as one line, with its newline.
    public var line: String { String(decoding: closed, as: UTF8.self) + "\n" }
}

/// What `kafka-admin` prints: tables for people, JSON lines (`-J`) for scripts, as pure functions of results.
public enum AdminReports {
    /// A mutation's per-item outcome: `ITEM RESULT` rows (`ok` or the error), or JSON lines
    /// `{"<itemKey>": item, "error": null | {"code","message"}}`.
    public static func outcomes<Item: Hashable & Sendable, Value: Sendable>(
        _ results: KafkaAdminResults<Item, Value>,
        itemTitle: String,
        itemKey: String,
        json: Bool,
        describe: (Item) -> String = { "\($0)" }
    ) -> String {
        if json {
            return results.entries.map { entry in
                var line = JSONLine()
                line.add(itemKey, describe(entry.item))
                if case .failure(let error) = entry.result { line.add(error: error) } else { line.add(error: nil) }
                return line.line
            }.joined()
        }
        var table = TextTable(header: [itemTitle, "RESULT"])
        for entry in results.entries {
            switch entry.result {
            case .success: table.rows.append([describe(entry.item), "ok"])
            case .failure(let error): table.rows.append([describe(entry.item), "\(error.code.name): \(error.message)"])
            }
        }
        return table.render()
    }

    /// `topic list`.
    public static func topicList(_ topics: [KafkaTopicListing], json: Bool) -> String {
        if json {
            return topics.map { topic in
                var line = JSONLine()
                line.add("topic", topic.name)
                line.add("partitions", Int64(topic.partitionCount))
                line.add("internal", topic.isInternal)
                return line.line
            }.joined()
        }
        var table = TextTable(header: ["TOPIC", "PARTITIONS"])
        for topic in topics { table.rows.append([topic.name, "\(topic.partitionCount)"]) }
        return table.render()
    }

    /// `topic describe`: per topic a summary line, then its partitions (as `kafka-topics.sh --describe`).
    public static func topicDescriptions(_ results: KafkaAdminResults<String, KafkaTopicDescription>, json: Bool)
        -> String
    {
        var text = ""
        for entry in results.entries {
            switch entry.result {
            case .failure(let error):
                text += failedItem(key: "topic", title: "Topic", item: entry.item, error: error, json: json)
            case .success(let topic):
                if json {
                    var line = JSONLine()
                    line.add("topic", topic.name)
                    line.add("internal", topic.isInternal)
                    line.add("replication_factor", Int64(topic.replicationFactor))
                    line.add(
                        "partitions",
                        objects: topic.partitions.map { partition in
                            var p = JSONLine()
                            p.add("partition", Int64(partition.id.rawValue))
                            p.add("leader", Int64(partition.leader))
                            p.add("replicas", numbers: partition.replicas.map(Int64.init))
                            p.add("isr", numbers: partition.inSyncReplicas.map(Int64.init))
                            return p
                        }
                    )
                    line.add("configs", objects: topic.configs.map(configJSON))
                    text += line.line
                    continue
                }
                let overrides = topic.configs.filter { $0.source == .dynamicTopic }
                    .map { "\($0.name)=\($0.isSensitive ? "(sensitive)" : $0.value ?? "")" }
                text +=
                    "Topic: \(topic.name)\tPartitionCount: \(topic.partitions.count)\t"
                    + "ReplicationFactor: \(topic.replicationFactor)\tConfigs: \(overrides.joined(separator: ","))\n"
                var table = TextTable(header: ["", "PARTITION", "LEADER", "REPLICAS", "ISR"])
                for partition in topic.partitions {
                    table.rows.append([
                        "", "\(partition.id.rawValue)", "\(partition.leader)",
                        partition.replicas.map(String.init).joined(separator: ","),
                        partition.inSyncReplicas.map(String.init).joined(separator: ","),
                    ])
                }
                text += table.render()
            }
        }
        return text
    }

    private static func configJSON(_ entry: KafkaConfigEntry) -> JSONLine {
        var line = JSONLine()
        line.add("name", entry.name)
        line.add("value", entry.isSensitive ? nil : entry.value)
        line.add("source", entry.source.description)
        line.add("read_only", entry.isReadOnly)
        line.add("default", entry.isDefault)
        line.add("sensitive", entry.isSensitive)
        return line
    }

    /// `config describe`: the entries of each resource (all of them, or with `onlyOverrides` only those set on the
    /// resource itself). Sensitive values are never printed.
    public static func configs(
        _ results: KafkaAdminResults<KafkaConfigResource, [KafkaConfigEntry]>,
        onlyOverrides: Bool,
        json: Bool
    ) -> String {
        var text = ""
        for entry in results.entries {
            switch entry.result {
            case .failure(let error):
                if json {
                    var line = JSONLine()
                    line.add("resource", entry.item.description)
                    line.add(error: error)
                    text += line.line
                } else {
                    text += "\(entry.item): \(error.code.name): \(error.message)\n"
                }
            case .success(let entries):
                let own = ownSource(of: entry.item)
                let shown = onlyOverrides ? entries.filter { $0.source == own } : entries
                if json {
                    for config in shown {
                        var line = configJSON(config)
                        line.add("resource", entry.item.description)
                        text += line.line
                    }
                    continue
                }
                text += "Configs of \(entry.item)\(onlyOverrides ? " set on it (--all for every entry)" : ""):\n"
                var table = TextTable(header: ["NAME", "VALUE", "SOURCE", "FLAGS"])
                for config in shown {
                    var flags: [String] = []
                    if config.isReadOnly { flags.append("read-only") }
                    if config.isSensitive { flags.append("sensitive") }
                    if config.isDefault { flags.append("default") }
                    table.rows.append([
                        config.name, config.isSensitive ? "(sensitive)" : config.value ?? "(null)",
                        config.source.description, flags.joined(separator: ","),
                    ])
                }
                text += trimTrailingSpaces(table.render())
            }
        }
        return text
    }

    private static func ownSource(of resource: KafkaConfigResource) -> KafkaConfigEntry.Source {
        switch resource.kind {
        case .topic: return .dynamicTopic
        case .broker: return resource.name.isEmpty ? .dynamicDefaultBroker : .dynamicBroker
        }
    }

    /// `group list`.
    public static func groupList(_ list: KafkaConsumerGroupList, json: Bool) -> String {
        if json {
            return list.groups.map { group in
                var line = JSONLine()
                line.add("group", group.groupID)
                line.add("state", group.state.description)
                line.add("simple", group.isSimple)
                return line.line
            }.joined()
        }
        var table = TextTable(header: ["GROUP", "STATE"])
        for group in list.groups { table.rows.append([group.groupID, group.state.description]) }
        return table.render()
    }

    /// `group describe`: per group its state, assignor and coordinator, then its members.
    public static func groupDescriptions(
        _ results: KafkaAdminResults<String, KafkaConsumerGroupDescription>,
        json: Bool
    ) -> String {
        var text = ""
        for entry in results.entries {
            switch entry.result {
            case .failure(let error):
                text += failedItem(key: "group", title: "Group", item: entry.item, error: error, json: json)
            case .success(let group):
                let coordinator = group.coordinator.map { "\($0.id) (\($0.host):\($0.port))" }
                if json {
                    var line = JSONLine()
                    line.add("group", group.groupID)
                    line.add("state", group.state.description)
                    line.add("assignor", group.partitionAssignor)
                    line.add("simple", group.isSimple)
                    line.add("coordinator", group.coordinator.map { Int64($0.id) }.map(String.init))
                    line.add(
                        "members",
                        objects: group.members.map { member in
                            var m = JSONLine()
                            m.add("member_id", member.memberID)
                            m.add("group_instance_id", member.groupInstanceID)
                            m.add("client_id", member.clientID)
                            m.add("host", member.host)
                            m.add(
                                "assignment",
                                objects: member.assignment.map { tp in
                                    var p = JSONLine()
                                    p.add("topic", tp.topic)
                                    p.add("partition", Int64(tp.partition.rawValue))
                                    return p
                                }
                            )
                            return m
                        }
                    )
                    text += line.line
                    continue
                }
                text +=
                    "Group: \(group.groupID)\tState: \(group.state)\tAssignor: "
                    + "\(group.partitionAssignor.isEmpty ? "-" : group.partitionAssignor)\tCoordinator: "
                    + "\(coordinator ?? "-")\tMembers: \(group.members.count)\n"
                if !group.members.isEmpty {
                    var table = TextTable(header: ["", "MEMBER", "CLIENT", "HOST", "ASSIGNMENT"])
                    for member in group.members {
                        table.rows.append([
                            "", member.memberID, member.clientID, member.host,
                            member.assignment.map { "\($0.topic):\($0.partition.rawValue)" }.joined(separator: ","),
                        ])
                    }
                    text += trimTrailingSpaces(table.render())
                }
            }
        }
        return text
    }

    /// `records delete`: per partition the new low watermark, or the error.
    public static func deletedRecords(_ results: KafkaAdminResults<KafkaTopicPartition, KafkaOffset>, json: Bool)
        -> String
    {
        if json {
            return results.entries.map { entry in
                var line = JSONLine()
                line.add("topic", entry.item.topic)
                line.add("partition", Int64(entry.item.partition.rawValue))
                switch entry.result {
                case .success(let low):
                    line.add("low", low.rawValue)
                    line.add(error: nil)
                case .failure(let error): line.add(error: error)
                }
                return line.line
            }.joined()
        }
        var table = TextTable(header: ["TOPIC", "PARTITION", "RESULT"])
        for entry in results.entries {
            let result: String
            switch entry.result {
            case .success(let low): result = "low watermark now \(low.rawValue)"
            case .failure(let error): result = "\(error.code.name): \(error.message)"
            }
            table.rows.append([entry.item.topic, "\(entry.item.partition.rawValue)", result])
        }
        return table.render()
    }

    /// `acl list` (and what `acl delete` deleted).
    public static func acls(_ bindings: [KafkaACLBinding], json: Bool) -> String {
        if json {
            return bindings.map { binding in
                var line = JSONLine()
                line.add("resource_type", binding.resourceType.description)
                line.add("resource_name", binding.resourceName)
                line.add("pattern_type", binding.patternType.description)
                line.add("principal", binding.principal)
                line.add("host", binding.host)
                line.add("operation", binding.operation.description)
                line.add("permission", binding.permission.description)
                return line.line
            }.joined()
        }
        var table = TextTable(header: ["RESOURCE", "PATTERN", "NAME", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"])
        for b in bindings {
            table.rows.append([
                b.resourceType.description, b.patternType.description, b.resourceName, b.principal, b.host,
                b.operation.description, b.permission.description,
            ])
        }
        return table.render()
    }

    /// `cluster`: id, controller, brokers.
    public static func cluster(_ cluster: KafkaClusterDescription, json: Bool) -> String {
        if json {
            var line = JSONLine()
            line.add("cluster_id", cluster.clusterID)
            line.add("controller", cluster.controllerID.map { String($0) })
            line.add(
                "brokers",
                objects: cluster.brokers.map { broker in
                    var b = JSONLine()
                    b.add("id", Int64(broker.id))
                    b.add("host", broker.host)
                    b.add("port", Int64(broker.port))
                    return b
                }
            )
            return line.line
        }
        var text = "Cluster: \(cluster.clusterID ?? "-")\tController: \(cluster.controllerID.map(String.init) ?? "-")\n"
        var table = TextTable(header: ["BROKER", "ADDRESS"])
        for broker in cluster.brokers { table.rows.append(["\(broker.id)", "\(broker.host):\(broker.port)"]) }
        text += table.render()
        return text
    }

    /// A described item that failed: `{"<key>": item, "error": {...}}`, or `<Title>: item<TAB>Error: CODE: message`.
    private static func failedItem(key: String, title: String, item: String, error: KafkaError, json: Bool) -> String {
        guard json else { return "\(title): \(item)\tError: \(error.code.name): \(error.message)\n" }
        var line = JSONLine()
        line.add(key, item)
        line.add(error: error)
        return line.line
    }

    private static func trimTrailingSpaces(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = Substring(line)
            while line.last == " " { line = line.dropLast() }
            return String(line)
        }.joined(separator: "\n")
    }
}
