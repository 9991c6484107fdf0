internal import CLibrdkafka
import Logging
import NIOCore
import Synchronization

/// Owns one librdkafka handle (`rd_kafka_t`) and its lifetime; the only type that calls into a handle.
///
/// Thread-safety: librdkafka handles are thread-safe. Non-blocking calls (`produce`, timeout-0 polls, pause,
/// resume) may run on any thread while ``guard`` admits them; blocking calls (polls with a timeout, metadata,
/// consumer close, destroy) run on the client's poll thread only.
final class RDKafkaClient: @unchecked Sendable {
    // @unchecked: `pointer` and the queue are immutable and used through librdkafka's thread-safe API; `destroy()`
    // runs once, on the poll thread, after `guard.closeAndWait()` has stopped every other caller.

    enum Kind: Sendable { case producer, consumer }

    let kind: Kind
    let pointer: OpaquePointer
    let callbacks: RDKafkaCallbacks
    let logger: Logger
    /// How far back a connection failure explains a timeout: a producer's message timeout, else a minute.
    let hintWindow: Duration
    /// Admits non-blocking calls from other threads until the handle is destroyed.
    let `guard` = InFlightGuard()
    /// The queue the poll thread serves: the main queue (producer) or the consumer queue.
    let queue: OpaquePointer
    /// The consumed messages still alive (a consumer's handle is destroyed after the last of them).
    let leases = RDKafkaLeases()
    /// Set once ``destroy()`` returned.
    let isDestroyed = Atomic<Bool>(false)
    /// A producer's topic handles (see ``RDKafkaTopicHandles``).
    let topicHandles = RDKafkaTopicHandles()
    /// Whether a producer's delivery reports come by `dr_msg_cb` (else as events; see ``make(kind:properties:tokenProvider:logger:)``).
    let reportsByCallback: Bool

    private init(
        kind: Kind,
        pointer: OpaquePointer,
        queue: OpaquePointer,
        callbacks: RDKafkaCallbacks,
        hintWindow: Duration,
        reportsByCallback: Bool
    ) {
        self.kind = kind
        self.reportsByCallback = reportsByCallback
        self.hintWindow = hintWindow
        self.pointer = pointer
        self.queue = queue
        self.callbacks = callbacks
        self.logger = callbacks.logger
    }

