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

// The poll loop: fetching, backpressure, partition ends, the liveness watch, the start and the close. Poll thread.
extension ConsumerCore {
    func apply(_ action: ConsumerStateMachine<Waiter>.FetchAction) {
        switch action {
        case .poll, .wait: break
        case .pause(let partitions):
            logger.trace("reader saturated: pausing fetch", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            client.setPaused(true, partitions: partitions)
        case .resume(let partitions):
            logger.trace("reader caught up: resuming fetch", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            client.setPaused(false, partitions: partitions)
            // librdkafka 2.0.2's resume does not wake the broker threads, which may sleep up to 1 s.
            if restartsIdleFetch {
                restartFetch(partitions, positions: fetchWatch.withLock { $0.positions(atEpoch: currentEpoch) })
            }
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
        // With stopAtEndOfPartitions: the assignment epoch at which the end was handed over, while it stands.
        var endEpoch: UInt64? = nil
        let buffer = ConsumeBuffer()
        var stall = StallWatch()
        while state.withLock({ $0.isRunning }) {
            runCommands()
            watchForStall(&stall)
            if configuration.stopAtEndOfPartitions { endEpoch = handOverEnd(source: source, handedOverAt: endEpoch) }
            let action = state.withLock { $0.nextFetchAction(now: .now, pauseAfter: Self.pauseAfter) }
            if case .wait = action {
                // Holding back for the reader: its demand (produceMore) signals; past `pauseAfter` the next round
                // pauses fetching instead.
                signal.wait(upTo: .milliseconds(50))
                continue
            }
            if action != .poll { fetchWatch.withLock { $0.reset() } }
            apply(action)
            let batch = fetch(buffer: buffer, restart: endEpoch == nil)
            if batch.isEmpty { continue }
            for error in batch.errors {
                if error.isFatal {
                    logger.error("consumer failed: \(error)")
                    failure = error
                    requestClose()
                } else {
                    logger.warning("consumer error: \(error)")
                    eventSink.yield(.error(error))
                }
            }
            if configuration.reportPartitionEnds {
                for (partition, offset) in batch.partitionEnds {
                    eventSink.yield(.partitionEnd(partition, offset: offset))
                }
            }
            // A rebalance served by this poll may have moved the assignment off the end.
            if let epoch = endEpoch, epoch != currentEpoch {
                endEpoch = handOverEnd(source: source, handedOverAt: epoch)
            }
            // At the end every partition is paused: librdkafka hands out nothing fetched before the pause.
            guard endEpoch == nil else {
                if !batch.messages.isEmpty {
                    logger.debug("\(batch.messages.count) messages polled at the end, dropped")
                }
                continue
            }
            if !batch.messages.isEmpty {
                reader.bufferedMessages.wrappingAdd(batch.messages.count, ordering: .relaxed)
                yield(ConsumerBatch(messages: batch.messages, epoch: currentEpoch), to: source)
            }
            if configuration.stopAtEndOfPartitions { trackEnds(batch) }
        }
        finishClose(source: source, failure: failure)
    }

    /// Updates the end tracking with what a poll brought (stopAtEndOfPartitions). Poll thread.
    func trackEnds(_ batch: ConsumedBatch) {
        var next: [KafkaTopicPartition: KafkaOffset] = [:]
        batch.messages.recordNextOffsets(into: &next)
        let ownEnds = state.withLock { state in
            var ownEnds: [(KafkaTopicPartition, KafkaOffset)] = []
            for (partition, offset) in next where state.received(partition, next: offset.rawValue) {
                ownEnds.append((partition, offset))
            }
            for (partition, offset) in batch.partitionEnds {
                state.reachedEnd(partition, offset: offset.rawValue)
            }
            return ownEnds
        }
        // Ends librdkafka does not report (a partition seeked back and read to its end again).
        if configuration.reportPartitionEnds {
            for (partition, offset) in ownEnds { eventSink.yield(.partitionEnd(partition, offset: offset)) }
        }
    }

    /// With stopAtEndOfPartitions, hands the end over once every assigned partition was read to its end, and
    /// takes it back when a seek or a rebalance moved the assignment since. The end is a marker after the last
    /// message: the loop ends there only if the assignment did not move meanwhile (seen from the loop), and the
    /// poll thread goes on serving commands, so a seek made while the loop works through what was buffered before
    /// the end is carried out, not lost. Returns the epoch of the end handed over, or `nil`. Poll thread.
    func handOverEnd(source: Source, handedOverAt endEpoch: UInt64?) -> UInt64? {
        let epoch = currentEpoch
        if endEpoch == epoch { return endEpoch }
        let (allAtEnd, action) = state.withLock { state -> (Bool, ConsumerStateMachine<Waiter>.FetchAction) in
            guard endEpoch != nil, !state.allAtEnd else { return (state.allAtEnd, .poll) }
            return (false, state.resumeAfterEnd())
        }
        guard allAtEnd else {
            if endEpoch != nil {
                logger.debug("reading on past the end: a seek or a rebalance moved the assignment")
                apply(action)
            }
            return nil
        }
        logger.debug("every assigned partition read to its end")
        if endEpoch == nil { apply(state.withLock { $0.pauseAtEnd() }) }
        endsHandedOver.wrappingAdd(1, ordering: .relaxed)
        yield(ConsumerBatch(messages: [], epoch: epoch, isEnd: true), to: source)
        return epoch
    }

    /// Hands `batch` to the loop, and holds fetching back when its buffer is full. Poll thread.
    func yield(_ batch: ConsumerBatch, to source: Source) {
        let demand = state.withLock { $0.demandGeneration }
        switch source.yield(batch) {
        case .produceMore: break
        case .stopProducing: stopProducing(seenDemand: demand)
        case .dropped: requestClose()
        }
    }

    /// Takes the next batch from librdkafka: what is ready (up to the buffer's batch size), or, for
    /// ``KafkaConsumer/batches(maxCount:maxWait:)``, up to its count, waiting up to its time after the first message.
    func fetch(buffer: ConsumeBuffer, restart: Bool) -> ConsumedBatch {
        func take(timeoutMilliseconds: Int32, maxCount: Int) -> ConsumedBatch {
            let batch = client.consumeBatch(
                timeoutMilliseconds: timeoutMilliseconds,
                maxCount: maxCount,
                buffer: buffer
            )
            guard restartsIdleFetch else { return batch }
            let epoch = currentEpoch
            let positions: [KafkaTopicPartition: KafkaOffset]? = fetchWatch.withLock { watch in
                watch.took(batch.messages, epoch: epoch)
                let stopped = watch.observe(
                    taken: batch.messages.count,
                    takenBytes: batch.payloadBytes,
                    remaining: batch.remaining
                )
                return stopped && restart ? watch.positions(atEpoch: epoch) : nil
            }
            if let positions, restartFetch(state.withLock { $0.restartablePartitions }, positions: positions) {
                fetchRestarts.wrappingAdd(1, ordering: .relaxed)
            }
            return batch
        }
        let timeout = restartsIdleFetch ? fetchWatch.withLock { $0.pollTimeoutMilliseconds } : 100
        guard let target = state.withLock({ $0.batchTarget }) else {
            return take(timeoutMilliseconds: timeout, maxCount: configuration.buffer.batchSize)
        }
        var batch = take(timeoutMilliseconds: timeout, maxCount: target.count)
        guard !batch.messages.isEmpty else { return batch }
        let deadline = ContinuousClock.now.advanced(by: target.wait)
        while batch.messages.count < target.count, batch.errors.isEmpty {
            let left = deadline - .now
            guard left > .zero else { break }
            let more = take(
                timeoutMilliseconds: min(Self.milliseconds(left), 100),
                maxCount: target.count - batch.messages.count
            )
            batch.messages += more.messages
            batch.partitionEnds += more.partitionEnds
            batch.errors += more.errors
            // A rebalance or a command must not wait for the batch to fill.
            if state.withLock({ !$0.isRunning || !$0.commands.isEmpty }) { break }
        }
        return batch
    }

    /// Wakes fetching that librdkafka left idle (see ``FetchBackoffWatch``): seeks each of `candidates` that
    /// has a position (the offset after the last message taken since the assignment last changed) and is not at
    /// its end, to that position. A seek to a concrete offset is what wakes a broker thread in librdkafka 2.0.2
    /// (a resume does not), and the thread then looks at every partition it fetches. With the queue empty
    /// nothing is dropped; a fetch response that lands meanwhile is discarded by the seek and fetched again from
    /// the position. A partition without position is left alone (its broker thread wakes with the other
    /// partitions it leads).
    /// Returns whether it seeked any partition.
    @discardableResult
    func restartFetch(_ candidates: [KafkaTopicPartition], positions: [KafkaTopicPartition: KafkaOffset])
        -> Bool
    {
        let seeks: [(KafkaTopicPartition, KafkaOffset)] = candidates.compactMap { partition in
            guard let position = positions[partition] else { return nil }
            if let watermarks = client.cachedWatermarks(partition), watermarks.high.rawValue <= position.rawValue {
                return nil  // at its end: nothing to fetch
            }
            return (partition, position)
        }
        guard !seeks.isEmpty else { return false }
        logger.debug(
            "restarting fetch left idle by librdkafka",
            metadata: [
                KafkaLoggingKeys.partitions:
                    "\(seeks.count) of \(candidates.count) (\(positions.count) with a position)"
            ]
        )
        do {
            try client.seek(seeks, timeoutMilliseconds: 0)
            return true
        } catch {
            logger.debug("restarting fetch: \(error)")
            return false
        }
    }

    /// Keeps Kafka's liveness contract: a member whose loop holds one message longer than `max.poll.interval.ms`
    /// leaves its group (reported as ``KafkaConsumerEvent/pollIntervalExceeded(_:)``, then the revocation), so its
    /// partitions move to the other members; it rejoins once the loop asks for its next message. What the loop
    /// finished with is stored before it leaves; the message in its hands is not. Without a group the stall is
    /// only reported.
    ///
    /// librdkafka's own `max.poll.interval.ms` check never fires: this thread polls all along, to serve
    /// rebalances, commands and logs while the loop works.
    func watchForStall(_ watch: inout StallWatch) {
        let now = ContinuousClock.now
        let progress = reader.handedOut.load(ordering: .relaxed)
        if reader.waiting.load(ordering: .relaxed) || progress != watch.progress {
            watch = StallWatch(progress: progress, since: now)
            if state.withLock({ $0.loopMovedOn() }), case .group(_, let topics) = configuration.consumptionStrategy.kind
            {
                logger.info("the messages loop moved on: rejoining the group")
                do {
                    try client.subscribe(topics: topics)
                } catch {
                    logger.error("rejoining the group failed: \(error)")
                    eventSink.yield(.error(error))
                }
            }
            return
        }
        let held = now - watch.since
        guard !watch.reported, held > configuration.maxPollInterval else { return }
        watch.reported = true
        let inGroup = configuration.consumptionStrategy.groupID != nil
        let leaving = inGroup ? ": leaving the group until it asks for the next one" : ""
        logger.warning(
            "the messages loop has held a message for \(held) (max.poll.interval.ms \(configuration.maxPollInterval))\(leaving)"
        )
        eventSink.yield(.pollIntervalExceeded(held))
        guard inGroup, state.withLock({ $0.loopStalled() }) else { return }
        reader.storeFinished(closing: false)
        do {
            try client.unsubscribe()
        } catch {
            logger.error("leaving the group failed: \(error)")
            eventSink.yield(.error(error))
        }
    }

    func start() throws(KafkaError) {
        switch configuration.consumptionStrategy.kind {
        case .group(let id, let topics):
            logger.debug(
                "subscribing",
                metadata: [KafkaLoggingKeys.groupID: "\(id)", KafkaLoggingKeys.topic: "\(topics)"]
            )
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

    func assign(_ list: [(KafkaTopicPartition, KafkaOffset)]) throws(KafkaError) {
        logger.debug("assigning", metadata: [KafkaLoggingKeys.partitions: "\(list.map(\.0))"])
        try client.assign(list)
        notified(.assigned(list.map(\.0)))
    }

    /// Looks up a topic's partition count, retrying while the cluster has no leader for it yet.
    func partitionCount(of topic: String) throws(KafkaError) -> Int {
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
            case .failure(let error)
            where error.code == .unknownTopicOrPartition && ContinuousClock.now < unknownTopicGrace:
                logger.debug("topic \(topic) not known yet: \(error)")
                Self.sleep(milliseconds: 200)
            case .failure(let error) where error.isRetriable && error.code != .unknownTopicOrPartition:
                logger.debug("metadata for \(topic) not ready: \(error)")
            case .failure(let error):
                throw error
            }
            guard state.withLock({ $0.isRunning }) else { throw KafkaError.shutdown("partition lookup") }
            guard ContinuousClock.now < deadline else {
                var message = "no metadata for topic \(topic) within 30 s"
                if let hint = client.callbacks.connectionFailureHint(within: .seconds(35)) {
                    message += "; the brokers could not be reached: \(hint)"
                }
                throw KafkaError(code: .timedOut, message: message, topic: topic)
            }
        }
    }

    /// Sleeps the poll thread (never a task: this runs on the library's own thread).
    static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1_000, tv_nsec: (milliseconds % 1_000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }

    func finishClose(source: Source, failure: (any Error)?) {
        logger.debug("closing consumer")
        // The loop gets no further message (what it took now could not be committed any more); then what it
        // finished with is stored. In this order a message the loop takes meanwhile counts as in its hands.
        let assignedAtClose = state.withLock { $0.assigned }
        updateFilter { $0.revoke(Array(assignedAtClose)) }
        reader.storeFinished(closing: true)
        client.guard.closeAndWait()
        runCommands()  // e.g. a commit asked for just before the close
        // Revoke (events, hook) before rd_kafka_consumer_close: inside it, the group coordinator no longer answers
        // the hook's committed-offset queries.
        let assigned = state.withLock { $0.assigned }
        var outcome: KafkaError? = nil
        if configuration.consumptionStrategy.groupID != nil, !assigned.isEmpty {
            let partitions = assigned.sorted { ($0.topic, $0.partition.rawValue) < ($1.topic, $1.partition.rawValue) }
            state.withLock { $0.revoked(partitions) }
            eventSink.yield(.revoked(partitions))
            outcome = runHook(\.onRevoked, partitions)  // bounded by the close's deadline too
        }
        state.withLock { $0.closeRevoked() }
        let deadline = state.withLock { $0.closeDeadline } ?? .now.advanced(by: configuration.closeTimeout)
        let closeError = client.closeConsumer(deadline: deadline)
        if let closeError {
            logger.warning("consumer close: \(closeError)")
            if outcome == nil { outcome = closeError }
        }
        // Commands that came while librdkafka closed the consumer are not run: it answers no group request any more,
        // so a commit run now would wait for its whole deadline. They fail at once (what the loop finished with was
        // committed by the close).
        for command in state.withLock({ $0.closeCommands() }) { command.fail() }
        reader.releaseBatch()
        let finishWaits = { [self] in
            eventSink.finish()
            // The observer closure holds this core (core -> client -> callbacks -> observer): break the cycle.
            self.client.callbacks.removeObserver()
            // What is still buffered is of partitions revoked above (the loop would drop it): dropping it now frees
            // its librdkafka messages, and so the handle, even if the loop never asks again.
            source.finish(failure, discardingBuffered: true)
            let waiters = state.withLock { $0.closed() }
            for waiter in waiters { waiter.resume(returning: outcome) }
        }
        // A close cut short leaves librdkafka's group handling running: its destroy then waits for the group's
        // requests to time out (about 50 s with the coordinator gone). Nobody waits for that.
        if closeError != nil { finishWaits() }
        // librdkafka requires every message destroyed before the handle: the destroy waits for the last
        // message the application (or the sequence's buffer) still holds. Destroying is blocking, so it never
        // runs on the thread that dropped that message (maybe one of Swift's cooperative pool).
        let client = self.client
        let logger = self.logger
        if client.leases.deferUntilReleased({ Self.destroyOnOwnThread(client, logger: logger) }) {
            logger.debug("consumer closed; its handle is freed once the messages still held are released")
        } else {
            client.destroy()
        }
        if closeError == nil { finishWaits() }
        logger.debug("consumer closed")
    }
}

extension ConsumerCore {
    /// Destroys `client` on a thread of its own (destroying blocks), or here if no thread can be started.
    static func destroyOnOwnThread(_ client: RDKafkaClient, logger: Logger) {
        do {
            try KafkaThread.detach(name: "kafka-destroy") { client.destroy() }
        } catch {
            logger.warning("\(error); destroying the consumer's handle on the calling thread")
            client.destroy()
        }
    }
}

struct StallWatch {
    var progress: UInt64 = 0
    var since: ContinuousClock.Instant = .now
    var reported = false
}
