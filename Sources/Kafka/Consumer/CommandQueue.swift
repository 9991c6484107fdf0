/// A control call queued for the poll thread.
struct Command: Sendable {
    let run: @Sendable (RDKafkaClient) -> Void
    let fail: @Sendable () -> Void
}

/// The poll thread's command queue; closed (every later command fails) once the handle is destroyed.
struct CommandQueue: Sendable {
    private var items: [Command] = []
    private var isOpen = true

    var isEmpty: Bool { items.isEmpty }

    /// Queues `command`; `false` when closed.
    mutating func append(_ command: Command) -> Bool {
        guard isOpen else { return false }
        items.append(command)
        return true
    }

    mutating func takeAll() -> [Command]? {
        guard !items.isEmpty else { return nil }
        defer { items = [] }
        return items
    }

    mutating func close() -> [Command] {
        isOpen = false
        defer { items = [] }
        return items
    }
}
