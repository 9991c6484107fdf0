extension KafkaAdminClient {
    /// Describes the configuration of topics and brokers (`DescribeConfigs`): every entry with its value, source,
    /// flags and synonyms. Sensitive values are never returned by the cluster.
    /// - Returns: per resource, its entries sorted by name, or its error.
    public func describeConfigs(
        _ resources: [KafkaConfigResource],
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaConfigResource, [KafkaConfigEntry]> {
        for resource in resources { try resource.validate() }
        try Self.checkUnique(resources, "resource")
        guard !resources.isEmpty else { return KafkaAdminResults([]) }
        let options = RDKafkaClient.AdminRequestOptions(operation: "DescribeConfigs", timeout: timeout)
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            // librdkafka takes at most one broker resource per request.
            var answers: [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] = [:]
            for batch in Self.batchesOfOneBroker(resources) {
                answers.merge(try client.describeConfigs(batch, options: options)) { $1 }
            }
            return answers
        }
        return Self.results(resources, operation: "DescribeConfigs", answers)
    }

    /// Changes configuration entries of topics and brokers, leaving every entry not named as it is.
    ///
    /// Where the running librdkafka has `IncrementalAlterConfigs` (2.2 and later; see
    /// ``Librdkafka/Capability/incrementalAlterConfigs``), the changes are sent as they are. On older librdkafka,
    /// whose `AlterConfigs` replaces a resource's whole configuration (resetting every entry not sent), the current
    /// configuration is read first and the merge is written, so nothing is reset by accident; a sensitive entry
    /// set on the resource cannot be read back, so such a merge is refused unless the same call sets or deletes it.
    ///
    /// ```swift
    /// try await admin.alterConfigs([.topic("orders"): [.set("retention.ms", "3600000"), .delete("cleanup.policy")]])
    ///     .throwIfAnyFailed()
    /// ```
    /// - Returns: per resource, success or its error.
    public func alterConfigs(
        _ changes: [KafkaConfigResource: [KafkaConfigChange]],
        validateOnly: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws -> KafkaAdminResults<KafkaConfigResource, Void> {
        try await alterConfigs(
            changes,
            validateOnly: validateOnly,
            incremental: Librdkafka.supports(.incrementalAlterConfigs),
            timeout: timeout
        )
    }

    /// ``alterConfigs(_:validateOnly:timeout:)`` with the method chosen (tests run the read-merge-write path on
    /// every librdkafka).
    package func alterConfigs(
        _ changes: [KafkaConfigResource: [KafkaConfigChange]],
        validateOnly: Bool,
        incremental: Bool,
        timeout: Duration
    ) async throws -> KafkaAdminResults<KafkaConfigResource, Void> {
        let resources = changes.keys.sorted { ($0.kind.description, $0.name) < ($1.kind.description, $1.name) }
        for resource in resources {
            try resource.validate()
            try ConfigMerge.validate(changes[resource] ?? [], for: resource)
        }
        guard !resources.isEmpty else { return KafkaAdminResults([]) }
        let operation = incremental ? "IncrementalAlterConfigs" : "AlterConfigs"
        let options = RDKafkaClient.AdminRequestOptions(
            operation: operation,
            timeout: timeout,
            validateOnly: validateOnly
        )
        let describe = RDKafkaClient.AdminRequestOptions(operation: "DescribeConfigs", timeout: timeout)
        let answers = try await withClient(timeout) { client throws(KafkaError) in
            var answers: [KafkaConfigResource: Result<[KafkaConfigEntry], KafkaError>] = [:]
            for batch in Self.batchesOfOneBroker(resources) {
                if incremental {
                    let subset = Dictionary(uniqueKeysWithValues: batch.map { ($0, changes[$0] ?? []) })
                    answers.merge(try client.incrementalAlterConfigs(subset, options: options)) { $1 }
                    continue
                }
                let current = try client.describeConfigs(batch, options: describe)
                var replacements: [KafkaConfigResource: [(String, String)]] = [:]
                for resource in batch {
                    do throws(KafkaError) {
                        guard let entries = try current[resource]?.get() else {
                            throw KafkaError(
                                code: .unsupported,
                                message: "DescribeConfigs returned nothing for \(resource)"
                            )
                        }
                        replacements[resource] = try ConfigMerge.replacement(
                            for: resource,
                            current: entries,
                            changes: changes[resource] ?? []
                        )
                    } catch {
                        var failure = error
                        failure.message = "AlterConfigs: \(resource): \(error.message)"
                        answers[resource] = .failure(failure)
                    }
                }
                if !replacements.isEmpty {
                    answers.merge(try client.replaceConfigs(replacements, options: options)) { $1 }
                }
            }
            return answers
        }
        return Self.results(resources, operation: operation, answers.mapValues { $0.map { _ in () } })
    }

    /// Splits resources so that no batch holds more than one broker (librdkafka's rule for config requests).
    package static func batchesOfOneBroker(_ resources: [KafkaConfigResource]) -> [[KafkaConfigResource]] {
        var first: [KafkaConfigResource] = []
        var more: [[KafkaConfigResource]] = []
        var hasBroker = false
        for resource in resources {
            if resource.kind == .broker {
                if hasBroker {
                    more.append([resource])
                    continue
                }
                hasBroker = true
            }
            first.append(resource)
        }
        return [first] + more
    }
}

/// What the non-incremental `AlterConfigs` must send so that only the requested changes change.
package enum ConfigMerge {
    /// Refuses changes that name no property, or the same property twice.
    package static func validate(_ changes: [KafkaConfigChange], for resource: KafkaConfigResource) throws(KafkaError) {
        var seen = Set<String>()
        for change in changes {
            if change.name.isEmpty { throw KafkaError.invalidAdminRequest("\(resource): a change names no property") }
            if !seen.insert(change.name).inserted {
                throw KafkaError.invalidAdminRequest("\(resource): \(change.name) is changed twice in one request")
            }
        }
    }

    /// The source whose entries the resource's `AlterConfigs` replaces.
    static func ownSource(of resource: KafkaConfigResource) -> KafkaConfigEntry.Source {
        switch resource.kind {
        case .topic: return .dynamicTopic
        case .broker: return resource.name.isEmpty ? .dynamicDefaultBroker : .dynamicBroker
        }
    }

    /// Every entry set on the resource itself, with `changes` applied, sorted by name.
    /// - Throws: ``KafkaError`` when an entry set on the resource is sensitive (its value is never returned, so
    ///   writing the merge would lose it) and the changes do not set or delete it.
    package static func replacement(
        for resource: KafkaConfigResource,
        current: [KafkaConfigEntry],
        changes: [KafkaConfigChange]
    ) throws(KafkaError) -> [(String, String)] {
        let own = ownSource(of: resource)
        var values: [String: String] = [:]
        var unreadable: [String] = []
        for entry in current where entry.source == own {
            if let value = entry.value, !entry.isSensitive {
                values[entry.name] = value
            } else {
                unreadable.append(entry.name)
            }
        }
        let effective = Dictionary(current.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        for change in changes {
            switch change {
            case .set(let name, let value):
                values[name] = value
                unreadable.removeAll { $0 == name }
            case .delete(let name):
                values[name] = nil
                unreadable.removeAll { $0 == name }
            case .append(let name, let value):
                var list = listItems(values[name] ?? effective[name] ?? nil)
                if !list.contains(value) { list.append(value) }
                values[name] = list.joined(separator: ",")
            case .subtract(let name, let value):
                let list = listItems(values[name] ?? effective[name] ?? nil).filter { $0 != value }
                values[name] = list.joined(separator: ",")
            }
        }
        if let lost = unreadable.sorted().first {
            throw KafkaError(
                code: .unsupported,
                message: "\(lost) is set on \(resource) but sensitive, so the cluster does not return its value; "
                    + "librdkafka \(Librdkafka.version)'s AlterConfigs would reset it. Set or delete \(lost) in the "
                    + "same call, or use librdkafka 2.2 or later (IncrementalAlterConfigs)"
            )
        }
        return values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private static func listItems(_ value: String?) -> [String] {
        guard let value, !value.isEmpty else { return [] }
        return value.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
