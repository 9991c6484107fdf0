public import Kafka

/// What `--version` prints: the tool, and the librdkafka it runs on (which can differ from the headers it was built
/// with: an `LD_LIBRARY_PATH` directory or a newer system library wins at run time).
public func versionText(tool: String) -> String {
    var text = "\(tool) (swift-kafka) on librdkafka \(Librdkafka.version)"
    if Librdkafka.headerVersion != Librdkafka.version {
        text += ", built with librdkafka \(Librdkafka.headerVersion) headers"
    }
    return text
}
