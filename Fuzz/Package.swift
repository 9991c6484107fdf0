// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for the parsers the CLIs feed with user input (run by ../scripts/fuzz.sh).
//
// KafkaCLISupport is not a product of the root package, so `Sources/FuzzedCLISupport` is a symbolic link to its
// sources, compiled here as a module of its own (with the same dependencies as the root's target).
//
// The code under test is compiled with `-sanitize=fuzzer,address` in one flag: swiftc keeps only the last of
// several `-sanitize=` flags, so `swift build --sanitize=fuzzer --sanitize=address` alone gives AddressSanitizer
// without libFuzzer's coverage instrumentation. Each fuzzer has no `main` (libFuzzer's is linked in); SwiftPM
// compiles an executable target without a `main.swift` with `-parse-as-library`.
let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

func fuzzer(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "FuzzedCLISupport",
            "FuzzSupport",
            .product(name: "Kafka", package: "swift-kafka"),
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        swiftSettings: [.swiftLanguageMode(.v6)] + instrumented,
        linkerSettings: fuzzerLink
    )
}

let package = Package(
    name: "swift-kafka-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-kafka", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "FuzzedCLISupport",
            dependencies: [
                .product(name: "Kafka", package: "swift-kafka"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ] + instrumented
        ),
        .target(name: "FuzzSupport", swiftSettings: [.swiftLanguageMode(.v6)] + instrumented),
        fuzzer("fuzz-records"),
        fuzzer("fuzz-json-lines"),
        fuzzer("fuzz-format"),
        fuzzer("fuzz-properties"),
        fuzzer("fuzz-offsets"),
    ]
)
