import Synchronization

/// ``SendState`` behind a lock, shared by reference.
final class SharedSendState: Sendable {
    private let state = Mutex(SendState())

    func withLock<T>(_ body: (inout SendState) -> T) -> T {
        state.withLock { body(&$0) }
    }
}
