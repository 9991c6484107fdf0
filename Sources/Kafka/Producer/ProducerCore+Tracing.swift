import Tracing

// Producer spans (OpenTelemetry messaging conventions): started when a message is sent, with the span's context
// injected into the message's headers by the tracer, and ended when its delivery report comes, with the partition
// and offset, or the error. Only for a producer configured with tracing: `tracesSends` keeps the rest away from it.
extension ProducerCore {
    /// ``send(_:)`` in a producer span.
    @usableFromInline
    nonisolated(nonsending) func tracedSend<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaDelivery
    {
        let (span, traced) = startSpan(for: message)
        do {
            let delivery = try await untracedSend(traced)
            Self.end(span, with: .success(delivery))
            return delivery
        } catch {
            Self.end(span, with: .failure(error))
            throw error
        }
    }

    /// ``enqueue(_:)`` in a producer span, which the delivery report ends.
    @usableFromInline
    nonisolated(nonsending) func tracedEnqueue<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaProducerMessageID
    {
        if reportsSaturated { await waitForReportReader() }
        let (span, traced) = startSpan(for: message)
        let id = nextMessageID()
        // Registered before the message can be reported.
        openSpans.withLock { $0[id] = span }
        do {
            let outcome = produceNow(traced, opaque: id << 1, id: id)
            if case .queued = outcome {} else { try await produceAfter(outcome, traced, opaque: id << 1, id: id) }
        } catch {
            openSpans.withLock { $0[id] = nil }
            Self.end(span, with: .failure(error))
            throw error
        }
        return KafkaProducerMessageID(rawValue: id)
    }

    /// Ends the spans of these reports' messages (on the thread serving reports).
    func endSpans(of reports: [KafkaDeliveryReport]) {
        guard !reports.isEmpty else { return }
        let spans = openSpans.withLock { spans in reports.map { spans.removeValue(forKey: $0.id.rawValue) } }
        for (span, report) in zip(spans, reports) {
            guard let span else { continue }
            Self.end(span, with: report.result.mapError { $0 as any Error })
        }
    }

    /// Starts a producer span for `message` (a child of the task's current context) and returns the message with
    /// the span's context in its headers.
    private func startSpan<Key, Value>(for message: KafkaProducerMessage<Key, Value>) -> (
        any Span, KafkaProducerMessage<Key, Value>
    ) {
        let tracing = self.tracing ?? KafkaConfiguration.Tracing()
        let tracer = tracing.effectiveTracer
        let span = tracer.startSpan(
            "send \(message.topic)",
            context: ServiceContext.current ?? .topLevel,
            ofKind: .producer
        )
        span.updateAttributes { attributes in
            attributes[MessagingAttributes.system] = "kafka"
            attributes[MessagingAttributes.operationName] = "send"
            attributes[MessagingAttributes.operationType] = "send"
            attributes[MessagingAttributes.destination] = message.topic
            attributes[MessagingAttributes.clientID] = clientID
            if message.partition != .unassigned {
                attributes[MessagingAttributes.partition] = String(message.partition.rawValue)
            }
            if let value = message.value {
                attributes[MessagingAttributes.bodySize] = value.withUnsafeBytes { $0.count }
            }
            if tracing.recordsKeys, let key = message.key {
                attributes[MessagingAttributes.key] = key.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            }
        }
        var traced = message
        tracer.inject(span.context, into: &traced.headers, using: KafkaHeadersInjector())
        return (span, traced)
    }

    private static func end(_ span: any Span, with result: Result<KafkaDelivery, any Error>) {
        switch result {
        case .success(let delivery):
            span.updateAttributes { attributes in
                attributes[MessagingAttributes.partition] = String(delivery.partition.rawValue)
                attributes[MessagingAttributes.offset] = Int(delivery.offset.rawValue)
            }
        case .failure(let error):
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: "\(error)"))
            if let kafkaError = error as? KafkaError {
                span.attributes[MessagingAttributes.errorType] = "\(kafkaError.code)"
            }
        }
        span.end()
    }
}
