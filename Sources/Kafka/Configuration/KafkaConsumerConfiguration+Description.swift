extension KafkaConsumerConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "bootstrapServers": bootstrapServers,
                "consumptionStrategy": consumptionStrategy,
                "clientID": clientID,
                "autoOffsetReset": autoOffsetReset,
                "enableAutoCommit": enableAutoCommit,
                "autoCommitInterval": autoCommitInterval,
                "isolationLevel": isolationLevel,
                "groupProtocol": groupProtocol,
                "remoteAssignor": remoteAssignor as Any,
                "sessionTimeout": sessionTimeout as Any,
                "heartbeatInterval": heartbeatInterval as Any,
                "groupInstanceID": groupInstanceID as Any,
                "assignmentStrategies": assignmentStrategies as Any,
                "maxPollInterval": maxPollInterval,
                "closeTimeout": closeTimeout,
                "statisticsInterval": statisticsInterval as Any,
                "tracing": tracing.map { "recordsKeys: \($0.recordsKeys)" } as Any,
                "metrics": metrics.map { "labels \($0.labelPrefix)_*, dimensions \($0.dimensions)" } as Any,
                "rebalanceHookTimeout": rebalanceHookTimeout,
                "reportPartitionEnds": reportPartitionEnds,
                "stopAtEndOfPartitions": stopAtEndOfPartitions,
                "buffer": buffer,
                "fetch": fetch,
                "security": security,
                "librdkafkaOverrides": Redaction.redacted(librdkafkaOverrides),
            ]
        )
    }

    /// Every field, with secrets (passwords, keys, in typed fields or in ``librdkafkaOverrides``) redacted.
    public var description: String { Redaction.describe(customMirror, as: "KafkaConsumerConfiguration") }
    public var debugDescription: String { description }
}
