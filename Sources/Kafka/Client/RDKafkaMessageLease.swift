internal import CLibrdkafka
import NIOCore
import Synchronization

/// Owns the librdkafka messages of one poll while any ``KafkaConsumerMessage`` (or ``KafkaBytes``) of them is
/// alive, so keys and values are read in place instead of copied; destroys them when the last one goes.
///
/// Thread-safety: the messages are not written once handed out, except by `rd_kafka_message_headers`, which parses
/// a message's headers on first use and keeps them in the message: ``headers(of:)`` serializes those calls.
final class RDKafkaMessageLease: KafkaFetchedMessageOwner, @unchecked Sendable {
    // @unchecked: `messages` is written in init only; header parsing holds `headerLock`.
    let messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    private let leases: RDKafkaLeases
    private let headerLock = Mutex(())

    /// Takes over `messages` (the caller no longer destroys them).
    init(
        taking messages: Slice<UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>>,
        leases: RDKafkaLeases
    ) {
        self.messages = .allocate(capacity: messages.count)
        _ = self.messages.initialize(fromContentsOf: messages)
        self.leases = leases
        leases.opened(messages: messages.count)
    }

    deinit {
        for message in messages { rd_kafka_message_destroy(message) }
        leases.closed(messages: messages.count)
        messages.deallocate()
    }

    /// The headers of `message` (one of this lease's), copied out, in the order they were produced.
    func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        headerLock.withLock { _ in
            var list: OpaquePointer? = nil
            guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
            // The list belongs to the message.
            var headers: [KafkaHeader] = []
            headers.reserveCapacity(rd_kafka_header_cnt(list))
            var index = 0
            var name: UnsafePointer<CChar>? = nil
            var value: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let key = name.map { String(cString: $0) } ?? ""
                let bytes = value.map { ByteBuffer(bytes: UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: key, value: bytes))
                index += 1
            }
            return headers
        }
    }
}

/// Counts a consumer's live ``RDKafkaMessageLease``s, so that its handle is destroyed only after the last of its
/// messages (librdkafka requires every message destroyed before `rd_kafka_destroy`).
final class RDKafkaLeases: Sendable {
    private struct State {
        var live = 0
        var liveMessages = 0
        /// Set by ``deferUntilReleased(_:)``: runs once the last live lease goes.
        var onReleased: (@Sendable () -> Void)? = nil
    }

    private let state = Mutex(State())

    init() {}

    /// librdkafka messages handed out and not destroyed yet: buffered for the loop, in its hands, or kept by the
    /// application. For tests and diagnostics.
    var liveMessageCount: Int {
        state.withLock { $0.liveMessages }
    }

    fileprivate func opened(messages: Int) {
        state.withLock { state in
            state.live += 1
            state.liveMessages += messages
        }
    }

    fileprivate func closed(messages: Int) {
        let last: (@Sendable () -> Void)? = state.withLock { state in
            state.live -= 1
            state.liveMessages -= messages
            guard state.live == 0 else { return nil }
            defer { state.onReleased = nil }
            return state.onReleased
        }
        last?()
    }

    /// Keeps `body` to run once the last live lease goes, on the thread that releases it. Returns `false`, keeping
    /// nothing, when no lease is alive. Call once, when no new lease can be opened any more.
    func deferUntilReleased(_ body: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard state.live > 0 else { return false }
            state.onReleased = body
            return true
        }
    }
}
