internal import CLibrdkafka

/// The librdkafka this process runs on: its version and what it can do.
///
/// The package is built against the system's librdkafka headers but runs on whatever `librdkafka.so.1` the
/// dynamic loader finds (Debian 12 ships 2.0.2, current distributions and Homebrew 2.12 and later; an
/// `LD_LIBRARY_PATH` directory wins). Everything that depends on the running version is decided here, at run time:
///
/// ```swift
/// print("running on librdkafka \(Librdkafka.version)")
/// if Librdkafka.supports(.consumerGroupProtocol) {
///     config.groupProtocol = .consumer
/// }
/// ```
public enum Librdkafka {
    /// The version of the librdkafka loaded at run time (`rd_kafka_version()`), which may be newer than the
    /// headers the package was compiled with (``headerVersion``).
    public static let version = Version(rawValue: Int(rd_kafka_version()))

    /// The version of the librdkafka headers the package was compiled with (`RD_KAFKA_VERSION`).
    public static let headerVersion = Version(rawValue: Int(RD_KAFKA_VERSION))

    /// Whether the running librdkafka has `capability`.
    public static func supports(_ capability: Capability) -> Bool {
        capability.isAvailable
    }

    /// Whether the running librdkafka has `fetch.queue.backoff.ms` (2.2 and later). Before it, a consumer whose
    /// queue reached its prefetch limits left fetching idle for up to a second, whatever drained the queue, and
    /// the consumer restarts fetching itself (``FetchBackoffWatch``); from it on, a short backoff does the same.
    package static let hasFetchQueueBackoff = acceptsProperty("fetch.queue.backoff.ms", "10")

    /// Whether librdkafka accepts `key=value` on a new configuration.
    static func acceptsProperty(_ key: String, _ value: String) -> Bool {
        guard let conf = rd_kafka_conf_new() else { return false }
        defer { rd_kafka_conf_destroy(conf) }
        var errstr = [CChar](repeating: 0, count: 256)
        return rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) == RD_KAFKA_CONF_OK
    }

    /// Every capability this package knows of that the running librdkafka has.
    public static var capabilities: [Capability] {
        Capability.all.filter(\.isAvailable)
    }
}
