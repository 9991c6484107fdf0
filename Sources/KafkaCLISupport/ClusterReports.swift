public import Kafka

/// The texts `kafka-tail -L`, `-Q`, `--lag` and `--reset-offsets` print, as pure functions of what the cluster said.
public enum ClusterReports {
    /// `-L`: brokers, then one row per partition (leader, replicas, in-sync replicas).
    public static func metadataTable(_ metadata: KafkaClusterMetadata) -> String {
        var text = "Metadata from broker \(metadata.originatingBrokerName)"
        if metadata.controllerID >= 0 { text += ", controller \(metadata.controllerID)" }
        text += ":\n\n"
        var brokers = TextTable(header: ["BROKER", "ADDRESS"])
        for broker in metadata.brokers.sorted(by: { $0.id < $1.id }) {
            brokers.rows.append(["\(broker.id)", "\(broker.host):\(broker.port)"])
        }
        text += brokers.render() + "\n"
        var topics = TextTable(header: ["TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISRS", "ERROR"])
        for topic in metadata.topics.sorted(by: { $0.name < $1.name }) {
            if let error = topic.error {
                topics.rows.append([topic.name, "-", "-", "-", "-", error.name])
                continue
            }
            for partition in topic.partitions {
                topics.rows.append([
                    topic.name,
                    "\(partition.id.rawValue)",
                    "\(partition.leader)",
                    partition.replicas.map(String.init).joined(separator: ","),
                    partition.inSyncReplicas.map(String.init).joined(separator: ","),
                    partition.error?.name ?? "",
                ])
            }
        }
        text += trimEmptyLastColumn(topics.render())
        return text
    }

