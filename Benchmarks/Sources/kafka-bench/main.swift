// kafka-bench: the Swift side of ../../shared/bench/compare.sh.
//
//   kafka-bench produce [--mode enqueue|batch|reports|await|await-tasks] [--in-flight N] BOOTSTRAP TOPIC N SIZE [key=value ...]
//   kafka-bench consume [--mode loop|batch|slow] [--slow-every N] BOOTSTRAP TOPIC N [key=value ...]
//   kafka-bench pipeline [--mode transactional|at-least-once] [--batch N] BOOTSTRAP INPUT OUTPUT N [key=value ...]
//   kafka-bench admin BOOTSTRAP TOPIC N       (N KafkaAdminClient calls, one after the other: the cost of a call)
//
// Observability, off unless asked for: --metrics reports to a recording backend (MetricsTestKit's TestMetrics,
// statistics every 5 s); --tracing noop|minimal|memory traces every send and every consumed message (processing
// spans) with a no-op tracer (what an unbootstrapped process has: tracing is then skipped), the least a propagating
// tracer does (BenchTracer.swift: span objects and W3C traceparent headers, no export), or InMemoryTracing's test
// tracer (which keeps every span); --tracing sampled is BenchTracer recording 1 span in 100 (the others propagate
// the context with the sampled flag off, as a ratio sampler's do). --traceparent-header sends every message with a
// fixed 55-byte W3C traceparent header and no tracer: what carrying the context costs librdkafka and the broker.
//
// Prints one line with msgs_per_s=..., like the C tools. Trailing key=value pairs are librdkafka properties.
// Unless given, enable.idempotence=false, so that the default run compares like for like with the C tool
// (librdkafka's default); pass -X enable.idempotence=true to compare.sh to measure both with it.
import InMemoryTracing
import Kafka
import Logging
import MetricsTestKit
import Tracing

#if canImport(Glibc)
    import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandleStderr.write("kafka-bench: \(message)\n")
    exit(2)
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

struct Arguments {
    var command: String
    var mode = "enqueue"
    var inFlight = 10_000
    /// `consume --mode slow`: the loop sleeps 1 ms after every this many messages.
    var slowEvery = 1_000
    /// `pipeline`: input messages per batch (per transaction).
    var batch = 10_000
    var metrics = false
    var tracing: String? = nil
    var traceparentHeader = false
    var positional: [String] = []
    var properties: [String: String] = [:]

