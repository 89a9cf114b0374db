@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// tls.pcap (make-tls.sh: openssl s_server and curl / s_client on a
/// loopback) against tshark's reading of the same file: one handshake
/// event per connection, with the SNI, version and cipher tshark decodes,
/// the alert it sees in clear, and the HelloRetryRequest.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct TLSOracleTests {
    static let capture = "tls.pcap"

    static func events() throws -> [Int: TLSTransaction] {
        let analysis = try CaptureOracle.analyze(capture, configuration: AnalyzerConfiguration(selection: try ProtocolSelection(parsing: "tls:8443,8444")))
        var byPort: [Int: TLSTransaction] = [:]
        for event in analysis.events {
            if let tls = event.details as? TLSTransaction { byPort[Int(event.endpoints.clientPort)] = tls }
        }
        return byPort
    }

    @Test func oneEventPerConnectionWithTsharksSNI() throws {
        let events = try Self.events()
        // tshark: the first ClientHello of each connection (HRR repeats it).
        var sni: [Int: String] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-Y", "tls.handshake.type == 1", "-e", "tcp.srcport",
                                                           "-e", "tls.handshake.extensions_server_name"]) {
            if let port = Int(row[0]), sni[port] == nil { sni[port] = row[1] }
        }
        #expect(sni.count == 4)
        #expect(Set(events.keys) == Set(sni.keys))
        for (port, name) in sni { #expect(events[port]?.clientHello?.serverName == name, "\(port)") }
    }

    @Test func versionAndCipherAsTsharkDecodesTheServerHello() throws {
        let events = try Self.events()
        // The last ServerHello of each connection (after a HelloRetryRequest, the real one).
        var chosen: [Int: (cipher: UInt16, version: UInt16)] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-Y", "tls.handshake.type == 2", "-e", "tcp.dstport",
                                                           "-e", "tls.handshake.ciphersuite", "-e", "tls.handshake.version",
                                                           "-e", "tls.handshake.extensions.supported_version"]) {
            guard let port = Int(row[0]), let cipher = UInt16(row[1].dropFirst(2), radix: 16),
                  let legacy = UInt16(row[2].dropFirst(2), radix: 16) else { continue }
            chosen[port] = (cipher, row[3].isEmpty ? legacy : UInt16(row[3].dropFirst(2), radix: 16) ?? legacy)
        }
        #expect(chosen.count == 4)
        for (port, expected) in chosen {
            let server = events[port]?.serverHello
            #expect(server?.cipherSuite == expected.cipher, "\(port)")
            #expect(server?.version == expected.version, "\(port)")
        }
        // Names tshark would print for these suites.
        #expect(TLSNames.cipher(0x1302) == "TLS_AES_256_GCM_SHA384")
        #expect(TLSNames.cipher(0xC02F) == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    }

    @Test func alertsInClearAndEstablishment() throws {
        let events = try Self.events()
        // tshark: alerts whose description it can read (in clear).
        var alerts: [Int: UInt8] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-Y", "tls.alert_message.desc", "-e", "tcp.srcport",
                                                           "-e", "tls.alert_message.desc"]) {
            if let port = Int(row[0]), let description = UInt8(row[1]) { alerts[port] = description }
        }
        #expect(alerts.count == 1)
        for (port, description) in alerts {
            #expect(events[port]?.alert?.description == description)
            #expect(events[port]?.established == false, "the client rejected the certificate")
        }
        #expect(events.values.filter(\.established).count == 3)
        #expect(events.values.filter(\.retryRequested).count == 1)
    }

    @Test func everySplitGivesTheSameHandshake() throws {
        // A ClientHello cut anywhere (records across segments, handshake
        // messages across records) parses the same.
        let sample = try #require(TLSProtocol.definition.streamSample)
        for cut in 1..<sample.count {
            var reader = TLSRecordReader(limit: 1 << 16)
            var hellos: [TLSClientHello] = []
            for piece in [Array(sample[..<cut]), Array(sample[cut...])] {
                piece.withUnsafeBytes { bytes in
                    reader.deliver(bytes, timestamp: 1) { if case .clientHello(let hello) = $0 { hellos.append(hello) } }
                }
            }
            #expect(hellos.count == 1 && hellos.first?.cipherSuites == [0x1301], "cut at \(cut)")
        }
    }

    @Test func hostileRecordsEndTheSideWithoutTrapping() {
        var reader = TLSRecordReader(limit: 1 << 16)
        // A record header claiming 64 KiB: no TLS record is that long.
        [UInt8]([0x16, 0x03, 0x03, 0xFF, 0xFF, 0x01]).withUnsafeBytes { reader.deliver($0, timestamp: 1) { _ in } }
        #expect(reader.lost)
        // A handshake message claiming 16 MiB inside a plausible record.
        var other = TLSRecordReader(limit: 1 << 16)
        [UInt8]([0x16, 0x03, 0x03, 0x00, 0x08, 0x01, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]).withUnsafeBytes {
            other.deliver($0, timestamp: 1) { _ in }
        }
        #expect(other.lost && other.parseErrors == 1)
    }
}