    private static func trimEmptyLastColumn(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = Substring(line)
            while line.last == " " { line = line.dropLast() }
            return String(line)
        }.joined(separator: "\n")
    }

    /// `-L -J`: kcat's metadata JSON (`originating_broker`, `query`, `controllerid`, `brokers`, `topics`).
    public static func metadataJSON(_ metadata: KafkaClusterMetadata, query: String?) -> String {
        var out: [UInt8] = []
        JSONWriter.appendRaw("{\"originating_broker\":{\"id\":", to: &out)
        appendDecimal(Int64(metadata.originatingBrokerID), to: &out)
        JSONWriter.appendRaw(",\"name\":", to: &out)
        JSONWriter.appendString(metadata.originatingBrokerName, to: &out)
        JSONWriter.appendRaw("},\"query\":{\"topic\":", to: &out)
        JSONWriter.appendString(query ?? "*", to: &out)
        JSONWriter.appendRaw("},\"controllerid\":", to: &out)
        appendDecimal(Int64(metadata.controllerID), to: &out)
        JSONWriter.appendRaw(",\"brokers\":[", to: &out)
        for (i, broker) in metadata.brokers.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendRaw("{\"id\":", to: &out)
            appendDecimal(Int64(broker.id), to: &out)
            JSONWriter.appendRaw(",\"name\":", to: &out)
            JSONWriter.appendString("\(broker.host):\(broker.port)", to: &out)
            out.append(UInt8(ascii: "}"))
        }
        JSONWriter.appendRaw("],\"topics\":[", to: &out)
        for (i, topic) in metadata.topics.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendRaw("{\"topic\":", to: &out)
            JSONWriter.appendString(topic.name, to: &out)
            if let error = topic.error {
                JSONWriter.appendRaw(",\"error\":", to: &out)
                JSONWriter.appendString(error.name, to: &out)
            }
            JSONWriter.appendRaw(",\"partitions\":[", to: &out)
            for (j, partition) in topic.partitions.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendRaw("{\"partition\":", to: &out)
                appendDecimal(Int64(partition.id.rawValue), to: &out)
                if let error = partition.error {
                    JSONWriter.appendRaw(",\"error\":", to: &out)
                    JSONWriter.appendString(error.name, to: &out)
                }
                JSONWriter.appendRaw(",\"leader\":", to: &out)
                appendDecimal(Int64(partition.leader), to: &out)
                JSONWriter.appendRaw(",\"replicas\":[", to: &out)
                appendIDs(partition.replicas, to: &out)
                JSONWriter.appendRaw("],\"isrs\":[", to: &out)
                appendIDs(partition.inSyncReplicas, to: &out)
                JSONWriter.appendRaw("]}", to: &out)
            }
            JSONWriter.appendRaw("]}", to: &out)
        }
        JSONWriter.appendRaw("]}\n", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendIDs(_ ids: [Int32], to out: inout [UInt8]) {
        for (k, id) in ids.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendRaw("{\"id\":", to: &out)
            appendDecimal(Int64(id), to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// One row of `-Q`: a partition's watermarks and, when asked, the offset for a timestamp.
    public struct OffsetsRow: Equatable, Sendable {
        /// The partition.
        public var partition: KafkaTopicPartition
        /// The partition's low and high watermarks.
        public var watermarks: KafkaWatermarks
        /// The offset of the first message at or after the asked time; ``KafkaOffset/end`` when none is.
        public var offsetForTime: KafkaOffset?

        /// A row.
        public init(partition: KafkaTopicPartition, watermarks: KafkaWatermarks, offsetForTime: KafkaOffset? = nil) {
            self.partition = partition
            self.watermarks = watermarks
            self.offsetForTime = offsetForTime
        }
    }

    /// `-Q`: low and high watermark (and message count) per partition, plus the offset for `-o s@ts`.
    public static func offsetsTable(_ rows: [OffsetsRow], timestamp: KafkaTimestamp?) -> String {
        var header = ["TOPIC", "PARTITION", "LOW", "HIGH", "MESSAGES"]
        if let timestamp { header.append("OFFSET@\(timestamp.millisecondsSinceEpoch)") }
        var table = TextTable(header: header)
        for row in rows {
            var cells = [
                row.partition.topic, "\(row.partition.partition.rawValue)", "\(row.watermarks.low.rawValue)",
                "\(row.watermarks.high.rawValue)", "\(row.watermarks.count)",
            ]
            if timestamp != nil {
                let offset = row.offsetForTime ?? .end
                cells.append(offset.rawValue >= 0 ? "\(offset.rawValue)" : "end")
            }
            table.rows.append(cells)
        }
        return table.render()
    }

    /// `-Q -J`: one JSON object per line `{"topic","partition","low","high"[,"offset"]}` (`offset` -1 when no
    /// message is that recent).
    public static func offsetsJSON(_ rows: [OffsetsRow]) -> String {
        var text = ""
        for row in rows {
            var out: [UInt8] = []
            JSONWriter.appendRaw("{\"topic\":", to: &out)
            JSONWriter.appendString(row.partition.topic, to: &out)
            JSONWriter.appendRaw(",\"partition\":", to: &out)
            appendDecimal(Int64(row.partition.partition.rawValue), to: &out)
            JSONWriter.appendRaw(",\"low\":", to: &out)
            appendDecimal(row.watermarks.low.rawValue, to: &out)
            JSONWriter.appendRaw(",\"high\":", to: &out)
            appendDecimal(row.watermarks.high.rawValue, to: &out)
            if let offset = row.offsetForTime {
                JSONWriter.appendRaw(",\"offset\":", to: &out)
                appendDecimal(max(offset.rawValue, -1), to: &out)
            }
            out.append(UInt8(ascii: "}"))
            text += String(decoding: out, as: UTF8.self) + "\n"
        }
        return text
    }

    /// `--lag`: committed offset, high watermark and lag per partition, and the total.
    public static func lagTable(_ rows: [KafkaPartitionLag], group: String) -> String {
        var table = TextTable(header: ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "HIGH", "LAG"])
        for row in rows {
            table.rows.append([
                group, row.partition.topic, "\(row.partition.partition.rawValue)",
                row.committed.rawValue >= 0 ? "\(row.committed.rawValue)" : "-",
                "\(row.watermarks.high.rawValue)", "\(row.lag)",
            ])
        }
        return table.render() + "total lag: \(rows.reduce(0) { $0 + $1.lag })\n"
    }

    /// `--lag -J`: one JSON object per line `{"group","topic","partition","committed","high","lag"}`
    /// (`committed` -1 when none).
    public static func lagJSON(_ rows: [KafkaPartitionLag], group: String) -> String {
        var text = ""
        for row in rows {
            var out: [UInt8] = []
            JSONWriter.appendRaw("{\"group\":", to: &out)
            JSONWriter.appendString(group, to: &out)
            JSONWriter.appendRaw(",\"topic\":", to: &out)
            JSONWriter.appendString(row.partition.topic, to: &out)
            JSONWriter.appendRaw(",\"partition\":", to: &out)
            appendDecimal(Int64(row.partition.partition.rawValue), to: &out)
            JSONWriter.appendRaw(",\"committed\":", to: &out)
            appendDecimal(max(row.committed.rawValue, -1), to: &out)
            JSONWriter.appendRaw(",\"high\":", to: &out)
            appendDecimal(row.watermarks.high.rawValue, to: &out)
            JSONWriter.appendRaw(",\"lag\":", to: &out)
            appendDecimal(row.lag, to: &out)
            out.append(UInt8(ascii: "}"))
            text += String(decoding: out, as: UTF8.self) + "\n"
        }
        return text
    }

    /// `--reset-offsets`: current committed offset and the new one per partition, and what happened.
    public static func resetTable(_ plan: KafkaOffsetResetPlan) -> String {
        var table = TextTable(header: ["GROUP", "TOPIC", "PARTITION", "CURRENT", "NEW"])
        for move in plan.moves {
            table.rows.append([
                plan.group, move.partition.topic, "\(move.partition.partition.rawValue)",
                move.current.rawValue >= 0 ? "\(move.current.rawValue)" : "-", "\(move.new.rawValue)",
            ])
        }
        return table.render()
            + (plan.executed
                ? "committed the new offsets for group \(plan.group)\n"
                : "dry run: nothing committed (add --execute to commit the new offsets)\n")
    }
}
