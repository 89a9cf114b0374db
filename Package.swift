// swift-tools-version:6.0
import PackageDescription

// Debian's libdpdk.pc carries a comment line SwiftPM's pkg-config parser rejects,
// so the DPDK flags are spelled out here once and shared by every target that
// sees DPDK headers (the C shim itself and the Swift module importing it).
let dpdkCFlags = [
    "-I/usr/include/dpdk",
    "-I/usr/include/x86_64-linux-gnu/dpdk",
    "-include", "rte_config.h",
    "-march=corei7",
    "-DALLOW_EXPERIMENTAL_API",
]
let dpdkImporterFlags = dpdkCFlags.flatMap { ["-Xcc", $0] }
let dpdkLibraries = [
    "rte_pdump", "rte_pcapng", "rte_bpf", "rte_ethdev", "rte_net", "rte_mbuf",
    "rte_mempool", "rte_ring", "rte_meter", "rte_telemetry", "rte_kvargs", "rte_eal",
]

let package = Package(
    name: "dpdkscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dpdkscope", targets: ["dpdkscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
    ],
    targets: [
        // The only code that includes DPDK headers: thin shims over macros,
        // inline functions and structs Swift cannot reach directly.
        .target(
            name: "CDPDK",
            cSettings: [.unsafeFlags(dpdkCFlags)],
            linkerSettings: dpdkLibraries.map { .linkedLibrary($0) }
        ),
        .systemLibrary(name: "CPcap", path: "Sources/CPcap"),
        // A SIGBUS handler for read-only file mappings (no DPDK): a file
        // that shrinks while mapped reads as zeros plus a flag, not a crash.
        .target(name: "CMappedFile"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Pure Swift: everything testable without a DPDK primary.
        .target(name: "ScopeCore"),
        .target(name: "ScopeDecode", exclude: ["README.md"]),
        .target(name: "ScopePcap", dependencies: ["ScopeCore", "CZlib", "CMappedFile", "CPcap"], exclude: ["README.md"]),
        // Protocol analyzers: parsers + matchers + events over ScopeDecode's streams.
        .target(name: "ScopeAnalyzers", dependencies: ["ScopeDecode"], exclude: ["README.md"]),
        // Live views over analyzer events: dashboard statistics, rotating
        // JSON-lines files. Pure Swift.
        .target(name: "ScopeLive", dependencies: ["ScopeAnalyzers", "ScopeDecode", "ScopeCore"], exclude: ["README.md"]),
        // The agent's YAML configuration: schema, validation, reference text.
        .target(name: "ScopeConfig", dependencies: ["ScopeAnalyzers", "ScopeCore", .product(name: "Yams", package: "Yams")],
                exclude: ["README.md"]),
        // Prometheus metrics (swift-prometheus) and their /metrics endpoint (SwiftNIO).
        .target(name: "ScopeMetrics", dependencies: [
            "ScopeAnalyzers", "ScopeDecode",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], exclude: ["README.md"]),
        // Swift over the C shim: EAL attach, ports, pdump.
        .target(
            name: "ScopeDPDK",
            dependencies: ["CDPDK", "CPcap", "ScopeCore", "ScopePcap", .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(dpdkImporterFlags)]
        ),
        .executableTarget(
            name: "dpdkscope",
            dependencies: [
                "ScopeCore", "ScopeDPDK", "ScopeDecode", "ScopePcap", "ScopeAnalyzers", "CPcap",
                "ScopeLive", "ScopeConfig", "ScopeMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(dpdkImporterFlags)]
        ),
        .testTarget(name: "ScopeCoreTests", dependencies: ["ScopeCore"]),
        .testTarget(name: "ScopeDecodeTests", dependencies: ["ScopeDecode"]),
        // posix_spawn-based process runner shared by the test targets.
        .target(name: "ScopeTestSupport", dependencies: ["ScopeAnalyzers", "ScopeDecode", "ScopePcap"],
                path: "Tests/ScopeTestSupport"),
        .testTarget(name: "ScopePcapTests", dependencies: ["ScopePcap", "ScopeDecode", "ScopeTestSupport"]),
        .testTarget(name: "ScopeAnalyzersTests", dependencies: ["ScopeAnalyzers", "ScopePcap", "ScopeTestSupport"]),
        .testTarget(name: "ScopeLiveTests", dependencies: ["ScopeLive", "ScopeAnalyzers", "ScopePcap", "ScopeTestSupport"]),
        .testTarget(name: "ScopeConfigTests", dependencies: ["ScopeConfig", "ScopeAnalyzers", "ScopeTestSupport"]),
        .testTarget(name: "ScopeMetricsTests", dependencies: ["ScopeMetrics", "ScopeAnalyzers", "ScopeDecode", "ScopePcap", "ScopeTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["ScopeCore", "ScopeTestSupport"]),
    ]
)
