/// A plain text table: a header row and rows, columns padded to their widest cell, two spaces apart.
public struct TextTable: Sendable {
    /// The column titles.
    public var header: [String]
    /// The rows, each a cell per column.
    public var rows: [[String]] = []

    /// An empty table with these columns.
    public init(header: [String]) {
        self.header = header
    }

    /// The table as lines of text (no trailing spaces), each ending with a newline.
    public func render() -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        var text = ""
        for row in all {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            text += line + "\n"
        }
        return text
    }
}
