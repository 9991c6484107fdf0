/// What `kafka-send` has done so far: counts, and the first few problems with their input positions. A pure value;
/// renders the progress line and the final summary.
public struct SendTally: Sendable {
    /// Records read from the input.
    public var read = 0
    /// Messages handed to the producer.
    public var queued = 0
    /// Messages confirmed delivered (known only when every delivery report is read).
    public var delivered = 0
    /// Messages refused or not delivered.
    public var failed = 0
    /// Bad lines skipped with `--skip-bad-lines`.
    public var skipped = 0
    /// The first problems, in the order they were found.
    public private(set) var problems: [(position: InputPosition?, reason: String)] = []
    /// How many problems are kept.
    public static let keptProblems = 5

    /// Nothing done yet.
    public init() {}

    /// Records a problem (keeps the first ``keptProblems``).
    public mutating func note(_ position: InputPosition?, _ reason: String) {
        if problems.count < Self.keptProblems { problems.append((position, reason)) }
    }

    /// The live progress line (for a terminal): rate, sent, delivered, failed.
    public func progressLine(messagesPerSecond: Double) -> String {
        var line = "\(Int(messagesPerSecond.rounded())) msg/s, sent \(queued), delivered \(delivered), failed \(failed)"
        if skipped > 0 { line += ", skipped \(skipped)" }
        return line
    }

    /// The final summary lines: counts, then each kept problem with its position.
    public func summary(topic: String?, elapsedSeconds: Double, interrupted: Bool) -> [String] {
        var lines: [String] = []
        let undelivered = failed
        var head = "\(queued - undelivered) of \(queued) messages delivered"
        if let topic { head += " to \(topic)" }
        head += " in \(formatSeconds(elapsedSeconds)) s"
        if skipped > 0 { head += ", \(skipped) bad line\(skipped == 1 ? "" : "s") skipped" }
        if interrupted { head += " (interrupted: input not read to its end)" }
        lines.append(head)
        if undelivered > 0 {
            lines.append("\(undelivered) message\(undelivered == 1 ? " was" : "s were") not delivered")
        }
        for problem in problems {
            lines.append("  \(problem.position.map { "\($0): " } ?? "")\(problem.reason)")
        }
        return lines
    }
}

/// `seconds` with two decimals.
func formatSeconds(_ seconds: Double) -> String {
    let hundredths = Int((seconds * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
