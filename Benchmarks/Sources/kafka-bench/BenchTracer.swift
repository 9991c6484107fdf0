import Synchronization
import Tracing

/// The least a production tracer does per span, without exporting: a span object with its ids and attributes,
/// ended once, and W3C `traceparent` propagation through the headers. `--tracing minimal` measures the library's
/// tracing cost on top of that floor (a real tracer adds its sampler, processor and exporter).
struct BenchTracer: Tracer {
    typealias Span = BenchSpan

    /// One span in this many records (the others are sampled out: they record nothing but still propagate, with
    /// the W3C sampled flag off), like a ratio sampler; 1 records every span.
    var sampleEvery: UInt64 = 1

    static let ended = Atomic<Int>(0)
    private static let nextID = Atomic<UInt64>(1)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> BenchSpan {
        var context = context()
        let parent = context[BenchSpanIDKey.self]
        let id = Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let sampled = parent?.sampled ?? (id % sampleEvery == 0)
        context[BenchSpanIDKey.self] = BenchSpanID(trace: parent?.trace ?? id, span: id, sampled: sampled)
        return BenchSpan(operationName: operationName, context: context, isRecording: sampled)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext,
        into carrier: inout Carrier,
        using injector: Inject
    )
    where Inject.Carrier == Carrier {
        guard let id = context[BenchSpanIDKey.self] else { return }
        // 00-<32 hex trace id>-<16 hex span id>-<flags>, written into one 55-byte string.
        let traceparent = String(unsafeUninitializedCapacity: 55) { buffer in
            let hex = Self.hexDigits
            func put(_ value: UInt64, digits: Int, at start: Int) {
                var value = value
                for i in stride(from: start + digits - 1, through: start, by: -1) {
                    buffer[i] = hex[Int(value & 15)]
                    value >>= 4
                }
            }
            for i in 0..<55 { buffer[i] = UInt8(ascii: "0") }
            buffer[2] = UInt8(ascii: "-")
            put(id.trace, digits: 16, at: 19)
            buffer[35] = UInt8(ascii: "-")
            put(id.span, digits: 16, at: 36)
            buffer[52] = UInt8(ascii: "-")
            buffer[54] = UInt8(ascii: id.sampled ? "1" : "0")
            return 55
        }
        injector.inject(traceparent, forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout ServiceContext,
        using extractor: Extract
    )
    where Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = value.split(separator: "-")
        guard parts.count == 4, let trace = UInt64(parts[1].suffix(16), radix: 16),
            let span = UInt64(parts[2], radix: 16)
        else { return }
        context[BenchSpanIDKey.self] = BenchSpanID(trace: trace, span: span, sampled: !value.hasSuffix("-00"))
    }
}

struct BenchSpanID: Sendable {
    var trace: UInt64
    var span: UInt64
    var sampled = true
}

enum BenchSpanIDKey: ServiceContextKey {
    typealias Value = BenchSpanID
}

final class BenchSpan: Span, @unchecked Sendable {
    // One task at a time uses a span here (the library's send path, or a processing closure).
    let context: ServiceContext
    var operationName: String
    var attributes: SpanAttributes = [:]
    let isRecording: Bool

    init(operationName: String, context: ServiceContext, isRecording: Bool = true) {
        self.operationName = operationName
        self.context = context
        self.isRecording = isRecording
    }

    func setStatus(_ status: SpanStatus) {}
    func addEvent(_ event: SpanEvent) {}
    func recordError<Instant: TracerInstant>(
        _ error: any Error,
        attributes: SpanAttributes,
        at instant: @autoclosure () -> Instant
    ) {}
    func addLink(_ link: SpanLink) {}
    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        BenchTracer.ended.add(1, ordering: .relaxed)
    }
}
