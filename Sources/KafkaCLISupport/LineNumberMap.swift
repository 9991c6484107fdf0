/// Maps the ids of queued messages back to their input positions, in little memory: ids and lines both advance
/// by one per message almost always, so only the points where they do not (a skipped line, a refused message,
/// a new file) are stored.
public struct LineNumberMap: Sendable {
    private struct Segment: Sendable {
        var firstID: UInt64
        var firstLine: Int
        var count: UInt64
        var source: Int
    }
    private var segments: [Segment] = []

    /// An empty map.
    public init() {}

    /// Records that message `id` came from line `line` of input number `source`. Ids must be recorded in
    /// increasing order.
    @inlinable
    public mutating func record(id: UInt64, line: Int, source: Int = 0) {
        if !extendLastSegment(id: id, line: line, source: source) {
            appendSegment(id: id, line: line, source: source)
        }
    }

    /// Records that `count` messages with ids from `firstID` on came from consecutive lines from `line` on.
    public mutating func record(firstID: UInt64, line: Int, count: UInt64, source: Int = 0) {
        guard count > 0 else { return }
        if extendLastSegment(id: firstID, line: line, source: source) {
            segments[segments.count - 1].count += count - 1
        } else {
            segments.append(Segment(firstID: firstID, firstLine: line, count: count, source: source))
        }
    }

    @usableFromInline
    mutating func extendLastSegment(id: UInt64, line: Int, source: Int) -> Bool {
        guard let last = segments.indices.last else { return false }
        let segment = segments[last]
        guard segment.source == source, id == segment.firstID + segment.count,
            line == segment.firstLine + Int(segment.count)
        else { return false }
        segments[last].count += 1
        return true
    }

    @usableFromInline
    mutating func appendSegment(id: UInt64, line: Int, source: Int) {
        segments.append(Segment(firstID: id, firstLine: line, count: 1, source: source))
    }

    /// The input number and line message `id` came from, if it was recorded.
    public func position(of id: UInt64) -> (source: Int, line: Int)? {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].firstID <= id { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let segment = segments[low - 1]
        guard id < segment.firstID + segment.count else { return nil }
        return (segment.source, segment.firstLine + Int(id - segment.firstID))
    }
}
