public import UnixSignals

/// SIGINT and SIGTERM as they arrive (trapped: the default action, ending the process, no longer happens).
public func terminationSignals() async -> UnixSignalsSequence {
    await UnixSignalsSequence(trapping: .sigint, .sigterm)
}

/// Waits for the first SIGINT or SIGTERM; returns its name.
public func waitForTerminationSignal() async -> String? {
    for await signal in await terminationSignals() {
        return "\(signal)"
    }
    return nil
}
