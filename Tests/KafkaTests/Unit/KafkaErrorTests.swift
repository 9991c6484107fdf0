import Testing

@testable import Kafka

@Suite("KafkaError")
struct KafkaErrorTests {
    @Test("librdkafka codes keep their number and name")
    func codeNames() {
        #expect(KafkaError.Code.messageTimedOut.name == "_MSG_TIMED_OUT")
        #expect(KafkaError.Code.messageTimedOut.rdKafkaCode == -192)
        #expect(KafkaError.Code.unknownTopicOrPartition.name == "UNKNOWN_TOPIC_OR_PART")
        #expect(KafkaError.Code.notLeaderForPartition.rdKafkaCode == 6)
        #expect(KafkaError.Code.invalidConfiguration.rdKafkaCode == nil)
        #expect(KafkaError.Code(rdKafkaCode: 6) == .notLeaderForPartition)
    }

    @Test("retriable and fatal follow the code")
    func flags() {
        let timeout = KafkaError.librdkafka(code: -192)
        #expect(timeout.isRetriable)
        #expect(!timeout.isFatal)
        #expect(timeout.message.lowercased().contains("timed out"))
        let tooLarge = KafkaError.librdkafka(code: KafkaError.Code.messageTooLarge.rdKafkaCode ?? 0)
        #expect(!tooLarge.isRetriable)
        let fatal = KafkaError.librdkafka(code: KafkaError.Code.fatal.rdKafkaCode ?? 0)
        #expect(fatal.isFatal)
    }

    @Test("the description names code, topic and partition")
    func description() {
        var error = KafkaError.librdkafka(code: 6)
        error.topic = "orders"
        error.partition = 3
        #expect(error.description.contains("NOT_LEADER_FOR_PARTITION"))
        #expect(error.description.contains("topic: orders"))
        #expect(error.description.contains("partition: 3"))
        #expect(error.description.contains("retriable"))
    }
}
