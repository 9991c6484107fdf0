import UnixSignals

/// Waits for the first SIGINT or SIGTERM; returns its name.
public func waitForTerminationSignal() async -> String? {
    let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
    for await signal in signals {
        return "\(signal)"
    }
    return nil
}
