/// Where a record came from: a file (or standard input) and its record (line) number there, 1-based.
public struct InputPosition: Hashable, Sendable, CustomStringConvertible {
    /// The file name; `nil` for standard input.
    public var source: String?
    public var line: Int

    public init(source: String?, line: Int) {
        self.source = source
        self.line = line
    }

    public var description: String {
        if let source { return "\(source): line \(line)" }
        return "line \(line)"
    }
}

/// Maps the ids of queued messages back to their input positions, in little memory: ids and lines both advance
/// by one per message almost always, so only the points where they do not (a skipped line, a refused message,
/// a new file) are stored.
public struct LineNumberMap: Sendable {
    private struct Segment: Sendable {
        var firstID: UInt64
        var firstLine: Int
        var count: UInt64
        var source: String?
    }
    private var segments: [Segment] = []
    private var last: (id: UInt64, line: Int)?

    public init() {}

    /// Records that message `id` came from `position`. Ids must be recorded in increasing order.
    public mutating func record(id: UInt64, _ position: InputPosition) {
        if let last, let segment = segments.last, id == last.id + 1, position.line == last.line + 1,
            segment.source == position.source
        {
            self.last = (id, position.line)
            segments[segments.count - 1].count += 1
            return
        }
        segments.append(Segment(firstID: id, firstLine: position.line, count: 1, source: position.source))
        last = (id, position.line)
    }

    /// The position message `id` came from, if it was recorded.
    public func position(of id: UInt64) -> InputPosition? {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].firstID <= id { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let segment = segments[low - 1]
        guard id < segment.firstID + segment.count else { return nil }
        return InputPosition(source: segment.source, line: segment.firstLine + Int(id - segment.firstID))
    }
}
