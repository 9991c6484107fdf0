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
public struct CommonOptions: ParsableArguments {
    @Option(
        name: .customShort("b"),
        help: ArgumentHelp(
            "Bootstrap broker(s), host:port[,host:port...].",
            discussion: "Default: $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092."
        )
    )
    public var brokers: String?

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("Any librdkafka property, as prop=value. Repeatable.", valueName: "prop=value")
    )
    public var properties: [String] = []

    @Flag(name: .customShort("v"), help: "More diagnostics on stderr (repeat for more).")
    public var verbosity: Int

    @Flag(name: .customShort("q"), help: "Quiet: only errors on stderr.")
    public var quiet = false

    public init() {}

    /// The bootstrap servers: `-b`, else `$KAFKA_BOOTSTRAP_SERVERS`, else `localhost:9092`.
    public var bootstrapServers: [String] {
        let raw = brokers ?? environment("KAFKA_BOOTSTRAP_SERVERS") ?? "localhost:9092"
        return [raw]
    }

    /// The `-X` properties as a dictionary.
    /// - Throws: `ValidationError` naming the malformed entry.
    public func librdkafkaProperties() throws -> [String: String] {
        var result: [String: String] = [:]
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

/// Parses one `prop=value` entry (`-X`); the value may itself contain `=`.
/// - Throws: `ValidationError` when there is no `=` or the name is empty.
public func parseProperty(_ entry: String) throws -> (String, String) {
    guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
        throw ValidationError("-X needs prop=value, got '\(entry)'")
    }
    return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
}

/// The value of an environment variable, if set and not empty.
public func environment(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    let value = String(cString: raw)
    return value.isEmpty ? nil : value
}
