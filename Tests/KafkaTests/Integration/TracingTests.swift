import InMemoryTracing
import Kafka
import KafkaTesting
import Synchronization
import Testing
import Tracing

/// Distributed tracing through a broker: producer spans whose context travels in the headers, consumer spans that
/// continue it, one trace id from the request that sent a message to the work done on it.
@Suite("Distributed tracing through a broker", .timeLimit(.minutes(2)))
struct TracingTests {
    func consumer(_ cluster: any KafkaTestCluster, _ topic: String, tracer: InMemoryTracer) throws -> KafkaConsumer {
        var config = KafkaConsumerConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            consumptionStrategy: .partitions([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        )
        config.stopAtEndOfPartitions = true
        config.clientID = "traced-consumer"
        config.tracing = KafkaConfiguration.Tracing(tracer: tracer)
        return try KafkaConsumer(configuration: config, logger: testLogger)
    }

    func string(_ span: FinishedInMemorySpan, _ key: String) -> String? {
        if case .string(let value)? = span.attributes.get(key) { return value }
        return nil
    }

    func int(_ span: FinishedInMemorySpan, _ key: String) -> Int64? {
        if case .int64(let value)? = span.attributes.get(key) { return value }
        return nil
    }

    @Test("a trace crosses send and processing with one trace id: request → send span → process span → work")
    func crossesTheBroker() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("traced")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let tracer = InMemoryTracer()
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.clientID = "traced-producer"
            config.tracing = KafkaConfiguration.Tracing(tracer: tracer, recordsKeys: true)
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let request = tracer.startSpan("request", context: .topLevel, ofKind: .server)
            try await ServiceContext.$current.withValue(request.context) {
                for i in 0..<5 {
                    _ = try await producer.send(
                        KafkaProducerMessage(topic: topic, partition: 0, key: "k\(i)", value: "v\(i)")
                    )
                }
            }
            request.end()
            await producer.close()

            let consumer = try consumer(cluster, topic, tracer: tracer)
            var processed = 0
            for try await message in consumer.messages {
                try await consumer.withProcessingSpan(of: message) { _ in
                    // Work inside joins the trace through ServiceContext.current.
                    let work = tracer.startSpan("work", context: ServiceContext.current ?? .topLevel)
                    work.end()
                    processed += 1
                }
            }
            #expect(processed == 5)

            let spans = tracer.finishedSpans
            let sends = spans.filter { $0.operationName == "send \(topic)" }
            let processes = spans.filter { $0.operationName == "process \(topic)" }
            let works = spans.filter { $0.operationName == "work" }
            #expect(sends.count == 5)
            #expect(processes.count == 5)
            #expect(works.count == 5)
            // One trace id from the request to every piece of work.
            let requestSpan = try #require(spans.first { $0.operationName == "request" })
            #expect(Set(spans.map(\.traceID)) == [requestSpan.traceID])
            for send in sends {
                #expect(send.kind == .producer)
                #expect(send.parentSpanID == requestSpan.spanID)
                #expect(string(send, "messaging.system") == "kafka")
                #expect(string(send, "messaging.destination.name") == topic)
                #expect(string(send, "messaging.client.id") == "traced-producer")
                #expect(string(send, "messaging.destination.partition.id") == "0")
                #expect(send.errors.isEmpty)
            }
            #expect(sends.compactMap { int($0, "messaging.kafka.offset") }.sorted() == [0, 1, 2, 3, 4])
            #expect(sends.compactMap { string($0, "messaging.kafka.message.key") }.sorted() == (0..<5).map { "k\($0)" })
            // Each process span is a child of the send span of the same message (matched by offset).
            for process in processes {
                #expect(process.kind == .consumer)
                let offset = int(process, "messaging.kafka.offset")
                let send = try #require(sends.first { int($0, "messaging.kafka.offset") == offset })
                #expect(process.parentSpanID == send.spanID)
                #expect(string(process, "messaging.client.id") == "traced-consumer")
            }
            for work in works {
                #expect(processes.contains { $0.spanID == work.parentSpanID })
            }
        }
    }

    @Test(
        "fire-and-forget sends are traced too, each span ended by its delivery report; the report stream is unchanged"
    )
    func fireAndForget() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("traced-enqueue")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let tracer = InMemoryTracer()
            var config = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
            config.tracing = KafkaConfiguration.Tracing(tracer: tracer)
            config.deliveryReports = .failuresOnly
            let producer = try KafkaProducer(configuration: config, logger: testLogger)
            let reports = Task {
                var count = 0
                for await _ in producer.deliveryReports { count += 1 }
                return count
            }
            for i in 0..<10 {
                _ = try await producer.enqueue(KafkaProducerMessage(topic: topic, partition: 0, value: "e\(i)"))
            }
            _ = try await producer.enqueue(
                contentsOf: (10..<20).map { KafkaProducerMessage(topic: topic, partition: 0, value: "e\($0)") }
            )
            try await producer.flush(timeout: .seconds(30))
            try await waitUntil("20 spans ended") { tracer.finishedSpans.count == 20 }
            await producer.close()
            let offsets = tracer.finishedSpans.compactMap { int($0, "messaging.kafka.offset") }.sorted()
            #expect(offsets == (0..<20).map(Int64.init))
            #expect(tracer.activeSpans.isEmpty)
            // Failures only: the spans needed the successes, the stream still gets none.
            #expect(await reports.value == 0)
        }
    }

    @Test("a send that fails ends its span with the error")
    func failedSend() async throws {
        let tracer = InMemoryTracer()
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        config.messageTimeout = .milliseconds(300)
        config.tracing = KafkaConfiguration.Tracing(tracer: tracer)
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: "nowhere", value: "lost"))
        }
        await producer.close()
        let span = try #require(tracer.finishedSpans.first)
        #expect(span.errors.count == 1)
        #expect(span.status?.code == .error)
        #expect(string(span, "error.type") != nil)
    }

    @Test("a fire-and-forget send that fails ends its span with the error, and the report stream gets the failure")
    func failedEnqueue() async throws {
        let tracer = InMemoryTracer()
        var config = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        config.messageTimeout = .milliseconds(300)
        config.tracing = KafkaConfiguration.Tracing(tracer: tracer)
        config.deliveryReports = .failuresOnly
        let producer = try KafkaProducer(configuration: config, logger: quietLogger)
        let reports = Task {
            var failures: [KafkaProducerMessageID] = []
            for await report in producer.deliveryReports {
                if case .failure = report.result { failures.append(report.id) }
            }
            return failures
        }
        let id = try await producer.enqueue(KafkaProducerMessage(topic: "nowhere", value: "lost"))
        try await waitUntil("the span ended") { tracer.finishedSpans.count == 1 }
        await producer.close()
        let failures = await reports.value
        #expect(failures == [id], "failures \(failures), id \(id)")
        let span = try #require(tracer.finishedSpans.first)
        #expect(span.errors.count == 1)
        #expect(span.status?.code == .error)
        #expect(tracer.activeSpans.isEmpty)
    }

    @Test("a trace context another client put in the headers is continued; a batch span links every message")
    func foreignContext() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("traced-foreign")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            // A producer without tracing, writing the propagation headers as another client's tracer would.
            let plain = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            for i in 0..<3 {
                _ = try await plain.send(
                    KafkaProducerMessage(
                        topic: topic,
                        partition: 0,
                        value: "from elsewhere \(i)",
                        headers: [
                            KafkaHeader(key: InMemoryTracer.traceIDKey, value: "foreign-trace"),
                            KafkaHeader(key: InMemoryTracer.spanIDKey, value: "foreign-span-\(i)"),
                        ]
                    )
                )
            }
            _ = try await plain.send(KafkaProducerMessage(topic: topic, partition: 0, value: "no context"))
            await plain.close()

            let tracer = InMemoryTracer()
            let consumer = try consumer(cluster, topic, tracer: tracer)
            var messages: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                messages.append(message)
                if messages.count <= 3 {
                    try await consumer.withProcessingSpan(of: message) { _ in }
                }
            }
            #expect(messages.count == 4)
            try await consumer.withProcessingSpan(ofBatch: messages) { _ in }
            let processes = tracer.finishedSpans.filter { $0.operationName == "process \(topic)" }
            #expect(processes.count == 4)
            let single = processes.filter { int($0, "messaging.batch.message_count") == nil }
            #expect(single.map(\.traceID) == ["foreign-trace", "foreign-trace", "foreign-trace"])
            #expect(
                single.compactMap(\.parentSpanID).sorted() == ["foreign-span-0", "foreign-span-1", "foreign-span-2"]
            )
            let batch = try #require(processes.first { int($0, "messaging.batch.message_count") == 4 })
            // The message without a context has no link.
            #expect(batch.links.count == 3)
        }
    }

    @Test("without tracing, a send adds no header and the tracer sees nothing")
    func off() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("untraced")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let tracer = InMemoryTracer()
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            let request = tracer.startSpan("request", context: .topLevel)
            try await ServiceContext.$current.withValue(request.context) {
                _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, value: "plain"))
            }
            request.end()
            await producer.close()
            let consumer = try consumer(cluster, topic, tracer: tracer)
            var headers: [[KafkaHeader]] = []
            for try await message in consumer.messages { headers.append(message.headers) }
            #expect(headers == [[]])
            #expect(tracer.finishedSpans.map(\.operationName) == ["request"])
        }
    }
}
