public import Tracing

extension KafkaConsumer {
    /// Runs `body` in a consumer span (`process <topic>`) that continues the trace the producer put in the message's
    /// headers: the span is a child of the producer's span, so the trace keeps one id from send to processing.
    ///
    /// The span carries the OpenTelemetry messaging attributes (system `kafka`, destination, partition, offset,
    /// consumer group, client id, and the key when ``KafkaConfiguration/Tracing/recordsKeys``); it records the
    /// error `body` throws. Inside `body`, `ServiceContext.current` is the span's context, so spans started there
    /// (an HTTP call, a database query, a send) join the trace.
    ///
    /// ```swift
    /// for try await message in consumer.messages {
    ///     try await consumer.withProcessingSpan(of: message) { span in
    ///         try await handle(message)
    ///     }
    /// }
    /// ```
    ///
    /// Uses the tracer of ``KafkaConsumerConfiguration/tracing``, or the process's `InstrumentationSystem.tracer`.
    public nonisolated(nonsending) func withProcessingSpan<T>(
        of message: KafkaConsumerMessage,
        _ body: (any Span) async throws -> T
    ) async rethrows -> T {
        let tracing = core.configuration.tracing ?? KafkaConfiguration.Tracing()
        let tracer = tracing.effectiveTracer
        // A no-op tracer records and propagates nothing: the body runs as it is.
        if tracer is NoOpTracer {
            return try await body(NoOpTracer.NoOpSpan(context: ServiceContext.current ?? .topLevel))
        }
        let parent = message.serviceContext(using: tracer, on: ServiceContext.current ?? .topLevel)
        let span = tracer.startSpan(core.spanNames.name(for: message.topic), context: parent, ofKind: .consumer)
        if span.isRecording {
            span.updateAttributes { attributes in
                setCommonAttributes(&attributes, topic: message.topic)
                attributes[MessagingAttributes.partition] = String(message.partition.rawValue)
                attributes[MessagingAttributes.offset] = Int(message.offset.rawValue)
                if let value = message.value { attributes[MessagingAttributes.bodySize] = value.count }
                if tracing.recordsKeys, let key = message.keyString { attributes[MessagingAttributes.key] = key }
            }
        }
        return try await run(body, in: span)
    }

    /// Runs `body` in one consumer span for a batch (`process <topic>`, or `process` when the batch spans topics),
    /// a child of the current context, linked to each message's producer span.
    public nonisolated(nonsending) func withProcessingSpan<T>(
        ofBatch batch: some Collection<KafkaConsumerMessage>,
        _ body: (any Span) async throws -> T
    ) async rethrows -> T {
        let tracing = core.configuration.tracing ?? KafkaConfiguration.Tracing()
        let tracer = tracing.effectiveTracer
        if tracer is NoOpTracer {
            return try await body(NoOpTracer.NoOpSpan(context: ServiceContext.current ?? .topLevel))
        }
        let topics = Set(batch.map(\.topic))
        let topic = topics.count == 1 ? topics.first : nil
        let span = tracer.startSpan(
            topic.map { "process \($0)" } ?? "process",
            context: ServiceContext.current ?? .topLevel,
            ofKind: .consumer
        )
        guard span.isRecording else { return try await run(body, in: span) }
        span.updateAttributes { attributes in
            setCommonAttributes(&attributes, topic: topic)
            attributes[MessagingAttributes.batchCount] = batch.count
        }
        for message in batch {
            let found = ExtractionHits()
            var context = ServiceContext.topLevel
            tracer.extract(message.headers, into: &context, using: CountingExtractor(hits: found))
            if found.count > 0 {
                span.addLink(
                    SpanLink(
                        context: context,
                        attributes: [
                            MessagingAttributes.partition: .string(String(message.partition.rawValue)),
                            MessagingAttributes.offset: .int64(message.offset.rawValue),
                        ]
                    )
                )
            }
        }
        return try await run(body, in: span)
    }

    private nonisolated func setCommonAttributes(_ attributes: inout SpanAttributes, topic: String?) {
        attributes[MessagingAttributes.system] = "kafka"
        attributes[MessagingAttributes.operationName] = "process"
        attributes[MessagingAttributes.operationType] = "process"
        if let topic { attributes[MessagingAttributes.destination] = topic }
        attributes[MessagingAttributes.clientID] = core.configuration.clientID
        if let group = core.configuration.consumptionStrategy.groupID {
            attributes[MessagingAttributes.consumerGroup] = group
        }
    }

    private nonisolated(nonsending) func run<T>(
        _ body: (any Span) async throws -> T,
        in span: any Span
    ) async rethrows -> T {
        defer { span.end() }
        do {
            return try await ServiceContext.$current.withValue(span.context) { try await body(span) }
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: "\(error)"))
            throw error
        }
    }
}

/// Counts the propagation fields a tracer found in the headers.
private final class ExtractionHits: @unchecked Sendable {
    // Used by one extraction on one task only.
    var count = 0
}

private struct CountingExtractor: Extractor {
    let hits: ExtractionHits
    func extract(key: String, from headers: [KafkaHeader]) -> String? {
        let value = KafkaHeadersExtractor().extract(key: key, from: headers)
        if value != nil { hits.count += 1 }
        return value
    }
}
