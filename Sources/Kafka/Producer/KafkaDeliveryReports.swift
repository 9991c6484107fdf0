import NIOCore
import Synchronization

/// Delivery reports of messages queued with ``KafkaProducer/enqueue(_:)``, as an `AsyncSequence` with
/// backpressure.
///
/// Which reports arrive is set by ``KafkaProducerConfiguration/deliveryReports``: all of them, only failures, or
/// none (the default; the sequence then ends at once). Reports of ``KafkaProducer/send(_:)`` never arrive here:
/// that call returns its own.
///
/// When the loop reading reports falls behind, ``KafkaProducer/enqueue(_:)`` suspends until it catches up, so
/// memory stays bounded. The sequence ends once the producer is closed and every report was handed out.
///
/// - Important: Iterate it once, from one task.
public struct KafkaDeliveryReports: AsyncSequence, Sendable {
    public typealias Element = KafkaDeliveryReport
    public typealias Failure = Never

    typealias Producer = NIOAsyncSequenceProducer<
        [KafkaDeliveryReport],
        NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        ProducerState
    >

    let wrapped: Producer

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(wrapped: wrapped.makeAsyncIterator())
    }

    /// Returns the reports one by one, in the order librdkafka reported them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var wrapped: SendableBatchIterator<Producer.AsyncIterator>
        @usableFromInline
        var batch: [KafkaDeliveryReport] = []
        @usableFromInline
        var index = 0

        init(wrapped: Producer.AsyncIterator) {
            self.wrapped = SendableBatchIterator(wrapped)
        }

        /// The next report, on the caller's actor (`for await` uses this): a report from the current batch is
        /// handed over without leaving it.
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaDeliveryReport? {
            // Inlined into the caller's loop, a report of the current batch costs no async call (each one costs
            // a task-allocator frame).
            if let report = nextBuffered() { return report }
            return await nextBatch()
        }

        /// The next report, or `nil` once the producer is closed and every report was handed out.
        @inlinable
        public mutating func next() async -> KafkaDeliveryReport? {
            if let report = nextBuffered() { return report }
            return await nextBatch()
        }

        @usableFromInline
        mutating func nextBuffered() -> KafkaDeliveryReport? {
            guard index < batch.count else { return nil }
            defer { index += 1 }
            return batch[index]
        }

        @usableFromInline
        nonisolated(nonsending) mutating func nextBatch() async -> KafkaDeliveryReport? {
            while index == batch.count {
                // NIOAsyncSequenceProducer's iterator does not throw.
                guard let next = try? await wrapped.next() else { return nil }
                batch = next
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }
}

/// NIO's sequence iterators only hold a `Sendable` class, but are not declared `Sendable`; this lets a
/// `nonisolated(nonsending)` iterator ask them for the next batch (one hop per batch, none per message).
struct SendableBatchIterator<Wrapped: AsyncIteratorProtocol>: @unchecked Sendable {
    // @unchecked: used only for NIOAsyncSequenceProducer / NIOThrowingAsyncSequenceProducer iterators, whose only
    // stored property is a final Sendable class (their storage), so moving them across isolation is safe.
    private var wrapped: Wrapped

    init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    mutating func next() async throws -> Wrapped.Element? {
        try await wrapped.next()
    }
}
