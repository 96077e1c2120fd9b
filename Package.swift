// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "sked",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sked", targets: ["Operator"]),
        .library(name: "K8sClient", targets: ["K8sClient"]),
        .library(name: "K8sRuntime", targets: ["K8sRuntime"]),
        .library(name: "Reconcilers", targets: ["Reconcilers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // The webhook's own CA and serving certificate (sked operator --webhook-cert-secret).
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // Only the OTLP/HTTP exporter: the gRPC one would pull in grpc-swift for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(
            name: "K8sClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            exclude: ["Runtime"]
        ),
        // The controller runtime on top of the client, as kube-rs splits kube-client from
        // kube-runtime: the watcher, informer and store, work queue, controller loop and
        // leader election. Its sources sit in Sources/K8sClient/Runtime.
        .target(
            name: "K8sRuntime",
            dependencies: [
                "K8sClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Sources/K8sClient/Runtime"
        ),
        .target(
            name: "Reconcilers",
            dependencies: [
                "K8sClient",
                "K8sRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "Operator",
            dependencies: [
                "K8sClient",
                "K8sRuntime",
                "Reconcilers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Test-only helpers: a scripted HTTP transport for unit tests and the real
        // control-plane harness for integration tests.
        .target(
            name: "K8sTestSupport",
            dependencies: ["K8sClient", .product(name: "Logging", package: "swift-log")],
            path: "Sources/K8sTestSupport"
        ),
        .testTarget(name: "K8sClientTests", dependencies: ["K8sClient", "K8sRuntime", "K8sTestSupport"]),
        .testTarget(name: "ReconcilersTests", dependencies: ["Reconcilers", "K8sClient", "K8sRuntime", "K8sTestSupport"]),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "K8sClient", "K8sRuntime", "Reconcilers", "K8sTestSupport", .product(name: "Yams", package: "Yams"), .product(name: "X509", package: "swift-certificates")]),
        .testTarget(name: "IntegrationTests", dependencies: ["K8sClient", "K8sRuntime", "Reconcilers", "K8sTestSupport", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets for the cron parser, the watch-stream decoder and the webhook's answer (scripts/fuzz.sh, `make fuzz`).
// Declared only with SKED_FUZZ=1: they need `-sanitize=fuzzer`, so ordinary builds must never see them.
if Context.environment["SKED_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"),
        .executableTarget(name: "CronFuzzer", dependencies: ["Reconcilers", "FuzzDriver"], path: "Fuzz/CronFuzzer"),
        .executableTarget(name: "WatchDecoderFuzzer", dependencies: ["K8sClient", "Reconcilers", "FuzzDriver"], path: "Fuzz/WatchDecoderFuzzer"),
        .executableTarget(name: "AdmissionReviewFuzzer", dependencies: ["K8sClient", "Reconcilers", "FuzzDriver"], path: "Fuzz/AdmissionReviewFuzzer"),
    ]
}
