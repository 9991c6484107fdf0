// swift-tools-version:6.1
import PackageDescription

// Throughput benchmarks, measured against raw librdkafka C with ../../shared/bench/compare.sh (see README.md).
let package = Package(
    name: "swift-kafka-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-kafka", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "kafka-bench",
            dependencies: [
                .product(name: "Kafka", package: "swift-kafka"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
