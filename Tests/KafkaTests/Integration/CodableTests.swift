import Foundation
import Kafka
import KafkaTesting
import Testing

private struct Order: Codable, Equatable {
    var id: Int
    var customer: String
    var total: Double
}

@Suite("Typed keys and values", .timeLimit(.minutes(1)))
struct CodableTests {
    @Test("Codable values go out as JSON and come back decoded; Data and String keys work too")
    func codableRoundTrip() async throws {
        try await withKafkaTestCluster(brokers: 1) { cluster in
            let topic = uniqueName("codable")
            try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]),
                logger: testLogger
            )
            let orders = [Order(id: 1, customer: "ana", total: 9.5), Order(id: 2, customer: "bo", total: 12)]
            for order in orders {
                _ = try await producer.send(
                    try KafkaProducerMessage(topic: topic, key: "order-\(order.id)", encoding: order)
                )
            }
            let sorted = JSONEncoder()
            sorted.outputFormatting = .sortedKeys
            _ = try await producer.send(
                try KafkaProducerMessage(topic: topic, key: Data([0xFF, 0x00]), encoding: orders[0], encoder: sorted)
            )
            _ = try await producer.send(KafkaProducerMessage.tombstone(topic: topic, key: "order-1"))
            await producer.close()

            var config = KafkaConsumerConfiguration(
                bootstrapServers: [cluster.bootstrapServers],
                consumptionStrategy: .topics([topic], startingAt: .beginning)
            )
            config.stopAtEndOfPartitions = true
            let consumer = try KafkaConsumer(configuration: config, logger: testLogger)
            var messages: [KafkaConsumerMessage] = []
            for try await message in consumer.messages { messages.append(message) }
            await consumer.close()

            #expect(messages.count == 4)
            #expect(try messages[0].decodeValue(as: Order.self) == orders[0])
            #expect(try messages[1].decodeValue(as: Order.self) == orders[1])
            #expect(messages[1].keyString == "order-2")
            #expect(messages[2].keyBytes == [0xFF, 0x00])
            #expect(
                messages[2].valueString == #"{"customer":"ana","id":1,"total":9.5}"#,
                "the swapped encoder was used"
            )
            let error = try #require(throws: KafkaError.self) { try messages[3].decodeValue(as: Order.self) }
            #expect(error.code == .missingValue)
            #expect(throws: DecodingError.self) { try messages[0].decodeValue(as: [String].self) }
        }
    }
}
