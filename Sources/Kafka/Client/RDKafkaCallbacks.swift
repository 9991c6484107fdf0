internal import CLibrdkafka
import Logging
import Synchronization

/// What librdkafka's callbacks report to the consumer, already translated.
enum ClientNotification: Sendable {
    case assigned([KafkaTopicPartition])
    case revoked([KafkaTopicPartition])
    case lost([KafkaTopicPartition])
    /// A commit failed (reported by the offset-commit callback, for background and explicit commits alike).
    case commitFailed(KafkaError)
    /// A client-level error that is not fatal.
    case error(KafkaError)
}

/// The Swift side of librdkafka's callbacks, reached through the handle's opaque pointer.
///
/// librdkafka calls these only from threads that poll the handle (`log.queue=true` keeps log lines off its
/// internal threads), i.e. from the library's own poll thread, or from `rd_kafka_new`/`rd_kafka_destroy`.
final class RDKafkaCallbacks: Sendable {
    let logger: Logger
    private let observer = Mutex<(@Sendable (ClientNotification) -> Void)?>(nil)
    /// Asked, as partitions are being assigned, where each should start (the consumer runs its assign hook there).
    private let startOffsetsProvider = Mutex<
        (@Sendable ([KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset])?
    >(nil)
    private let fatalError = Mutex<KafkaError?>(nil)
    private let statisticsHandler = Mutex<StatisticsHandler?>(nil)
    private let tokenRefresh = Mutex<(@Sendable () -> Void)?>(nil)
    /// Why connections fail (see ``ConnectionFailures``).
    let connectionFailures = Mutex(ConnectionFailures())
    /// Where a producer's `dr_msg_cb` puts reports: set by the thread serving the main queue for the length of
    /// its `rd_kafka_poll`, the only call that runs that callback (see `RDKafkaClient.serveDeliveryReports`).
    /// nonisolated(unsafe): written and read by that thread only, while it holds the producer's serving flag.
    nonisolated(unsafe) var deliveryReportCollector: UnsafeMutablePointer<DeliveryReportCollector>? = nil

    /// Where statistics documents go, and what to call once the handle is gone.
    struct StatisticsHandler: Sendable {
        let publish: @Sendable (String) -> Void
        let finish: @Sendable () -> Void
    }

    init(logger: Logger) {
        self.logger = logger
    }

    func setObserver(_ observer: @escaping @Sendable (ClientNotification) -> Void) {
        self.observer.withLock { $0 = observer }
    }

    func setStartOffsetsProvider(
        _ provider: @escaping @Sendable ([KafkaTopicPartition]) -> [KafkaTopicPartition: KafkaOffset]
    ) {
        startOffsetsProvider.withLock { $0 = provider }
    }

    /// Sends each statistics document (`stats_cb`, on the polling thread) to `publish`; `onFinish` runs once the
    /// handle is destroyed.
    func setStatisticsHandler(
        _ publish: @escaping @Sendable (String) -> Void,
        onFinish: @escaping @Sendable () -> Void
    ) {
        statisticsHandler.withLock { $0 = StatisticsHandler(publish: publish, finish: onFinish) }
    }

    /// Ends the statistics (the handle was destroyed): no document comes after this.
    func finishStatistics() {
        let handler = statisticsHandler.withLock { handler in
            defer { handler = nil }
            return handler
        }
        handler?.finish()
    }

    func statistics(_ json: UnsafeRawBufferPointer) {
        statistics(String(decoding: json, as: UTF8.self))
    }

    func statistics(_ json: String) {
        guard let handler = statisticsHandler.withLock({ $0 }) else { return }
        handler.publish(json)
    }

    /// What to do when librdkafka asks for an OAUTHBEARER token (on the polling thread; must not block).
    func setTokenRefresh(_ refresh: @escaping @Sendable () -> Void) {
        tokenRefresh.withLock { $0 = refresh }
    }

    func tokenRefreshRequested() {
        guard let refresh = tokenRefresh.withLock({ $0 }) else {
            logger.error("librdkafka asked for an OAUTHBEARER token, but no token provider is configured")
            return
        }
        refresh()
    }

    func removeObserver() {
        observer.withLock { $0 = nil }
        startOffsetsProvider.withLock { $0 = nil }
    }

    func notify(_ notification: ClientNotification) {
        let observer = self.observer.withLock { $0 }
        observer?(notification)
    }

    /// The fatal error the client raised, if any; once set, the client can no longer produce or consume.
    var raisedFatalError: KafkaError? {
        fatalError.withLock { $0 }
    }

    func recordFatalError(_ error: KafkaError) {
        fatalError.withLock { if $0 == nil { $0 = error } }
    }

    /// Maps librdkafka's syslog levels to swift-log's.
    static func logLevel(syslogLevel: Int32) -> Logger.Level {
        switch syslogLevel {
        case ...2: return .critical
        case 3: return .error
        case 4: return .warning
        case 5: return .notice
        case 6: return .info
        default: return .debug
        }
    }

    /// librdkafka's `log_level` for the most verbose level `logger` prints, so nothing is formatted for nothing.
    static func syslogLevel(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}

extension RDKafkaCallbacks {
    static func from(_ rk: OpaquePointer?) -> RDKafkaCallbacks? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Forwards one librdkafka log line to the logger.
    func log(level: Int32, facility: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?) {
        let fac = facility.map { String(cString: $0) } ?? ""
        let text = message.map { String(cString: $0) } ?? ""
        logger.log(
            level: RDKafkaCallbacks.logLevel(syslogLevel: level),
            "\(text)",
            metadata: [KafkaLoggingKeys.facility: "\(fac)"]
        )
    }

    /// Handles a client-level error: logs it, and records a fatal one.
    func error(rk: OpaquePointer, err: rd_kafka_resp_err_t, reason: UnsafePointer<CChar>?) {
        let text = reason.map { String(cString: $0) } ?? ""
        if err == RD_KAFKA_RESP_ERR__FATAL {
            var buffer = [CChar](repeating: 0, count: 512)
            let original = rd_kafka_fatal_error(rk, &buffer, buffer.count)
            let error = KafkaError.librdkafka(original, message: String(nulTerminated: buffer), isFatal: true)
            recordFatalError(error)
            logger.critical("fatal error: \(error)")
        } else {
            let message = Self.isConnectionFailure(err) ? connectionFailure(err, text) : text
            // A failed connection is already in librdkafka's own log line (FAIL); keep it out of warnings twice.
            let level: Logger.Level =
                err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
                ? .error : err == RD_KAFKA_RESP_ERR__TRANSPORT ? .debug : .warning
            logger.log(
                level: level,
                "\(message)",
                metadata: [KafkaLoggingKeys.errorCode: "\(String(cString: rd_kafka_err2name(err)))"]
            )
            notify(.error(KafkaError.librdkafka(err, message: message)))
        }
    }

    /// Serves a log or error event (queues polled with the event API return them as events, not callbacks).
    /// Returns whether the event was one of those.
    func serveLogOrError(_ event: OpaquePointer, rk: OpaquePointer) -> Bool {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_LOG:
            var facility: UnsafePointer<CChar>? = nil
            var text: UnsafePointer<CChar>? = nil
            var level: Int32 = 7
            if rd_kafka_event_log(event, &facility, &text, &level) == 0 {
                log(level: level, facility: facility, message: text)
            }
            return true
        case RD_KAFKA_EVENT_ERROR:
            error(rk: rk, err: rd_kafka_event_error(event), reason: rd_kafka_event_error_string(event))
            return true
        case RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH:
            tokenRefreshRequested()
            return true
        case RD_KAFKA_EVENT_STATS:
            // The event API returns statistics as events (the callback serves only rd_kafka_poll's callers).
            if let json = rd_kafka_event_stats(event) {
                statistics(String(cString: json))
            }
            return true
        default:
            return false
        }
    }

    /// Installs the C trampolines on `conf`; `self` must outlive the handle made from it.
    func install(on conf: OpaquePointer, rebalance: Bool) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            RDKafkaCallbacks.from(rk)?.log(level: level, facility: facility, message: message)
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, _ in
            guard let rk, let callbacks = RDKafkaCallbacks.from(rk) else { return }
            callbacks.error(rk: rk, err: rd_kafka_resp_err_t(rawValue: err), reason: reason)
        }
        installCertificateCheck(on: conf)
        rd_kafka_conf_set_stats_cb(conf) { rk, json, length, _ in
            guard let json, let callbacks = RDKafkaCallbacks.from(rk) else { return 0 }
            callbacks.statistics(UnsafeRawBufferPointer(start: json, count: length))
            return 0  // librdkafka frees the document
        }
        if rebalance {
            installConsumerCallbacks(on: conf)
        }
    }

    private func installConsumerCallbacks(on conf: OpaquePointer) {
        rd_kafka_conf_set_offset_commit_cb(conf) { rk, err, offsets, _ in
            guard let callbacks = RDKafkaCallbacks.from(rk) else { return }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET {
                callbacks.logger.trace("offsets committed")
            } else {
                let list = RDKafkaTopicPartitionList.read(offsets).map { "\($0.0)@\($0.1)" }
                let message = "offset commit failed: \(String(cString: rd_kafka_err2str(err)))"
                callbacks.logger.warning("\(message)", metadata: [KafkaLoggingKeys.partitions: "\(list)"])
                callbacks.notify(.commitFailed(KafkaError.librdkafka(err, message: "\(message) for \(list)")))
            }
        }
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, _ in
            guard let rk, let callbacks = RDKafkaCallbacks.from(rk) else { return }
            callbacks.rebalance(rk: rk, err: err, partitions: partitions)
        }
    }

    /// Applies a rebalance: observers hear of an assignment after it is applied, and of a revocation before the
    /// partitions are given up (so state for them can still be committed).
    func rebalance(
        rk: OpaquePointer,
        err: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        let tps = RDKafkaTopicPartitionList.read(partitions).map(\.0)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.debug("partitions assigned", metadata: [KafkaLoggingKeys.partitions: "\(tps)"])
            // Start offsets asked for while the partitions are assigned go into the assignment itself: a seek
            // after the assign can be overtaken by the committed offset librdkafka fetches for the partition.
            let starts = startOffsetsProvider.withLock { $0 }?(tps) ?? [:]
            if !starts.isEmpty, let partitions {
                for i in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[i]
                    let key = KafkaTopicPartition(
                        topic: String(cString: element.topic),
                        partition: KafkaPartition(rawValue: element.partition)
                    )
                    if let offset = starts[key] { partitions.pointee.elems[i].offset = offset.rawValue }
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    logger.error("incremental assign failed: \(KafkaError(consuming: error))")
                }
            } else {
                let result = rd_kafka_assign(rk, partitions)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.error("assign failed: \(KafkaError.librdkafka(result))")
                }
            }
            notify(.assigned(tps))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.debug(
                lost ? "partitions lost" : "partitions revoked",
                metadata: [KafkaLoggingKeys.partitions: "\(tps)"]
            )
            notify(lost ? .lost(tps) : .revoked(tps))
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) {
                    logger.error("incremental unassign failed: \(KafkaError(consuming: error))")
                }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        default:
            logger.error("rebalance error: \(KafkaError.librdkafka(err))")
            _ = rd_kafka_assign(rk, nil)
            notify(.lost(tps))
        }
    }
}
