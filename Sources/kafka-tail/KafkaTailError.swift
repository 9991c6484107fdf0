/// A problem `kafka-tail` explains in its own words.
struct KafkaTailError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