    /// Creates a handle from `properties`.
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` naming the rejected key, or librdkafka's reason when
    ///   `rd_kafka_new` refuses the combination.
    static func make(
        kind: Kind,
        properties: LibrdkafkaProperties,
        tokenProvider: (KafkaConfiguration.Security.OAuthBearer.Provider, timeout: Duration)? = nil,
        logger: Logger
    ) throws(KafkaError) -> RDKafkaClient {
        var properties = properties
        if properties.value(for: "log_level") == nil {
            properties.set("log_level", String(RDKafkaCallbacks.syslogLevel(for: logger.logLevel)))
        }
        properties.set("log.queue", true)
        let conf = try properties.makeConf()
        let callbacks = RDKafkaCallbacks(logger: logger)
        callbacks.install(on: conf, rebalance: kind == .consumer)
        if tokenProvider != nil { installTokenRefresh(on: conf) }
        // A producer's delivery reports: by callback (`dr_msg_cb`, served by `rd_kafka_poll`), as raw librdkafka
        // producers get them; each message is freed right after its report, while still in cache. The event API
        // frees a whole batch (up to batch.num.messages) at the event's end, a second pass over cold messages:
        // measured 5 % of the fire-and-forget sending thread's samples on 2.0.2 (`rd_kafka_event_message_next`).
        // A transactional producer keeps the event API: its commit flushes, and in callback mode librdkafka's
        // flush would serve reports on the committing thread, beside the thread that serves them.
        let reportsByCallback = kind == .producer && properties.value(for: "transactional.id") == nil
        if reportsByCallback {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let opaque else { return }
                // Not retained: the handle's callbacks outlive it (a retain and release per message showed as
                // 5 % of the sending thread's samples).
                Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque)._withUnsafeGuaranteedRef { callbacks in
                    callbacks.deliveryReportCollector?.pointee.collect(message)
                }
            }
        } else if kind == .producer {
            rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR))
        }
        var errstr = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)  // still ours: rd_kafka_new failed
            let reason = String(nulTerminated: errstr)
            if reason.contains("ssl.key.location failed") || reason.contains("ssl.key.pem failed") {
                // OpenSSL says only "PEM lib": the usual causes, named.
                throw KafkaError.invalidConfiguration(
                    key: reason.contains("ssl.key.pem") ? "ssl.key.pem" : "ssl.key.location",
                    value: nil,
                    reason: "the private key could not be read: a wrong key password (ssl.key.password), or not a "
                        + "PEM private key (librdkafka: \(reason))"
                )
            }
            throw KafkaError.invalidConfiguration(key: nil, value: nil, reason: reason)
        }
        // Log lines are queued (log.queue=true) and served by whoever polls the main queue.
        _ = rd_kafka_set_log_queue(rk, nil)
        logger.info(
            "\(kind) started on librdkafka \(Librdkafka.version)",
            metadata: [KafkaLoggingKeys.librdkafkaVersion: "\(Librdkafka.version)"]
        )
        if properties.value(for: "group.protocol") == "consumer", Librdkafka.version < Librdkafka.Version(2, 12, 0) {
            logger.warning(
                "group.protocol=consumer is not production-ready before librdkafka 2.12 (running \(Librdkafka.version))"
            )
        }
        let queue: OpaquePointer?
        switch kind {
        case .producer:
            queue = rd_kafka_queue_get_main(rk)
        case .consumer:
            // Route the main queue (logs, errors) into the consumer queue, so one poll serves everything.
            _ = rd_kafka_poll_set_consumer(rk)
            queue = rd_kafka_queue_get_consumer(rk)
        }
        guard let queue else {
            rd_kafka_destroy(rk)
            throw KafkaError.invalidConfiguration(
                key: "group.id",
                value: nil,
                reason: "librdkafka returned no queue to poll (a consumer needs group.id)"
            )
        }
        let messageTimeout = properties.value(for: "message.timeout.ms").flatMap(Int64.init) ?? 300_000
        let client = RDKafkaClient(
            kind: kind,
            pointer: rk,
            queue: queue,
            callbacks: callbacks,
            hintWindow: kind == .producer ? .milliseconds(messageTimeout) + .seconds(5) : .seconds(60),
            reportsByCallback: reportsByCallback
        )
        if let (provider, timeout) = tokenProvider {
            // Set before any poll: librdkafka queued its first request for a token in rd_kafka_new.
            callbacks.setTokenRefresh { [weak client] in client?.refreshToken(with: provider, timeout: timeout) }
        }
        return client
    }

    /// Frees the handle. Blocking; poll thread only; call once, after `guard.closeAndWait()`.
    func destroy() {
        topicHandles.destroyAll()
        rd_kafka_queue_destroy(queue)
        // A consumer was closed by closeConsumer() already; a second close after a failed one could wait forever.
        rd_kafka_destroy_flags(pointer, kind == .consumer ? Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE) : 0)
        isDestroyed.store(true, ordering: .releasing)
        callbacks.finishStatistics()
    }

    /// Messages, requests and delivery reports not yet served (`rd_kafka_outq_len`).
    var outQueueLength: Int {
        Int(rd_kafka_outq_len(pointer))
    }

    /// Wakes a poll thread blocked on this client's queue. A no-op once ``guard`` is closed (a consumer's close
    /// must not be woken).
    func wakeUp() {
        guard self.guard.enter() else { return }
        defer { self.guard.exit() }
        rd_kafka_queue_yield(queue)
    }
}

// MARK: - Producing

extension RDKafkaClient {
    // A non-NULL pointer for empty keys and values (NULL would mean "no value", a tombstone). nonisolated(unsafe):
    // never written; librdkafka reads zero bytes from it.
    private nonisolated(unsafe) static let emptyBytes: UnsafeMutableRawPointer = {
        UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
    }()

    /// Hands one message, as raw parts, to librdkafka (which copies them). A failed outcome means the message was
    /// not queued and no delivery report will come.
    func produce(
        topic: String,
        partition: KafkaPartition,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader],
        timestamp: KafkaTimestamp?,
        opaque: UInt64
    ) -> ProduceOutcome {
        let rkt = topicHandles.handle(for: topic, in: pointer)
        if let rkt, headers.isEmpty, timestamp == nil {
            // The positional call, as raw C producers make it: rd_kafka_produceva's argument list costs more per
            // message on librdkafka 2.16 (measured with compare.sh).
            return produce(rkt: rkt, topic: topic, partition: partition, key: key, value: value, opaque: opaque)
        }
        return produceWithList(
            rkt: rkt,
            topic: topic,
            partition: partition,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestamp,
            opaque: opaque
        )
    }

    /// ``produce(topic:partition:key:value:headers:timestamp:opaque:)`` through `rd_kafka_produceva`: headers, a
    /// timestamp, or a topic without a handle. Apart, so that its argument list's stack frame (and the stack
    /// protector that comes with it) is not set up for the positional call.
    @inline(never)
    private func produceWithList(
        rkt: OpaquePointer?,
        topic: String,
        partition: KafkaPartition,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader],
        timestamp: KafkaTimestamp?,
        opaque: UInt64
    ) -> ProduceOutcome {
        func produceva(_ topicName: UnsafePointer<CChar>?) -> OpaquePointer? {
            withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { vus in
                var n = 0
                func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                    var vu = rd_kafka_vu_t()
                    vu.vtype = type
                    fill(&vu)
                    vus[n] = vu
                    n += 1
                }
                if let rkt {
                    add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = rkt }
                } else {
                    add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
                }
                add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(opaque)) }
                if partition != .unassigned {
                    add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition.rawValue }
                }
                if let key {
                    add(RD_KAFKA_VTYPE_KEY) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress) ?? Self.emptyBytes
                        $0.u.mem.size = key.count
                    }
                }
                if let value {
                    add(RD_KAFKA_VTYPE_VALUE) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress) ?? Self.emptyBytes
                        $0.u.mem.size = value.count
                    }
                }
                if let timestamp {
                    add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp.millisecondsSinceEpoch }
                }
                var headerList: OpaquePointer? = nil
                if !headers.isEmpty {
                    let list = Self.makeHeaders(headers)
                    headerList = list
                    add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = list }
                }
                let error = rd_kafka_produceva(pointer, vus.baseAddress, n)
                if error != nil, let headerList {
                    rd_kafka_headers_destroy(headerList)  // still ours: the produce failed
                }
                return error
            }
        }
        let error = rkt != nil ? produceva(nil) : topic.withCString { produceva($0) }
        guard let error else { return .queued }
        if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            return .queueFull
        }
        var kafkaError = KafkaError(consuming: error, topic: topic)
        kafkaError.partition = partition == .unassigned ? nil : partition
        return .failed(explainProduceFailure(kafkaError))
    }

    /// ``produce(topic:partition:key:value:headers:timestamp:opaque:)`` without headers or timestamp, through
    /// `rd_kafka_produce` and a topic handle.
    private func produce(
        rkt: OpaquePointer,
        topic: String,
        partition: KafkaPartition,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        opaque: UInt64
    ) -> ProduceOutcome {
        // NULL means "none" (a tombstone for the value); an empty one needs a non-NULL pointer.
        let keyPointer = key.map { UnsafeMutableRawPointer(mutating: $0.baseAddress) ?? Self.emptyBytes }
        let valuePointer = value.map { UnsafeMutableRawPointer(mutating: $0.baseAddress) ?? Self.emptyBytes }
        let result = rd_kafka_produce(
            rkt,
            partition.rawValue,  // .unassigned is RD_KAFKA_PARTITION_UA
            RD_KAFKA_MSG_F_COPY,
            valuePointer,
            value?.count ?? 0,
            keyPointer,
            key?.count ?? 0,
            UnsafeMutableRawPointer(bitPattern: UInt(opaque))
        )
        if result == 0 { return .queued }
        let err = rd_kafka_last_error()  // thread-local: this call's
        if err == RD_KAFKA_RESP_ERR__QUEUE_FULL { return .queueFull }
        return .failed(
            explainProduceFailure(
                KafkaError.librdkafka(
                    err,
                    topic: topic,
                    partition: partition == .unassigned ? nil : partition
                )
            )
        )
    }

    /// A refused produce's error, with librdkafka's terse state errors explained: `_STATE` (a transactional
    /// producer outside a transaction) and `_FATAL` (the fatal error raised earlier, by its own code and reason).
    @inline(never)
    private func explainProduceFailure(_ error: KafkaError) -> KafkaError {
        var error = error
        if error.code == .invalidState {
            error.message =
                "a transactional producer sends only inside an open transaction that has not failed (use "
                + "withTransaction, or beginTransaction first; librdkafka: \(error.message))"
        } else if error.code == .fatal, let fatal = raisedFatalError() {
            error.code = fatal.code
            error.message = "the producer failed earlier and refuses every send: \(fatal.message)"
            error.isFatal = true
        }
        return error
    }

    /// A new header list holding copies of `headers`; the caller owns it until a produce succeeds.
    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer? {
        let list = rd_kafka_headers_new(headers.count)
        for header in headers {
            if let value = header.value {
                value.withUnsafeReadableBytes { bytes in
                    _ = rd_kafka_header_add(
                        list,
                        header.key,
                        -1,
                        bytes.baseAddress ?? UnsafeRawPointer(emptyBytes),
                        bytes.count
                    )
                }
            } else {
                _ = rd_kafka_header_add(list, header.key, -1, nil, 0)
            }
        }
        return list
    }

    /// Serves the main queue for up to `timeoutMilliseconds` (0: only what is ready), handing delivery reports to
    /// `body`: in chunks of up to ``DeliveryReportBatch/chunk`` reports in callback mode, one event (one produce
    /// request's batch) at a time in event mode. Returns how many messages were reported. Timeout 0 from any thread;
    /// otherwise poll thread. One thread at a time (the producer's serving flag).
    ///
    /// A message's opaque says where its report goes (``ReportRoute``). A success for the report stream is built
    /// only when `streamSuccesses` (building one costs a topic string and room; a producer that reads only failures
    /// skips it). Report ids are the messages' ids.
    ///
    /// `flushing` (callback mode): serve through `rd_kafka_flush` instead, which makes librdkafka send the batches
    /// still lingering (`linger.ms`) at once, and returns when everything is delivered or the timeout passed.
    @discardableResult
    func serveDeliveryReports(
        timeoutMilliseconds: Int32,
        flushing: Bool = false,
        streamSuccesses: Bool,
        _ body: (DeliveryReportBatch) -> Void
    ) -> Int {
        if reportsByCallback {
            return withoutActuallyEscaping(body) { body in
                serveReportCallbacks(
                    timeoutMilliseconds: timeoutMilliseconds,
                    flushing: flushing,
                    streamSuccesses: streamSuccesses,
                    body
                )
            }
        }
        var served = 0
        var timeout = timeoutMilliseconds
        while let event = rd_kafka_queue_poll(queue, timeout) {
            timeout = 0
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR else {
                _ = callbacks.serveLogOrError(event, rk: pointer)
                continue
            }
            // Per event: the event's messages keep their topic alive, so a cached pointer cannot be reused.
            var batch = DeliveryReportBatch(
                streamSuccesses: streamSuccesses,
                initialCapacity: rd_kafka_event_message_count(event)
            )
            withUnsafeTemporaryAllocation(of: UnsafePointer<rd_kafka_message_t>?.self, capacity: 256) { buffer in
                while true {
                    let count = rd_kafka_event_message_array(event, buffer.baseAddress, buffer.count)
                    if count == 0 { break }
                    served += count
                    for i in 0..<count {
                        guard let message = buffer[i] else { continue }
                        batch.add(message, from: self)
                    }
                }
            }
            if !batch.isEmpty { body(batch) }
        }
        return served
    }

    /// ``serveDeliveryReports(timeoutMilliseconds:flushing:streamSuccesses:_:)`` in callback mode: one
    /// `rd_kafka_poll` (or `rd_kafka_flush`), whose `dr_msg_cb` calls fill a collector that lives on this thread's
    /// stack for the call. Only the thread holding the producer's serving flag polls, so the collector has one user.
    private func serveReportCallbacks(
        timeoutMilliseconds: Int32,
        flushing: Bool,
        streamSuccesses: Bool,
        _ body: @escaping (DeliveryReportBatch) -> Void
    ) -> Int {
        var collector = DeliveryReportCollector(
            client: self,
            batch: DeliveryReportBatch(streamSuccesses: streamSuccesses, initialCapacity: 128),
            emit: body
        )
        withUnsafeMutablePointer(to: &collector) { collector in
            callbacks.deliveryReportCollector = collector
            defer { callbacks.deliveryReportCollector = nil }
            if flushing {
                // In callback mode librdkafka's flush serves the queue itself (rd_kafka_poll), on this thread.
                _ = rd_kafka_flush(pointer, timeoutMilliseconds)
            } else {
                _ = rd_kafka_poll(pointer, timeoutMilliseconds)
            }
        }
        collector.emitCollected()
        return collector.served
    }

    @inline(__always)
    func deliveryReport(
        _ message: UnsafePointer<rd_kafka_message_t>,
        id: UInt64,
        topicCache: inout (OpaquePointer, String)?
    ) -> KafkaDeliveryReport {
        let m = message.pointee
        let id = KafkaProducerMessageID(rawValue: id)
        var topic = ""
        if let rkt = m.rkt {
            if let cached = topicCache, cached.0 == rkt {
                topic = cached.1
            } else {
                topic = String(cString: rd_kafka_topic_name(rkt))
                topicCache = (rkt, topic)
            }
        }
        let partition = KafkaPartition(rawValue: m.partition)
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            var message: String? = nil
            if m.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, let hint = callbacks.connectionFailureHint(within: hintWindow)
            {
                message = "\(String(cString: rd_kafka_err2str(m.err))); the brokers could not be reached: \(hint)"
            }
            return KafkaDeliveryReport(
                id: id,
                result: .failure(KafkaError.librdkafka(m.err, message: message, topic: topic, partition: partition))
            )
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(message, &type)
        return KafkaDeliveryReport(
            id: id,
            result: .success(
                KafkaDelivery(
                    topic: topic,
                    partition: partition,
                    offset: KafkaOffset(rawValue: m.offset),
                    timestamp: ts >= 0 ? KafkaTimestamp(millisecondsSinceEpoch: ts) : nil,
                    timestampType: type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .createTime
                )
            )
        )
    }

    /// Fails every message not yet delivered (`rd_kafka_purge`); their reports follow through the queue.
    func purgeOutstanding() {
        _ = rd_kafka_purge(pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
    }
}

/// Where a produced message's delivery report goes, kept in the two low bits of its librdkafka opaque, with the
/// message's id above them.
@usableFromInline
enum ReportRoute {
    /// The report stream (a fire-and-forget message).
    @inlinable
    static func stream(_ id: UInt64) -> UInt64 { id << 2 }

    /// The send awaiting it.
    @inlinable
    static func awaiting(_ id: UInt64) -> UInt64 { id << 2 | 1 }

    /// The report stream, and the open span of a traced fire-and-forget message, which the report ends.
    @inlinable
    static func spanned(_ id: UInt64) -> UInt64 { id << 2 | 2 }
}

/// Delivery reports sorted by where they go (``ReportRoute``).
struct DeliveryReportBatch {
    /// For the report stream: failures, and successes when ``streamSuccesses``.
    var streamed: [KafkaDeliveryReport] = []
    /// For awaiting sends.
    var awaited: [KafkaDeliveryReport] = []
    /// The reports of messages whose spans they end (successes and failures; a failure is in ``streamed`` too).
    var spanned: [KafkaDeliveryReport] = []
    let streamSuccesses: Bool
    /// The room an array is given when its first report comes (then it grows as arrays do, up to ``chunk`` in
    /// callback mode).
    let initialCapacity: Int
    /// Within one event or poll, a topic pointer names one topic: every reported message holds its topic from
    /// before the batch was taken, so no address is freed and reused for another topic among them.
    private var topicCache: (OpaquePointer, String)? = nil

    /// Reports handed over at a time in callback mode: a poll can report hundreds of thousands, and one array
    /// growing to that size made the `reports` benchmark 3-7 % slower than the event API on 2.16.
    static let chunk = 1_024

    init(streamSuccesses: Bool, initialCapacity: Int) {
        self.streamSuccesses = streamSuccesses
        self.initialCapacity = initialCapacity
    }

    var count: Int { streamed.count + awaited.count + spanned.count }
    var isEmpty: Bool { count == 0 }

    /// Sorts one message's report in (building it only when someone takes it).
    @inline(__always)
    mutating func add(_ message: UnsafePointer<rd_kafka_message_t>, from client: RDKafkaClient) {
        let opaque = UInt64(UInt(bitPattern: message.pointee._private))
        let id = opaque >> 2
        let room = initialCapacity
        if opaque & 1 != 0 {
            Self.append(client.deliveryReport(message, id: id, topicCache: &topicCache), to: &awaited, room: room)
            return
        }
        let wanted = streamSuccesses || message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR
        if opaque & 2 != 0 {
            let report = client.deliveryReport(message, id: id, topicCache: &topicCache)
            Self.append(report, to: &spanned, room: room)
            if wanted { Self.append(report, to: &streamed, room: room) }
        } else if wanted {
            Self.append(client.deliveryReport(message, id: id, topicCache: &topicCache), to: &streamed, room: room)
        }
    }

    @inline(__always)
    private static func append(_ report: KafkaDeliveryReport, to reports: inout [KafkaDeliveryReport], room: Int) {
        if reports.capacity == 0 { reports.reserveCapacity(room) }
        reports.append(report)
    }

    /// Empties the batch for the next chunk (the arrays handed over are the taker's).
    mutating func reset() {
        streamed = []
        awaited = []
        spanned = []
    }
}

/// The delivery reports of one `rd_kafka_poll` of a producer in callback mode, filled by its `dr_msg_cb`
/// trampoline, which reaches it through ``RDKafkaCallbacks/deliveryReportCollector``.
struct DeliveryReportCollector {
    unowned(unsafe) let client: RDKafkaClient
    private var batch: DeliveryReportBatch
    /// Takes the reports collected so far: every ``DeliveryReportBatch/chunk`` reports, and at the poll's end.
    let emit: (DeliveryReportBatch) -> Void
    private(set) var served = 0

    init(client: RDKafkaClient, batch: DeliveryReportBatch, emit: @escaping (DeliveryReportBatch) -> Void) {
        self.client = client
        self.batch = batch
        self.emit = emit
    }

    /// Hands the reports collected so far to ``emit``, if any.
    mutating func emitCollected() {
        guard !batch.isEmpty else { return }
        emit(batch)
        batch.reset()
    }

    /// One message's report.
    ///
    /// The common report of a busy fire-and-forget producer (a success nobody streams or awaits) is counted and
    /// nothing else: the rest, which loads the client (a retain and release per report, measured at ~3 % of the
    /// sending thread) and builds reports, is apart.
    @inline(__always)
    mutating func collect(_ message: UnsafePointer<rd_kafka_message_t>) {
        served += 1
        let routeBits = UInt(bitPattern: message.pointee._private) & 3
        if routeBits == 0, !batch.streamSuccesses, message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
        collectReport(message)
    }

    @inline(never)
    private mutating func collectReport(_ message: UnsafePointer<rd_kafka_message_t>) {
        batch.add(message, from: client)
        if batch.count >= DeliveryReportBatch.chunk { emitCollected() }
    }
}
