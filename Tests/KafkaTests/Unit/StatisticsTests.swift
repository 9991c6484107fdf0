import Logging
import Testing

@testable import Kafka

/// A statistics document in librdkafka's shape (abridged by hand, values chosen to tell fields apart).
private let document = """
    {"name":"rdkafka#consumer-1","client_id":"tests","type":"consumer","ts":1,"time":1765000000,"age":2500000,
     "replyq":3,"msg_cnt":4,"msg_size":5,"msg_max":100000,"msg_size_max":1073741824,"tx":6,"tx_bytes":7,"rx":8,
     "rx_bytes":9,"txmsgs":10,"txmsg_bytes":11,"rxmsgs":12,"rxmsg_bytes":13,
     "brokers":{
       "localhost:9092/bootstrap":{"name":"localhost:9092/bootstrap","nodeid":-1,"nodename":"localhost:9092",
         "source":"configured","state":"UP","stateage":1000,"outbuf_cnt":0,"waitresp_cnt":0},
       "localhost:9093/2":{"name":"localhost:9093/2","nodeid":2,"nodename":"localhost:9093","source":"learned",
         "state":"UP","stateage":3000000,"outbuf_cnt":1,"waitresp_cnt":2,"tx":20,"txbytes":21,"txerrs":22,
         "txretries":23,"req_timeouts":24,"rx":25,"rxbytes":26,"rxerrs":27,"connects":28,"disconnects":29,
         "rtt":{"min":100,"max":900,"avg":400,"sum":4000,"cnt":10,"p50":350,"p95":800,"p99":880},
         "throttle":{"min":0,"max":0,"avg":0,"cnt":0},
         "int_latency":{"min":5,"max":50,"avg":20,"cnt":4,"p50":18,"p95":45,"p99":49}}},
     "topics":{"orders":{"topic":"orders","age":10,"metadata_age":2000,"partitions":{
       "0":{"partition":0,"broker":2,"leader":2,"desired":true,"msgq_cnt":0,"fetchq_cnt":30,"fetchq_size":31,
         "fetch_state":"active","next_offset":40,"app_offset":38,"stored_offset":37,"committed_offset":35,
         "lo_offset":0,"hi_offset":50,"ls_offset":50,"consumer_lag":12,"consumer_lag_stored":13,"rxmsgs":38,
         "rxbytes":380},
       "1":{"partition":1,"broker":2,"leader":2,"desired":false,"next_offset":-1001,"app_offset":-1001,
         "committed_offset":-1001,"consumer_lag":-1},
       "-1":{"partition":-1,"broker":-1,"leader":-1,"desired":false}}}},
     "cgrp":{"state":"up","stateage":9000,"join_state":"steady","rebalance_age":8000,"rebalance_cnt":2,
       "rebalance_reason":"group join","assignment_size":1}}
    """

