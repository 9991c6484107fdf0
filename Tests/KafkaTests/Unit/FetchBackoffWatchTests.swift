import Testing

@testable import Kafka

private func message(_ topic: String, _ partition: Int32, _ offset: Int64) -> KafkaConsumerMessage {
    KafkaConsumerMessage(
        topic: topic,
        partition: KafkaPartition(rawValue: partition),
        offset: KafkaOffset(rawValue: offset),
        key: nil,
        value: nil
    )
}

/// `#expect` cannot call a mutating method on a local.
private func observe(_ watch: inout FetchBackoffWatch, taken: Int, takenBytes: Int, remaining: Int) -> Bool {
    watch.observe(taken: taken, takenBytes: takenBytes, remaining: remaining)
}

@Suite("FetchBackoffWatch")
struct FetchBackoffWatchTests {
    @Test("no restart while the queue never came near a limit, however empty it gets")
    func quietQueue() {
        var watch = FetchBackoffWatch(messageLimit: 1_000, byteLimit: 1_000_000)
        #expect(!observe(&watch, taken: 500, takenBytes: 50_000, remaining: 300))
        #expect(!observe(&watch, taken: 300, takenBytes: 30_000, remaining: 0))
        #expect(!observe(&watch, taken: 0, takenBytes: 0, remaining: 0))
        #expect(watch.pollTimeoutMilliseconds == 100)
    }

    @Test("near the message limit: polls briefly, restarts once on the first poll that finds nothing")
    func messageLimit() {
        var watch = FetchBackoffWatch(messageLimit: 1_000, byteLimit: 1_000_000_000)
        #expect(!observe(&watch, taken: 100, takenBytes: 1_000, remaining: 850))  // 950 queued: within a tenth
        #expect(watch.pollTimeoutMilliseconds == 10)
        #expect(!observe(&watch, taken: 850, takenBytes: 8_500, remaining: 0))  // drained, but messages came
        #expect(!observe(&watch, taken: 0, takenBytes: 0, remaining: 3))  // events left in the queue
        #expect(observe(&watch, taken: 0, takenBytes: 0, remaining: 0))  // fetching stopped
        #expect(!observe(&watch, taken: 0, takenBytes: 0, remaining: 0))  // once
        #expect(watch.pollTimeoutMilliseconds == 100)
    }

    @Test("near the byte limit, estimated from the messages taken")
    func byteLimit() {
        var watch = FetchBackoffWatch(messageLimit: 100_000, byteLimit: 1_000_000)
        // 100 taken of 1,000 B each, 800 left: ~900,000 B queued, at the limit's nine tenths.
        #expect(!observe(&watch, taken: 100, takenBytes: 100_000, remaining: 800))
        #expect(watch.nearLimitSeen)
        var small = FetchBackoffWatch(messageLimit: 100_000, byteLimit: 1_000_000)
        #expect(!observe(&small, taken: 100, takenBytes: 10_000, remaining: 800))  // ~90,000 B
        #expect(!small.nearLimitSeen)
    }

    @Test("a pause or resume forgets the near-limit sighting")
    func reset() {
        var watch = FetchBackoffWatch(messageLimit: 10, byteLimit: 1_000_000)
        _ = watch.observe(taken: 10, takenBytes: 10, remaining: 0)
        watch.reset()
        #expect(!observe(&watch, taken: 0, takenBytes: 0, remaining: 0))
    }

    @Test("positions: the offset after the last message taken per partition, dropped when the epoch moves")
    func positions() {
        var watch = FetchBackoffWatch(messageLimit: 10, byteLimit: 10)
        watch.took(
            [message("a", 0, 5), message("a", 0, 6), message("a", 1, 9), message("b", 0, 2), message("a", 0, 7)],
            epoch: 3
        )
        let a0 = KafkaTopicPartition(topic: "a", partition: 0)
        let a1 = KafkaTopicPartition(topic: "a", partition: 1)
        let b0 = KafkaTopicPartition(topic: "b", partition: 0)
        #expect(
            watch.positions(atEpoch: 3) == [
                a0: KafkaOffset(rawValue: 8), a1: KafkaOffset(rawValue: 10), b0: KafkaOffset(rawValue: 3),
            ]
        )
        #expect(watch.positions(atEpoch: 4).isEmpty)  // a seek or rebalance since: librdkafka's place is unknown
        watch.took([message("a", 1, 0)], epoch: 4)
        #expect(watch.positions(atEpoch: 4) == [a1: KafkaOffset(rawValue: 1)])
        watch.took([], epoch: 5)
        #expect(watch.positions(atEpoch: 5).isEmpty)
    }

    @Test("the limits the watch assumes: librdkafka's defaults, the typed fields, an override over both")
    func limits() {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: ["b:1"],
            consumptionStrategy: .group(id: "g", topics: ["t"])
        )
        #expect(config.effectivePrefetchLimits.messages == 100_000)
        #expect(config.effectivePrefetchLimits.bytes == 64 * 1024 * 1024)
        config.fetch.prefetchMessages = 500_000
        config.fetch.prefetchBytes = 100 * 1024 * 1024 + 1
        #expect(config.effectivePrefetchLimits.messages == 500_000)
        #expect(config.effectivePrefetchLimits.bytes == 102_401 * 1024)
        config.librdkafkaOverrides["queued.min.messages"] = "7000"
        #expect(config.effectivePrefetchLimits.messages == 7_000)
    }
}
