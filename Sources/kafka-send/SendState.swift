import KafkaCLISupport

/// What the reading loop and the delivery report reader share.
struct SendState {
    var tally = SendTally()
    var lines = LineNumberMap()
    var reportFailures: [(id: UInt64, reason: String)] = []
}
