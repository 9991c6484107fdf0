internal import CLibrdkafka
import Logging

extension RDKafkaClient {
    /// Creates a consumer handle that never subscribes or assigns, runs `body` with it on a thread of the library's
    /// own (off Swift's cooperative pool), and destroys it there. For one-off queries: metadata, watermarks, offsets
    /// for times, a group's committed offsets.
    static func withTemporaryConsumer<T: Sendable>(
        properties: LibrdkafkaProperties,
        logger: Logger,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await withTemporaryClient(kind: .consumer, properties: properties, logger: logger, body)
    }

    /// Creates a handle of `kind` (its log lines go to `logger`), runs `body` with it on a thread of the library's
    /// own (off Swift's cooperative pool), and destroys it there.
    static func withTemporaryClient<T: Sendable>(
        kind: Kind,
        properties: LibrdkafkaProperties,
        logger: Logger,
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            do {
                try KafkaThread.detach(name: "kafka-admin") {
                    let result: Result<T, KafkaError>
                    do throws(KafkaError) {
                        let client = try RDKafkaClient.make(kind: kind, properties: properties, logger: logger)
                        result = Result { () throws(KafkaError) -> T in try body(client) }
                        client.serveQueuedLogs()
                        client.guard.closeAndWait()
                        client.destroy()
                    } catch {
                        result = .failure(error)
                    }
                    continuation.resume(with: result.mapError { $0 as any Error })
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Serves what is queued without waiting (log lines, errors), dropping messages and delivery reports.
    private func serveQueuedLogs() {
        switch kind {
        case .consumer:
            while let message = rd_kafka_consumer_poll(pointer, 0) {
                rd_kafka_message_destroy(message)
            }
        case .producer:
            while let event = rd_kafka_queue_poll(queue, 0) {
                defer { rd_kafka_event_destroy(event) }
                _ = callbacks.serveLogOrError(event, rk: pointer)
            }
        }
    }
}
