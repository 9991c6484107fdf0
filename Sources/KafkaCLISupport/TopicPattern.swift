#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A topic argument: a name, or a `^`-prefixed POSIX extended regular expression (as librdkafka takes it for
/// subscriptions).
public struct TopicPattern: Sendable {
    /// The argument as given.
    public let text: String

    /// The argument as given.
    public init(_ text: String) {
        self.text = text
    }

    /// Whether the argument is a regular expression (starts with `^`).
    public var isRegex: Bool { text.hasPrefix("^") }

    /// Checks that a regular expression compiles.
    /// - Throws: ``CLIError`` with the system's reason.
    public func validate() throws(CLIError) {
        guard isRegex else { return }
        var regex = regex_t()
        let rc = regcomp(&regex, text, REG_EXTENDED | REG_NOSUB)
        defer { if rc == 0 { regfree(&regex) } }
        guard rc == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(rc, &regex, &message, message.count)
            throw CLIError(
                "-t '\(text)': invalid regular expression: \(String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))"
            )
        }
    }

    /// The names in `topics` the argument selects, in order.
    public func matches(in topics: [String]) -> [String] {
        guard isRegex else { return topics.filter { $0 == text } }
        var regex = regex_t()
        guard regcomp(&regex, text, REG_EXTENDED | REG_NOSUB) == 0 else { return [] }
        defer { regfree(&regex) }
        return topics.filter { regexec(&regex, $0, 0, nil, 0) == 0 }
    }
}
