import Kafka
import KafkaCLISupport

/// Renders messages as the flags ask: -J, -f, -K/-D, or the payload per line.
struct OutputFormatter: Sendable {
    private let format: MessageFormat?
    private let null: [UInt8]

    init(command: KafkaTail) {
        null = command.printNull ? Array("NULL".utf8) : []
        if command.json {
            format = nil
        } else if let text = command.format {
            format = try? MessageFormat(text)  // validated already
        } else {
            let delimiter = (try? command.delimiter.map(unescape)) ?? nil ?? [0x0A]
            if let keyDelimiter = command.keyDelimiter, let key = try? unescape(keyDelimiter) {
                format = .keyed(keyDelimiter: key, messageDelimiter: delimiter)
            } else {
                format = .payload(messageDelimiter: delimiter)
            }
        }
    }

    func render(_ message: KafkaConsumerMessage, broker: Int32, into buffer: inout [UInt8]) {
        if let format {
            format.render(message, null: null, into: &buffer)
        } else {
            MessageEnvelope.append(message, broker: broker, to: &buffer)
            buffer.append(0x0A)
        }
    }
}
