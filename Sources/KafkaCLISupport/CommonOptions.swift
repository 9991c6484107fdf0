public import ArgumentParser
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Flags shared by `kafka-send` and `kafka-tail`, spelled as kcat spells them.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(
        name: .customShort("b", allowingJoined: true),
        help: ArgumentHelp(
            "Bootstrap broker(s), host:port[,host:port...].",
            discussion: "Default: $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092.",
            valueName: "brokers"
        )
    )
    public var brokers: String?

    @Option(
        name: .customShort("X", allowingJoined: true),
        help: ArgumentHelp("Any librdkafka property, as prop=value. Repeatable; wins over -F.", valueName: "prop=value")
    )
    public var properties: [String] = []

    @Option(
        name: .customShort("F", allowingJoined: true),
        help: ArgumentHelp(
            "Read librdkafka properties from a file of prop=value lines (# comments).",
            valueName: "file"
        )
    )
    public var configFile: String?

    @Flag(name: .customShort("v"), help: "More diagnostics on stderr (repeat for more).")
    public var verbosity: Int

    @Flag(name: .customShort("q"), help: "Quiet: only errors on stderr.")
    public var quiet = false

    @Option(
        name: .customLong("stats"),
        help: ArgumentHelp(
            "Print librdkafka's statistics on stderr every <seconds>: a summary line (lag, queues, brokers), or "
                + "with -J the raw JSON document.",
            valueName: "seconds"
        )
    )
    public var statisticsSeconds: Double?

    /// `--stats` as a duration, if given.
    public var statisticsInterval: Duration? {
        statisticsSeconds.map { .milliseconds(Int64(max($0, 0.001) * 1_000)) }
    }

    /// The defaults (ArgumentParser fills the flags in).
    public init() {}

    /// The bootstrap servers: `-b`, else `$KAFKA_BOOTSTRAP_SERVERS`, else `localhost:9092`.
    public var bootstrapServers: [String] {
        let raw = brokers ?? environment("KAFKA_BOOTSTRAP_SERVERS") ?? "localhost:9092"
        return [raw]
    }

    /// The librdkafka properties: the `-F` file's, then the `-X` ones (which win).
    /// - Throws: ``CLIError`` naming the malformed entry, or the file that cannot be read.
    public func librdkafkaProperties() throws(CLIError) -> [String: String] {
        var result: [String: String] = [:]
        if let configFile {
            let text: String
            do {
                text = try readTextFile(configFile)
            } catch {
                throw CLIError("-F: \(error)")
            }
            for (key, value) in try parseConfigFile(text, path: configFile) { result[key] = value }
        }
        for entry in properties {
            let (key, value) = try parseProperty(entry)
            result[key] = value
        }
        return result
    }

    /// A logger writing to stderr at the level the flags ask for.
    public func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = quiet ? .error : verbosity >= 2 ? .debug : verbosity == 1 ? .info : .warning
        return logger
    }
}

/// The value of an environment variable, if set and not empty.
public func environment(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    let value = String(cString: raw)
    return value.isEmpty ? nil : value
}

/// Whether file descriptor `fd` is a terminal.
public func isTerminal(_ fd: Int32) -> Bool {
    isatty(fd) == 1
}