@Suite("Statistics")
struct StatisticsTests {
    @Test("a statistics document decodes into typed fields, with units and missing values mapped")
    func decodes() throws {
        let s = try KafkaStatistics(json: document)
        #expect(s.json == document)
        #expect(s.name == "rdkafka#consumer-1")
        #expect(s.clientID == "tests")
        #expect(s.type == "consumer")
        #expect(s.age == .milliseconds(2500))
        #expect(
            [s.replyQueueLength, s.queuedMessages, s.queuedBytes, s.requestsSent, s.bytesSent]
                == [3, 4, 5, 6, 7]
        )
        #expect(
            [s.responsesReceived, s.bytesReceived, s.messagesSent, s.messageBytesSent, s.messagesReceived]
                == [8, 9, 10, 11, 12]
        )
        #expect(s.messageBytesReceived == 13)

        #expect(s.brokers.map(\.nodeID) == [-1, 2])
        let broker = s.brokers[1]
        #expect(broker.nodeName == "localhost:9093")
        #expect(broker.state == "UP")
        #expect(broker.stateAge == .seconds(3))
        #expect(broker.requestsInFlight == 2)
        #expect(broker.requestTimeouts == 24)
        #expect(broker.disconnects == 29)
        #expect(broker.roundTrip.average == .microseconds(400))
        #expect(broker.roundTrip.p99 == .microseconds(880))
        #expect(broker.roundTrip.count == 10)
        #expect(broker.throttle == .empty)
        #expect(broker.internalLatency.p95 == .microseconds(45))
        #expect(s.brokers[0].roundTrip == .empty)

        #expect(s.topics.map(\.name) == ["orders"])
        #expect(s.topics[0].metadataAge == .seconds(2))
        // The internal unassigned partition (-1) is left out.
        #expect(s.topics[0].partitions.map(\.partition) == [0, 1])
        let p0 = try #require(s.partition(0, of: "orders"))
        #expect(p0.isDesired)
        #expect(p0.fetchQueueMessages == 30)
        #expect(p0.fetchState == "active")
        #expect(p0.nextOffset == KafkaOffset(40))
        #expect(p0.applicationOffset == KafkaOffset(38))
        #expect(p0.storedOffset == KafkaOffset(37))
        #expect(p0.committedOffset == KafkaOffset(35))
        #expect(p0.highWatermark == KafkaOffset(50))
        #expect(p0.consumerLag == 12)
        #expect(p0.consumerLagStored == 13)
        #expect(p0.messagesReceived == 38)
        // librdkafka's "none" values (-1001 offsets, -1 lag) read as nil; fields it did not send as zero.
        let p1 = try #require(s.partition(1, of: "orders"))
        #expect(p1.nextOffset == nil)
        #expect(p1.committedOffset == nil)
        #expect(p1.consumerLag == nil)
        #expect(p1.lowWatermark == nil)
        #expect(p1.messagesReceived == 0)
        #expect(s.partition(2, of: "orders") == nil)

        let group = try #require(s.consumerGroup)
        #expect(group.state == "up")
        #expect(group.joinState == "steady")
        #expect(group.stateAge == .seconds(9))
        #expect(group.rebalanceCount == 2)
        #expect(group.rebalanceReason == "group join")
        #expect(group.assignmentSize == 1)
    }

    @Test("a producer's document has no group; a document that is not JSON throws")
    func producerAndGarbage() throws {
        let s = try KafkaStatistics(json: #"{"name":"p","type":"producer","msg_cnt":7}"#)
        #expect(s.consumerGroup == nil)
        #expect(s.queuedMessages == 7)
        #expect(s.brokers.isEmpty)
        #expect(throws: (any Error).self) { try KafkaStatistics(json: "not json") }
    }

    @Test("topic and broker names with underscores are kept as they are (only field names are snake case)")
    func namesKeepUnderscores() throws {
        let s = try KafkaStatistics(
            json: #"{"type":"consumer","brokers":{"kafka_1:9092/1":{"name":"kafka_1:9092/1","nodeid":1}},"#
                + #""topics":{"orders_v2":{"partitions":{"0":{"partition":0,"fetch_state":"active"}}}}}"#
        )
        #expect(s.topics.map(\.name) == ["orders_v2"])
        #expect(s.partition(0, of: "orders_v2")?.fetchState == "active")
        #expect(s.brokers.map(\.name) == ["kafka_1:9092/1"])
    }

    @Test("the sequence keeps the newest snapshots when nobody reads, and ends when the client is gone")
    func keepsNewest() async throws {
        let publisher = StatisticsPublisher(metrics: nil, logger: Logger(label: "tests"))
        for i in 0..<10 { publisher.publish(json: #"{"msg_cnt":\#(i)}"#) }
        publisher.publish(json: "garbage: logged and skipped")
        publisher.finish()
        var seen: [Int64] = []
        for await snapshot in publisher.sequence { seen.append(snapshot.queuedMessages) }
        let kept = KafkaStatisticsSequence.bufferedSnapshots
        #expect(seen == (10 - kept..<10).map(Int64.init))
    }
}
