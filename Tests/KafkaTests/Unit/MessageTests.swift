import Kafka
import NIOCore
import Testing

@Suite("Message value types")
struct MessageTests {
    @Test("logical offsets print and compare")
    func offsets() {
        #expect(KafkaOffset.beginning.description == "beginning")
        #expect(KafkaOffset.tail(5).description == "tail(5)")
        #expect(KafkaOffset(42).isAbsolute)
        #expect(!KafkaOffset.end.isAbsolute)
    }

    @Test("headers keep nil apart from empty")
    func headers() {
        #expect(KafkaHeader(key: "a", value: nil).valueString == nil)
        #expect(KafkaHeader(key: "a", value: "").valueString == "")
        #expect(KafkaHeader(key: "a", bytes: [0xFF]).value?.readableBytes == 1)
    }

    @Test("contiguous bytes of every key/value type")
    func contiguousBytes() {
        func bytes(_ value: some KafkaContiguousBytes) -> [UInt8] { value.withUnsafeBytes { Array($0) } }
        #expect(bytes("hé") == Array("hé".utf8))
        #expect(bytes("abc".dropFirst()) == Array("bc".utf8))
        #expect(bytes([1, 2, 3] as [UInt8]) == [1, 2, 3])
        #expect(bytes(ByteBuffer(bytes: [9, 8])) == [9, 8])
        #expect(bytes("") == [])
    }

    @Test("consumer messages decode keys and values")
    func consumerMessage() {
        let message = KafkaConsumerMessage(
            topic: "t",
            partition: 1,
            offset: 5,
            key: ByteBuffer(string: "k"),
            value: nil
        )
        #expect(message.keyString == "k")
        #expect(message.valueString == nil)
        #expect(message.keyBytes == Array("k".utf8))
    }
}
