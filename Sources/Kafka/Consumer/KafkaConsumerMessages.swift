import NIOCore

/// The messages a ``KafkaConsumer`` reads, as an `AsyncSequence` with backpressure.
///
/// Messages are handed over from librdkafka in batches; the iterator returns them one by one. When the loop
/// falls behind (``KafkaConsumerConfiguration/Buffer/highWatermark`` batches waiting), the consumer pauses
/// fetching until the loop catches up, so memory stays bounded whatever the lag.
///
/// - Important: Iterate it once. Leaving the loop (`break`, an error, task cancellation) closes the consumer:
///   it commits what it stored and leaves the group.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    public typealias Failure = any Error

    typealias Producer = NIOThrowingAsyncSequenceProducer<
        [KafkaConsumerMessage],
        any Error,
        NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        ConsumerDemand
    >

    let wrapped: Producer

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(wrapped: wrapped.makeAsyncIterator())
    }

    /// Returns the consumer's messages one by one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var wrapped: Producer.AsyncIterator
        private var batch: [KafkaConsumerMessage] = []
        private var index = 0

        init(wrapped: Producer.AsyncIterator) {
            self.wrapped = wrapped
        }

        /// The next message; `nil` once the consumer is closed (or, with
        /// ``KafkaConsumerConfiguration/stopAtEndOfPartitions``, every partition was read to its end).
        /// - Throws: a fatal ``KafkaError`` that stopped the consumer.
        public mutating func next() async throws -> KafkaConsumerMessage? {
            while index == batch.count {
                guard let next = try await wrapped.next() else { return nil }
                batch = next
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }
}

/// Turns the reader's demand into fetch pauses and resumes, and the end of iteration into a close.
struct ConsumerDemand: NIOAsyncSequenceProducerDelegate {
    let core: ConsumerCore

    func produceMore() {
        core.produceMore()
    }

    func didTerminate() {
        core.requestClose()
    }
}
