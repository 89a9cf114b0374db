// swift-tools-version:6.0
import PackageDescription

import Foundation

// DPDK flags come from the installed release's libdpdk.pc, so one tree builds
// against 22.11, 24.11 or a DPDK built from source (set PKG_CONFIG_PATH).
// SwiftPM's own pkg-config parser rejects Debian 12's libdpdk.pc (its
// Description spans several lines), so the real pkg-config is run here.
func pkgConfig(_ arguments: [String]) -> [String]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["pkg-config"] + arguments + ["libdpdk"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
}

// Without pkg-config or libdpdk.pc, fall back to Debian's paths so the
// compiler's error names the missing header instead of the manifest failing.
let dpdkPkgCFlags = pkgConfig(["--cflags"]) ?? [
    "-I/usr/include/dpdk", "-I/usr/include/x86_64-linux-gnu/dpdk", "-include", "rte_config.h", "-march=corei7",
]
// Debian 13's libdpdk.pc also lists the multiarch system directory
// (-I/usr/include/x86_64-linux-gnu). Searched ahead of the system headers
// it would reorder glibc's includes under Swift's Glibc module map, and the
// compiler searches it anyway, so system directories are dropped.
func isSystemInclude(_ flag: String) -> Bool {
    guard flag.hasPrefix("-I/usr/include") else { return false }
    let rest = flag.dropFirst("-I/usr/include".count)
    return rest.isEmpty || rest == "/" || (rest.hasSuffix("-linux-gnu") && !rest.dropFirst().contains("/"))
}
let dpdkCFlags = dpdkPkgCFlags.filter { !isSystemInclude($0) } + ["-DALLOW_EXPERIMENTAL_API"] // pdump/pcapng are experimental in 22.11
let dpdkImporterFlags = dpdkCFlags.flatMap { ["-Xcc", $0] }
// The libraries our code calls, each linked directly (the linker refuses
// symbols reached only through another library). rte_log split out of
// rte_eal in 24.03, so each name is kept only if this release has it.
let dpdkLibraryDirs = (pkgConfig(["--libs-only-L"]) ?? []).filter { $0.hasPrefix("-L") }
let dpdkAvailable = Set((pkgConfig(["--libs-only-l"]) ?? []).filter { $0.hasPrefix("-l") }.map { String($0.dropFirst(2)) })
let dpdkLibraries = [
    "rte_pdump", "rte_pcapng", "rte_bpf", "rte_ethdev", "rte_net", "rte_mbuf",
    "rte_mempool", "rte_ring", "rte_meter", "rte_telemetry", "rte_kvargs", "rte_log", "rte_eal",
].filter { dpdkAvailable.isEmpty ? $0 != "rte_log" : dpdkAvailable.contains($0) }

// A release dpdkscope links the Swift runtime and Foundation statically
// (what `swift build --static-swift-stdlib` does, without the flag):
// calls into the runtime (retain, release, allocation) become direct calls
// instead of PLT jumps, and start-up skips resolving the Swift libraries'
// symbols, 4 to 8 % of the CPU of `read --analyze` (BENCHMARKS.md). The
// executable's own objects compiled with the flag name the static
// libraries' private dependencies (CoreFoundation, ICU) for the linker.
let staticSwiftLibraries = SwiftSetting.unsafeFlags(["-static-stdlib"], .when(configuration: .release))
let staticSwiftLibrariesLink = LinkerSetting.unsafeFlags(["-static-stdlib"], .when(configuration: .release))

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
        // MD5 / SHA-1 / SHA-256 for JA3, JA4 and certificate fingerprints; X.509 parsing.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // The only code that includes DPDK headers: thin shims over macros,
        // inline functions and structs Swift cannot reach directly.
        .target(
            name: "CDPDK",
            cSettings: [.unsafeFlags(dpdkCFlags)],
            linkerSettings: dpdkLibraries.map { .linkedLibrary($0) }
                + (dpdkLibraryDirs.isEmpty ? [] : [.unsafeFlags(dpdkLibraryDirs)])
        ),
        .systemLibrary(name: "CPcap", path: "Sources/CPcap"),
        // A SIGBUS handler for read-only file mappings (no DPDK): a file
        // that shrinks while mapped reads as zeros plus a flag, not a crash.
        .target(name: "CMappedFile"),
        // The calling thread's CPU affinity (no DPDK): export threads off the capture cores.
        .target(name: "CThreadAffinity"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Snappy (Debian's libsnappy-dev) for remote-write bodies.
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy"),
        // librdkafka (Debian's librdkafka-dev): the Kafka output's producer.
        .systemLibrary(name: "CKafka", path: "Sources/CKafka"),
        // Pure Swift: everything testable without a DPDK primary.
        .target(name: "ScopeCore", exclude: ["README.md"]),
        // SHA-1 for Community ID from swift-crypto (which brings FoundationEssentials).
        .target(name: "ScopeDecode", dependencies: [.product(name: "Crypto", package: "swift-crypto")], exclude: ["README.md"]),
        .target(name: "ScopePcap", dependencies: ["ScopeCore", "CZlib", "CMappedFile", "CPcap"], exclude: ["README.md"]),
        // Protocol analyzers: parsers + matchers + events over ScopeDecode's streams.
        .target(name: "ScopeAnalyzers", dependencies: [
            "ScopeDecode",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ], exclude: ["README.md", "HTTP2/README.md"]),
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
        // Exports to other systems (OTLP/HTTP, remote-write, Kafka): per-output queues, the
        // on-disk spool, retries with back-off. Pure Swift, no DPDK.
        .target(name: "ScopeExport", dependencies: [
            "CThreadAffinity", "CZlib", "CSnappy", "CKafka",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], exclude: ["README.md", "OTLP/Generated/VERSION", "RemoteWrite/Generated/VERSION"]),
        // Swift over the C shim: EAL attach, ports, pdump.
        .target(
            name: "ScopeDPDK",
            dependencies: ["CDPDK", "CPcap", "ScopeCore", "ScopePcap", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"],
            swiftSettings: [.unsafeFlags(dpdkImporterFlags)]
        ),
        .executableTarget(
            name: "dpdkscope",
            dependencies: [
                "ScopeCore", "ScopeDPDK", "ScopeDecode", "ScopePcap", "ScopeAnalyzers", "CPcap",
                "ScopeLive", "ScopeConfig", "ScopeMetrics", "ScopeExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(dpdkImporterFlags), staticSwiftLibraries],
            linkerSettings: [staticSwiftLibrariesLink]
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
        .testTarget(name: "ScopeMetricsTests", dependencies: ["ScopeMetrics", "ScopeAnalyzers", "ScopeDecode", "ScopePcap", "ScopeTestSupport",
                                                              .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(name: "ScopeExportTests", dependencies: ["ScopeExport", "ScopeAnalyzers", "ScopeMetrics", "ScopeTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["ScopeCore", "ScopeTestSupport"]),
    ]
)
