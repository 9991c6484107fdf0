/// A parsed JSON value. Strings are kept as their UTF-8 bytes; every value remembers where its text lies in the
/// input (`source`), so a non-string payload can be sent exactly as written.
public struct JSONValue: Equatable, Sendable {
    /// What kind of value it is.
    public enum Kind: Equatable, Sendable {
        case null
        case bool(Bool)
        /// A number, as written.
        case number(String)
        /// A string's bytes (UTF-8), escapes resolved.
        case string([UInt8])
        case array([JSONValue])
        /// Members in input order (a name may repeat).
        case object([(name: String, value: JSONValue)])

        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.number(let a), .number(let b)): return a == b
            case (.string(let a), .string(let b)): return a == b
            case (.array(let a), .array(let b)): return a == b
            case (.object(let a), .object(let b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.value == $1.value }
            default: return false
            }
        }
    }

    /// The value.
    public var kind: Kind
    /// The value's text in the input.
    public var source: Range<Int>

    /// The member `name` of an object (the last one when it repeats).
    public subscript(name: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.last(where: { $0.name == name })?.value
    }
}
