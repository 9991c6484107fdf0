extension KafkaAdminClient: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "bootstrapServers": bootstrapServers,
                "security": security,
                "librdkafkaOverrides": Redaction.redacted(librdkafkaOverrides),
            ]
        )
    }

    /// The bootstrap servers and overrides, with secrets redacted.
    public var description: String { Redaction.describe(customMirror, as: "KafkaAdminClient") }
    public var debugDescription: String { description }
}
