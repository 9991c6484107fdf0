import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The state a consumer shares between its actor, its message sequence and its poll thread.
///
/// Threads: the poll thread does every librdkafka call: it subscribes or assigns, polls the consumer queue
/// (`rd_kafka_consumer_poll`, 100 ms, then `rd_kafka_consume_batch_queue` without waiting for the rest of the
/// batch), serves rebalance, log and error callbacks, pauses and resumes fetching, and on close runs
/// `rd_kafka_consumer_close` (commit, leave the group) and `rd_kafka_destroy`. Other threads only change the state
/// machine and wake it.
final class ConsumerCore: Sendable {
    typealias Waiter = CheckedContinuation<Void, Never>
    typealias Source = KafkaConsumerMessages.Producer.Source

    let client: RDKafkaClient
    let configuration: KafkaConsumerConfiguration
    let logger: Logger
    private let state = Mutex(ConsumerStateMachine<Waiter>())

    init(client: RDKafkaClient, configuration: KafkaConsumerConfiguration) {
        self.client = client
        self.configuration = configuration
        self.logger = client.logger
    }

    // MARK: Any thread

    func produceMore() {
        if state.withLock({ $0.produceMore() }) { client.wakeUp() }
    }

    func stopProducing() {
        _ = state.withLock { $0.stopProducing(now: .now) }
    }

    /// Stores, per partition, the offset after the last of `messages`: they were processed (at-least-once).
    /// Runs on the reader's task; one non-blocking `rd_kafka_offsets_store` per call.
    func markProcessed(_ messages: ArraySlice<KafkaConsumerMessage>) {
        guard configuration.consumptionStrategy.groupID != nil, let first = messages.first else { return }
        // Offsets rise within a partition, and batches come in runs of one partition: keep the last of each run.
        var next: [KafkaTopicPartition: KafkaOffset] = [:]
        var run = first
        for message in messages.dropFirst() {
            if message.partition != run.partition || message.topic != run.topic {
                next[KafkaTopicPartition(topic: run.topic, partition: run.partition)] = KafkaOffset(rawValue: run.offset.rawValue + 1)
            }
            run = message
        }
        next[KafkaTopicPartition(topic: run.topic, partition: run.partition)] = KafkaOffset(rawValue: run.offset.rawValue + 1)
        client.storeOffsets(next.map { ($0.key, $0.value) })
    }

    func requestClose() {
        if case .startClose = state.withLock({ $0.close(nil) }) { client.wakeUp() }
    }

