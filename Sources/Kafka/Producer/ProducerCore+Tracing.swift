import Synchronization
public import Tracing

// Producer spans (OpenTelemetry messaging conventions): started when a message is sent, with the span's context
// injected into the message's headers by the tracer, and ended when its delivery report comes, with the partition
// and offset, or the error. Only for a producer configured with tracing: `tracesSends` keeps the rest away from it.
//
// The generic parts are inlinable (specialized for the caller's key and value types, like the untraced path);
// the tracer's work is in non-generic functions.
extension ProducerCore {
    /// ``send(_:)`` in a producer span.
    @inlinable
    nonisolated(nonsending) func tracedSend<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaDelivery
    {
        let (span, headers) = startSendSpan(
            topic: message.topic,
            partition: message.partition,
            bodySize: message.value?.withUnsafeBytes { $0.count },
            key: recordsKeys ? message.key?.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } : nil,
            headers: message.headers
        )
        do {
            let delivery: KafkaDelivery
            if let headers {
                var traced = message
                traced.headers = headers
                delivery = try await untracedSend(traced)
            } else {
                delivery = try await untracedSend(message)
            }
            Self.end(span, with: .success(delivery))
            return delivery
        } catch {
            Self.end(span, with: .failure(error))
            throw error
        }
    }

    /// ``enqueue(_:)`` in a producer span, which the delivery report ends.
    @inlinable
    nonisolated(nonsending) func tracedEnqueue<Key, Value>(_ message: KafkaProducerMessage<Key, Value>) async throws
        -> KafkaProducerMessageID
    {
        if reportsSaturated { await waitForReportReader() }
        let (span, headers) = startSendSpan(
            topic: message.topic,
            partition: message.partition,
            bodySize: message.value?.withUnsafeBytes { $0.count },
            key: recordsKeys ? message.key?.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } : nil,
            headers: message.headers
        )
        let id = nextMessageID()
        let registered = register(span, id: id)
        // A kept span's message says so in its opaque: only its report is built to end it.
        let opaque = registered ? ReportRoute.spanned(id) : ReportRoute.stream(id)
        do {
            if let headers {
                var traced = message
                traced.headers = headers
                let outcome = produceNow(traced, opaque: opaque, id: id)
                if case .queued = outcome {} else { try await produceAfter(outcome, traced, opaque: opaque, id: id) }
            } else {
                let outcome = produceNow(message, opaque: opaque, id: id)
                if case .queued = outcome {} else { try await produceAfter(outcome, message, opaque: opaque, id: id) }
            }
        } catch {
            if registered { unregisterSpan(id: id) }
            Self.end(span, with: .failure(error))
            throw error
        }
        return KafkaProducerMessageID(rawValue: id)
    }

    /// Keeps `span` until message `id`'s report ends it; a span that records nothing (a no-op tracer, or sampled
    /// out) ends now instead, since its end carries nothing. Returns whether it was kept.
    @usableFromInline
    func register(_ span: any Span, id: UInt64) -> Bool {
        guard span.isRecording else {
            span.end()
            return false
        }
        // Before the message is produced: its report can come at once.
        openSpans.withLock { $0[id] = span }
        return true
    }

    @usableFromInline
    func unregisterSpan(id: UInt64) {
        openSpans.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// Ends the spans of these reports' messages (on the thread serving reports).
    func endSpans(of reports: [KafkaDeliveryReport]) {
        guard !reports.isEmpty else { return }
        let spans = openSpans.withLock { spans -> [(any Span)?] in
            if spans.isEmpty { return [] }
            return reports.map { spans.removeValue(forKey: $0.id.rawValue) }
        }
        for (span, report) in zip(spans, reports) {
            guard let span else { continue }
            Self.end(span, with: report.result.mapError { $0 as any Error })
        }
    }

    /// Starts a producer span (a child of the task's current context) and has the tracer write its context into a
    /// copy of `headers`, returned when the tracer wrote anything (`nil`: send the message as it is). A span that
    /// records nothing (sampled out, or a no-op tracer) still propagates its context, so the consumers' spans
    /// follow the same sampling decision.
    @usableFromInline
    func startSendSpan(
        topic: String,
        partition: KafkaPartition,
        bodySize: Int?,
        key: String?,
        headers: [KafkaHeader]
    ) -> (any Span, [KafkaHeader]?) {
        let tracer = self.tracer ?? InstrumentationSystem.tracer
        let span = tracer.startSpan(
            spanNames.name(for: topic),
            context: ServiceContext.current ?? .topLevel,
            ofKind: .producer
        )
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes[MessagingAttributes.system] = "kafka"
                attributes[MessagingAttributes.operationName] = "send"
                attributes[MessagingAttributes.operationType] = "send"
                attributes[MessagingAttributes.destination] = topic
                attributes[MessagingAttributes.clientID] = clientID
                if partition != .unassigned { attributes[MessagingAttributes.partition] = String(partition.rawValue) }
                if let bodySize { attributes[MessagingAttributes.bodySize] = bodySize }
                if let key { attributes[MessagingAttributes.key] = key }
            }
        }
        var injected = InjectedHeaders(headers: headers)
        tracer.inject(span.context, into: &injected, using: KafkaHeadersInjector())
        return (span, injected.changed ? injected.headers : nil)
    }

    @usableFromInline
    static func end(_ span: any Span, with result: Result<KafkaDelivery, any Error>) {
        guard span.isRecording else { return span.end() }
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
