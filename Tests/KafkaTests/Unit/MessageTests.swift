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
            key: "k",
            value: nil
        )
        #expect(message.keyString == "k")
        #expect(message.valueString == nil)
        #expect(message.keyBytes == Array("k".utf8))
        var changed = message
        changed.value = KafkaBytes([0xFF, 0x41])
        #expect(changed.valueString == "\u{FFFD}A")
        #expect(changed != message)
        #expect(changed.key == message.key)
    }

    @Test("KafkaBytes is a collection of its bytes, compared and hashed by content")
    func kafkaBytes() throws {
        let text: KafkaBytes = "héllo"
        #expect(text.count == 6)
        #expect(Array(text) == Array("héllo".utf8))
        #expect(String(decoding: text, as: UTF8.self) == "héllo")
        #expect(text[1] == 0xC3)
        #expect(ByteBuffer(bytes: text) == ByteBuffer(string: "héllo"))
        #expect(text.withUnsafeBytes { Array($0) } == Array("héllo".utf8))
        let same = KafkaBytes(Array("héllo".utf8))
        #expect(same == text)
        #expect(same.hashValue == text.hashValue)
        #expect(Set([same, text, "other"]).count == 2)
        #expect(KafkaBytes([1, 2]) != KafkaBytes([1, 3]))
        #expect(KafkaBytes([1, 2]) != KafkaBytes([1, 2, 3]))
        let empty = KafkaBytes([])
        #expect(empty.isEmpty && empty == "" && Array(empty) == [])
        #expect(text.description == "6 bytes \"héllo\"")
        #expect(KafkaBytes([0xFF]).description == "1 byte")
        // A copy is independent of what it was made from.
        var source: [UInt8] = [7, 8, 9]
        let copy = KafkaBytes(source)
        source[0] = 0
        #expect(Array(copy) == [7, 8, 9])
        #expect(Array(copy.dropFirst()) == [8, 9])
        // A slice of a ByteBuffer or any sequence.
        #expect(KafkaBytes(ByteBuffer(string: "abc").readableBytesView) == "abc")
        #expect(KafkaBytes((1...3).map { UInt8($0) }) == [1, 2, 3])
    }
}