    func close() async {
        await withCheckedContinuation { (continuation: Waiter) in
            switch state.withLock({ $0.close(continuation) }) {
            case .startClose: client.wakeUp()
            case .wait: break  // never wake during close: a yield would cut rd_kafka_consumer_close's wait short
            case .resume: continuation.resume()
            }
        }
    }

    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: Waiter) in
            if !state.withLock({ $0.waitUntilClosed(continuation) }) { continuation.resume() }
        }
    }

    // MARK: Poll thread

    /// Called from librdkafka's rebalance callback, on the poll thread.
    func rebalanced(_ notification: RebalanceNotification) {
        switch notification {
        case .assigned(let partitions):
            let action = state.withLock { $0.assigned(partitions) }
            apply(action)
        case .revoked(let partitions), .lost(let partitions):
            state.withLock { $0.revoked(partitions) }
        }
    }

    private func apply(_ action: ConsumerStateMachine<Waiter>.FetchAction) {
        switch action {
        case .poll, .wait: break
        case .pause(let partitions):
            logger.trace("reader saturated: pausing fetch", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            client.setPaused(true, partitions: partitions)
        case .resume(let partitions):
            logger.trace("reader caught up: resuming fetch", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            client.setPaused(false, partitions: partitions)
        }
    }

    /// How long the reader may stay behind before fetching is paused (until then, fetched messages wait in
    /// librdkafka's bounded queue).
    static let pauseAfter: Duration = .seconds(1)

    func runPollLoop(source: Source) {
        var failure: (any Error)? = nil
        do {
            try start()
        } catch {
            failure = error
            requestClose()
        }
        var reachedEnd = false
        let buffer = ConsumeBuffer()
        let batchSize = configuration.buffer.batchSize
        while state.withLock({ $0.isRunning }) {
            let action = state.withLock { $0.nextFetchAction(now: .now, pauseAfter: Self.pauseAfter) }
            if case .wait = action {
                Self.sleep(milliseconds: 1)
                continue
            }
            apply(action)
            let batch = client.consumeBatch(timeoutMilliseconds: 100, maxCount: batchSize, buffer: buffer)
            if batch.isEmpty { continue }
            for error in batch.errors {
                if error.isFatal {
                    logger.error("consumer failed: \(error)")
                    failure = error
                    requestClose()
                } else {
                    logger.warning("consumer error: \(error)")
                }
            }
            if !batch.messages.isEmpty && !reachedEnd {
                switch source.yield(contentsOf: CollectionOfOne(batch.messages)) {
                case .produceMore: break
                case .stopProducing: stopProducing()
                case .dropped: requestClose()
                }
            }
            if configuration.stopAtEndOfPartitions && !reachedEnd {
                var allAtEnd = false
                state.withLock { state in
                    for message in batch.messages {
                        state.received(KafkaTopicPartition(topic: message.topic, partition: message.partition))
                    }
                    for (partition, _) in batch.partitionEnds {
                        allAtEnd = state.reachedEnd(partition)
                    }
                }
                if allAtEnd {
                    // End the sequence after what is buffered, and stop fetching; the close follows when the
                    // reader has taken the last message (didTerminate), so its offsets are committed.
                    logger.debug("every assigned partition read to its end")
                    source.finish()
                    reachedEnd = true
                    client.setPaused(true, partitions: state.withLock { $0.assigned.sorted { $0.partition < $1.partition } })
                }
            }
        }
        finishClose(source: source, failure: failure)
    }

    private func start() throws(KafkaError) {
        switch configuration.consumptionStrategy.kind {
        case .group(let id, let topics):
            logger.debug("subscribing", metadata: [KafkaLoggingKeys.groupID: "\(id)", KafkaLoggingKeys.topic: "\(topics)"])
            try client.subscribe(topics: topics)
        case .partitions(let partitions):
            let list = partitions.map { ($0.key, $0.value) }
            try assign(list)
        case .topics(let topics, let offset):
            var list: [(KafkaTopicPartition, KafkaOffset)] = []
            for topic in topics {
                let count = try partitionCount(of: topic)
                for p in 0..<count {
                    list.append((KafkaTopicPartition(topic: topic, partition: KafkaPartition(p)), offset))
                }
            }
            try assign(list)
        }
    }

    private func assign(_ list: [(KafkaTopicPartition, KafkaOffset)]) throws(KafkaError) {
        logger.debug("assigning", metadata: [KafkaLoggingKeys.partitions: "\(list.map(\.0))"])
        try client.assign(list)
        rebalanced(.assigned(list.map(\.0)))
    }

    /// Looks up a topic's partition count, retrying while the cluster has no leader for it yet.
    private func partitionCount(of topic: String) throws(KafkaError) -> Int {
        let start = ContinuousClock.now
        let deadline = start.advanced(by: .seconds(30))
        // A topic created a moment ago may not be known to every broker yet: give it a few seconds.
        let unknownTopicGrace = start.advanced(by: .seconds(5))
        while true {
            switch client.partitionCount(topic: topic, timeoutMilliseconds: 1_000) {
            case .success(let count) where count > 0:
                return count
            case .success:
                break
            case .failure(let error) where error.code == .unknownTopicOrPartition && ContinuousClock.now < unknownTopicGrace:
                logger.debug("topic \(topic) not known yet: \(error)")
                Self.sleep(milliseconds: 200)
            case .failure(let error) where error.isRetriable && error.code != .unknownTopicOrPartition:
                logger.debug("metadata for \(topic) not ready: \(error)")
            case .failure(let error):
                throw error
            }
            guard state.withLock({ $0.isRunning }) else { throw KafkaError.shutdown("partition lookup") }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .timedOut, message: "no metadata for topic \(topic) within 30 s", topic: topic)
            }
        }
    }

    /// Sleeps the poll thread (never a task: this runs on the library's own thread).
    private static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1_000, tv_nsec: (milliseconds % 1_000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }

    private func finishClose(source: Source, failure: (any Error)?) {
        logger.debug("closing consumer")
        client.guard.closeAndWait()
        if let error = client.closeConsumer() {
            logger.warning("consumer close: \(error)")
        }
        client.destroy()
        // The observer closure holds this core (core -> client -> callbacks -> observer): break the cycle.
        client.callbacks.removeRebalanceObserver()
        if let failure {
            source.finish(failure)
        } else {
            source.finish()
        }
        let waiters = state.withLock { $0.closed() }
        for waiter in waiters { waiter.resume() }
        logger.debug("consumer closed")
    }
}
