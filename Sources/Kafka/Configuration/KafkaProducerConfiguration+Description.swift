extension KafkaProducerConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "bootstrapServers": bootstrapServers,
                "clientID": clientID,
                "acks": acks,
                "idempotence": idempotence,
                "transactionalID": transactionalID as Any,
                "transactionTimeout": transactionTimeout as Any,
                "compression": compression,
                "linger": linger,
                "messageTimeout": messageTimeout,
                "batchSize": batchSize as Any,
                "batchMessageCount": batchMessageCount as Any,
                "maxMessageBytes": maxMessageBytes as Any,
                "retries": retries as Any,
                "retryBackoff": retryBackoff as Any,
                "partitioner": partitioner?.rawValue as Any,
                "queueMaxMessages": queueMaxMessages as Any,
                "queueMaxKilobytes": queueMaxKilobytes as Any,
                "security": security,
                "deliveryReports": deliveryReports,
                "enqueueTimeout": enqueueTimeout as Any,
                "closeTimeout": closeTimeout,
                "statisticsInterval": statisticsInterval as Any,
                "tracing": tracing.map { "recordsKeys: \($0.recordsKeys)" } as Any,
                "metrics": metrics.map { "labels \($0.labelPrefix)_*, dimensions \($0.dimensions)" } as Any,
                "librdkafkaOverrides": Redaction.redacted(librdkafkaOverrides),
            ]
        )
    }

    /// Every field, with secrets (passwords, keys, in typed fields or in ``librdkafkaOverrides``) redacted.
    public var description: String { Redaction.describe(customMirror, as: "KafkaProducerConfiguration") }
    public var debugDescription: String { description }
}
