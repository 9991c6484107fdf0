// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-kafka-examples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-kafka", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "RoundTrip",
            dependencies: [
                .product(name: "Kafka", package: "swift-kafka"),
                .product(name: "KafkaTesting", package: "swift-kafka"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "Transactions",
            dependencies: [
                .product(name: "Kafka", package: "swift-kafka"),
                .product(name: "KafkaTesting", package: "swift-kafka"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "Observability",
            dependencies: [
                .product(name: "Kafka", package: "swift-kafka"),
                .product(name: "KafkaTesting", package: "swift-kafka"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
