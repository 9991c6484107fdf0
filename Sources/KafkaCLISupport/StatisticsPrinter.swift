public import Kafka

/// `--stats`: librdkafka's statistics on stderr, a summary line per snapshot or (with `-J`) the raw JSON document.
public enum StatisticsPrinter {
    /// Prints each snapshot of `statistics` until the sequence ends (the client closed).
    public static func run(_ statistics: KafkaStatisticsSequence, json: Bool) async {
        for await snapshot in statistics {
            printError(json ? snapshot.json : summary(snapshot))
        }
    }

    /// One line: what the client moved, what waits in its queues, the lag of the partitions it reads, and its
    /// brokers' state and round trips.
    public static func summary(_ s: KafkaStatistics) -> String {
        var parts: [String] = []
        if s.type == "producer" {
            parts.append("sent \(s.messagesSent) msgs (\(bytes(s.messageBytesSent)))")
            parts.append("queued \(s.queuedMessages) msgs (\(bytes(s.queuedBytes)))")
        } else {
            parts.append("received \(s.messagesReceived) msgs (\(bytes(s.messageBytesReceived)))")
            var lags: [String] = []
            var total: Int64 = 0
            for topic in s.topics {
                for partition in topic.partitions where partition.isDesired {
                    let lag = partition.consumerLag ?? partition.consumerLagStored
                    lags.append("\(topic.name)[\(partition.partition)]=\(lag.map(String.init) ?? "-")")
                    total += lag ?? 0
                }
            }
            if !lags.isEmpty {
                parts.append(
                    "lag \(total) (" + lags.prefix(8).joined(separator: " ") + (lags.count > 8 ? " ...)" : ")")
                )
            }
            if let group = s.consumerGroup {
                parts.append("group \(group.state)/\(group.joinState), \(group.assignmentSize) partitions")
            }
        }
        // The brokers themselves: not the bootstrap entries (node id -1), nor the logical coordinator connections.
        let brokers = s.brokers.filter { $0.nodeID >= 0 && $0.source != "logical" && $0.source != "internal" }
        let up = brokers.filter { $0.state == "UP" }
        var brokerPart = "brokers \(up.count)/\(brokers.count) up"
        let rtts = up.filter { $0.roundTrip.count > 0 }
        if let worst = rtts.map(\.roundTrip.p99).max() {
            let average = rtts.map(\.roundTrip.average).reduce(.zero, +) / rtts.count
            brokerPart += ", rtt avg \(milliseconds(average)) p99 \(milliseconds(worst))"
        }
        parts.append(brokerPart)
        return "stats: " + parts.joined(separator: ", ")
    }

    private static func bytes(_ count: Int64) -> String {
        count >= 1_000_000
            ? "\(count / 1_000_000).\(count % 1_000_000 / 100_000) MB"
            : count >= 1_000 ? "\(count / 1_000).\(count % 1_000 / 100) kB" : "\(count) B"
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        return "\(micros / 1_000).\(micros % 1_000 / 100) ms"
    }
}

extension StatisticsPrinter {
    /// Waits for `printer` (which ends once the client's handle is destroyed) for at most `timeout`: the last line
    /// is then whole, and a handle whose destruction hangs does not hold the exit.
    public static func finish(_ printer: Task<Void, Never>?, within timeout: Duration) async {
        guard let printer else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await printer.value }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