    init(_ argv: [String]) {
        guard argv.count >= 2 else { fail("usage: kafka-bench produce|consume ...") }
        command = argv[1]
        var i = 2
        while i < argv.count {
            let arg = argv[i]
            if arg == "--mode", i + 1 < argv.count {
                mode = argv[i + 1]
                i += 2
            } else if arg == "--in-flight", i + 1 < argv.count, let n = Int(argv[i + 1]) {
                inFlight = n
                i += 2
            } else if arg == "--metrics" {
                metrics = true
                i += 1
            } else if arg == "--tracing", i + 1 < argv.count,
                ["noop", "minimal", "sampled", "memory"].contains(argv[i + 1])
            {
                tracing = argv[i + 1]
                i += 2
            } else if arg == "--traceparent-header" {
                traceparentHeader = true
                i += 1
            } else if arg == "--slow-every", i + 1 < argv.count, let n = Int(argv[i + 1]), n > 0 {
                slowEvery = n
                i += 2
            } else if arg == "--batch", i + 1 < argv.count, let n = Int(argv[i + 1]), n > 0 {
                batch = n
                i += 2
            } else if let eq = arg.firstIndex(of: "="), positional.count >= (command == "consume" ? 3 : 4) {
                properties[String(arg[..<eq])] = String(arg[arg.index(after: eq)...])
                i += 1
            } else {
                positional.append(arg)
                i += 1
            }
        }
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

var logger = Logger(label: "kafka-bench")
logger.logLevel = .warning
if let level = getenv("KAFKA_BENCH_LOG").map({ String(cString: $0) }), let parsed = Logger.Level(rawValue: level) {
    logger.logLevel = parsed  // e.g. KAFKA_BENCH_LOG=trace to see backpressure pauses
}
let args = Arguments(CommandLine.arguments)
let metricsBackend = TestMetrics()
let observedMetrics = args.metrics ? KafkaConfiguration.Metrics(factory: metricsBackend) : nil
let tracer: (any Tracer)? =
    switch args.tracing {
    case "noop": NoOpTracer()
    case "minimal": BenchTracer()
    case "sampled": BenchTracer(sampleEvery: 100)
    case "memory": InMemoryTracer(recordInjections: false, recordExtractions: false)
    default: nil
    }
let observedTracing = tracer.map { KafkaConfiguration.Tracing(tracer: $0) }

switch args.command {
case "produce":
    guard args.positional.count == 4, let n = Int(args.positional[2]), let size = Int(args.positional[3]) else {
        fail(
            "usage: kafka-bench produce [--mode enqueue|batch|reports|await|await-tasks] BOOTSTRAP TOPIC N SIZE [key=value ...]"
        )
    }
    let topic = args.positional[1]
    var config = KafkaProducerConfiguration(bootstrapServers: [args.positional[0]])
    config.idempotence = false
    config.metrics = observedMetrics
    config.tracing = observedTracing
    config.librdkafkaOverrides = args.properties
    config.deliveryReports = args.mode == "reports" ? .all : .failuresOnly
    let producer: KafkaProducer
    do {
        producer = try KafkaProducer(configuration: config, logger: logger)
    } catch {
        fail("\(error)")
    }
    let payload = [UInt8]((0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) })
    let message = KafkaProducerMessage(
        topic: topic,
        value: payload,
        headers: args.traceparentHeader
            ? [KafkaHeader(key: "traceparent", value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")] : []
    )
    // Warm-up: one message connects to the cluster and fetches the topic's metadata.
    _ = try await producer.send(KafkaProducerMessage(topic: topic, value: [UInt8(ascii: "w")]))

    var failed = 0
    var t1 = 0.0
    var tEnqueued = 0.0
    let t0 = now()
    switch args.mode {
    case "await":
        // Awaitable sends from args.inFlight tasks, each sending its share one after the other (like request
        // handlers that each await their message): args.inFlight sends outstanding, no task created per send.
        let workers = min(args.inFlight, n)
        failed = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                let share = n / workers + (worker < n % workers ? 1 : 0)
                group.addTask {
                    var failures = 0
                    for _ in 0..<share where (try? await producer.send(message)) == nil { failures += 1 }
                    return failures
                }
            }
            var failures = 0
            for try await count in group { failures += count }
            return failures
        }
    case "await-tasks":
        // Awaitable sends, args.inFlight of them outstanding at any time.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var started = 0
            while started < min(args.inFlight, n) {
                group.addTask { (try? await producer.send(message)) != nil }
                started += 1
            }
            for try await ok in group {
                if !ok { failed += 1 }
                if started < n {
                    group.addTask { (try? await producer.send(message)) != nil }
                    started += 1
                }
            }
        }
    case "enqueue", "batch", "reports":
        // Fire-and-forget; the timer stops when flush says every message was delivered. "reports" attaches a
        // reader of every delivery report; the others read only failures.
        let reader = Task.detached {
            var failures = 0
            for await report in producer.deliveryReports {
                if case .failure = report.result { failures += 1 }
            }
            return failures
        }
        if args.mode == "batch" {
            let chunk = Array(repeating: message, count: 10_000)
            var queued = 0
            while queued < n {
                let count = min(chunk.count, n - queued)
                _ = try await producer.enqueue(contentsOf: chunk.prefix(count))
                queued += count
            }
        } else {
            for _ in 0..<n { _ = try await producer.enqueue(message) }
        }
        tEnqueued = now()
        try await producer.flush(timeout: .seconds(120))
        t1 = now()
        await producer.close()
        failed = await reader.value
    default:
        fail("unknown mode \(args.mode)")
    }
    if t1 == 0 { t1 = now() }
    await producer.close()
    let secs = t1 - t0
    print(
        "produce mode=\(args.mode) msgs=\(n) bytes=\(size) secs=\(String(format3: secs)) msgs_per_s=\(Int(Double(n) / secs)) failed=\(failed)"
            + (tEnqueued > 0 ? " enqueue_secs=\(String(format3: tEnqueued - t0))" : "")
    )
    exit(failed == 0 ? 0 : 3)

case "pipeline":
    guard args.positional.count == 4, let n = Int(args.positional[3]),
        ["transactional", "at-least-once"].contains(args.mode)
    else {
        fail("usage: kafka-bench pipeline --mode transactional|at-least-once [--batch N] BOOTSTRAP INPUT OUTPUT N")
    }
    let secs = try await runPipeline(
        bootstrap: args.positional[0],
        input: args.positional[1],
        output: args.positional[2],
        n: n,
        batch: args.batch,
        transactional: args.mode == "transactional",
        properties: args.properties,
        logger: logger
    )
    print("pipeline mode=\(args.mode) msgs=\(n) secs=\(String(format3: secs)) msgs_per_s=\(Int(Double(n) / secs))")

case "consume":
    guard args.positional.count == 3, let n = Int(args.positional[2]) else {
        fail("usage: kafka-bench consume [--mode loop|batch|slow] [--slow-every N] BOOTSTRAP TOPIC N [key=value ...]")
    }
    var config = KafkaConsumerConfiguration(
        bootstrapServers: [args.positional[0]],
        consumptionStrategy: .group(
            id: "kafka-bench-\(UInt32.random(in: 0...UInt32.max))",
            topics: [args.positional[1]]
        )
    )
    config.autoOffsetReset = .earliest
    config.metrics = observedMetrics
    config.tracing = observedTracing
    config.librdkafkaOverrides = args.properties
    let consumer: KafkaConsumer
    do {
        consumer = try KafkaConsumer(configuration: config, logger: logger)
    } catch {
        fail("\(error)")
    }
    var count = 0
    var bytes = 0
    var t0 = 0.0
    switch args.mode {
    case "batch":
        // batches(maxCount:maxWait:): one hand-over per batch.
        loop: for try await batch in consumer.batches(maxCount: 10_000, maxWait: .milliseconds(10)) {
            if count == 0 { t0 = now() }
            func handle() -> Bool {
                for message in batch {
                    bytes += message.value?.count ?? 0
                    count += 1
                    if count == n { return true }
                }
                return false
            }
            let done =
                observedTracing == nil ? handle() : await consumer.withProcessingSpan(ofBatch: batch) { _ in handle() }
            if done { break loop }
        }
    case "slow":
        // A lagging consumer with a slow loop: 1 ms of "work" every --slow-every messages; peak RSS is what counts.
        for try await message in consumer.messages {
            if count == 0 { t0 = now() }
            bytes += message.value?.count ?? 0
            count += 1
            if count % args.slowEvery == 0 { try await Task.sleep(for: .milliseconds(1)) }
            if count == n { break }
        }
    default:
        for try await message in consumer.messages {
            if count == 0 { t0 = now() }
            if observedTracing == nil {
                bytes += message.value?.count ?? 0
            } else {
                // A processing span per message, continuing the producer's trace when its headers carry one.
                bytes += await consumer.withProcessingSpan(of: message) { _ in message.value?.count ?? 0 }
            }
            count += 1
            if count == n { break }
        }
    }
    let t1 = now()
    await consumer.close()
    let secs = t1 - t0
    print(
        "consume msgs=\(count) bytes=\(bytes) secs=\(String(format3: secs)) msgs_per_s=\(Int(Double(count - 1) / secs))"
    )
    exit(count == n ? 0 : 3)

case "admin":
    // Each KafkaAdminClient call makes a handle, connects, asks, and destroys the handle: what does that cost?
    guard args.positional.count == 3, let n = Int(args.positional[2]), n > 0 else {
        fail("usage: kafka-bench admin BOOTSTRAP TOPIC N")
    }
    let admin = KafkaAdminClient(bootstrapServers: [args.positional[0]], logger: logger)
    let partition = KafkaTopicPartition(topic: args.positional[1], partition: 0)
    var lines: [String] = []
    for (name, call) in [
        ("describeCluster", { _ = try await admin.describeCluster() }),
        ("metadata(topic)", { _ = try await admin.metadata(topics: [args.positional[1]]) }),
        ("watermarks(1 partition)", { _ = try await admin.watermarks(of: [partition]) }),
    ] as [(String, () async throws -> Void)] {
        try await call()  // warm-up
        let t0 = now()
        for _ in 0..<n { try await call() }
        let secs = now() - t0
        lines.append("\(name)=\(String(format3: secs * 1000 / Double(n)))ms")
    }
    print("admin calls=\(n) per call: " + lines.joined(separator: " "))

default:
    fail("unknown command \(args.command): produce, consume, pipeline or admin")
}

extension String {
    init(format3 value: Double) {
        let scaled = Int((value * 1000).rounded())
        let fraction = String(scaled % 1000)
        self = "\(scaled / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
