import Synchronization
public import Tracing

extension KafkaConfiguration {
    /// Distributed tracing (swift-distributed-tracing): producer spans whose context travels in the messages'
    /// headers, and consumer spans that continue it (``KafkaConsumer/withProcessingSpan(of:_:)``).
    ///
    /// The headers are written and read by the tracer, so they follow its propagation: with swift-otel's tracer,
    /// W3C `traceparent` and `tracestate`, which Java, Go and Python clients continue. Off by default: without it,
    /// a send does no tracing work at all.
    public struct Tracing: Sendable {
        /// The tracer; `nil` uses the process's `InstrumentationSystem.tracer`.
        public var tracer: (any Tracer)?
        /// Record each message's key as `messaging.kafka.message.key` (keys can hold personal data). Default
        /// `false`.
        public var recordsKeys: Bool

        /// Tracing through `tracer`, or the process's `InstrumentationSystem.tracer` when `nil`.
        public init(tracer: (any Tracer)? = nil, recordsKeys: Bool = false) {
            self.tracer = tracer
            self.recordsKeys = recordsKeys
        }

        var effectiveTracer: any Tracer { tracer ?? InstrumentationSystem.tracer }
    }
}

/// Message headers a tracer writes its propagation fields into, and whether it wrote any.
struct InjectedHeaders {
    var headers: [KafkaHeader]
    var changed = false
}

/// Writes a tracer's propagation fields into message headers (replacing a header of the same name).
struct KafkaHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout InjectedHeaders) {
        carrier.headers.removeAll { $0.key == key }
        carrier.headers.append(KafkaHeader(key: key, value: value))
        carrier.changed = true
    }
}

/// Reads a tracer's propagation fields from message headers (the last header of a name wins).
struct KafkaHeadersExtractor: Extractor {
    func extract(key: String, from headers: [KafkaHeader]) -> String? {
        headers.last { $0.key == key }?.valueString
    }
}

/// The OpenTelemetry messaging attribute names used on Kafka spans.
enum MessagingAttributes {
    static let system = "messaging.system"
    static let operationName = "messaging.operation.name"
    static let operationType = "messaging.operation.type"
    static let destination = "messaging.destination.name"
    static let partition = "messaging.destination.partition.id"
    static let offset = "messaging.kafka.offset"
    static let key = "messaging.kafka.message.key"
    static let clientID = "messaging.client.id"
    static let consumerGroup = "messaging.consumer.group.name"
    static let bodySize = "messaging.message.body.size"
    static let batchCount = "messaging.batch.message_count"
    static let errorType = "error.type"
}

extension KafkaConsumerMessage {
    /// The trace context the producer put in this message's headers, read by `instrument` (the process's
    /// `InstrumentationSystem.instrument` by default), on top of `context`. Empty when the headers carry none.
    public func serviceContext(
        using instrument: any Instrument = InstrumentationSystem.instrument,
        on context: ServiceContext = .topLevel
    ) -> ServiceContext {
        var context = context
        instrument.extract(headers, into: &context, using: KafkaHeadersExtractor())
        return context
    }
}

/// `<operation> <topic>` for the last topic seen, so a busy client does not build the same span name per message.
final class SpanNames: Sendable {
    private let operation: String
    private let last: Mutex<(topic: String, name: String)>

    init(operation: String) {
        self.operation = operation
        self.last = Mutex(("", operation))
    }

    func name(for topic: String) -> String {
        last.withLock { last in
            if last.topic != topic { last = (topic, "\(operation) \(topic)") }
            return last.name
        }
    }
}
