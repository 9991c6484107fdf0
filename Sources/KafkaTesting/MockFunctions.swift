internal import CLibrdkafka
import Kafka

/// Functions of librdkafka's embedded cluster newer than the headers the package is built with (2.0.2's), looked
/// up in the librdkafka loaded at run time; `nil` where it lacks them.
enum MockFunctions {
    /// `void rd_kafka_mock_broker_set_host_port(rd_kafka_mock_cluster_t *, int32_t broker_id, const char *host,
    /// int port)`, librdkafka 2.10.
    static let setHostPort = RuntimeSymbols.function(
        "rd_kafka_mock_broker_set_host_port",
        as: (@convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, Int32) -> Void).self
    )

    /// `void rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(rd_kafka_mock_cluster_t *, int)`,
    /// librdkafka 2.8.
    static let setConsumerGroupHeartbeatInterval = RuntimeSymbols.function(
        "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms",
        as: (@convention(c) (OpaquePointer?, Int32) -> Void).self
    )

    /// `void rd_kafka_mock_set_group_consumer_session_timeout_ms(rd_kafka_mock_cluster_t *, int)`, librdkafka 2.8.
    static let setConsumerGroupSessionTimeout = RuntimeSymbols.function(
        "rd_kafka_mock_set_group_consumer_session_timeout_ms",
        as: (@convention(c) (OpaquePointer?, Int32) -> Void).self
    )
}
