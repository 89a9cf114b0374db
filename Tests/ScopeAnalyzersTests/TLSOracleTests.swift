@testable import ScopeAnalyzers
import ScopeDecode
import ScopeTestSupport
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
        #expect(sni.count == 7)
        #expect(Set(events.keys) == Set(sni.keys))
        // GnuTLS's ClientHello to 127.0.0.1 names no server (tshark's field is empty).
        for (port, name) in sni { #expect((events[port]?.clientHello?.serverName ?? "") == name, "\(port)") }
        #expect(events.values.filter { $0.clientHello?.serverName == nil }.count == 1)
    }

    /// With no ports configured, content detection alone: every connection
    /// is TLS. The HelloRetryRequest one (a ClientHello record of 0x012d
    /// bytes) was once taken for DNS over TCP.
    @Test func foundByContentAloneNoneTakenForAnotherProtocol() throws {
        let analysis = try CaptureOracle.analyze(Self.capture)
        #expect(analysis.events.count == 7 && analysis.events.allSatisfy { $0.application == .tls })
        #expect(analysis.events.contains { ($0.details as? TLSTransaction)?.retryRequested == true })
        #expect(analysis.counters(.dns).detectedByContent == 0)
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
        #expect(chosen.count == 7)
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
        // TLS 1.2's unknown_ca, and TLS 1.3's: OpenSSL's client rejects the certificate before it
        // switches to its handshake keys, so that alert too travels in clear.
        #expect(alerts.count == 2)
        for (port, description) in alerts {
            #expect(events[port]?.alert?.description == description)
            #expect(events[port]?.established == false, "the client rejected the certificate")
        }
        #expect(events.values.filter(\.established).count == 4)
        // GnuTLS's TLS 1.3 client alerts encrypted (tshark sees application data): told by its size.
        let encrypted = events.values.filter(\.encryptedAlert)
        #expect(encrypted.count == 1 && encrypted.first?.established == false && encrypted.first?.alert == nil)
        #expect(events.values.filter(\.retryRequested).count == 1)
    }

    @Test func ja3AndJA3SAsTsharkComputesThem() throws {
        let events = try Self.events()
        // The first ClientHello of each connection (the event's), the last ServerHello (after a HelloRetryRequest).
        var client: [Int: (hash: String, full: String)] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-Y", "tls.handshake.type == 1", "-e", "tcp.srcport",
                                                           "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3_full"]) {
            if let port = Int(row[0]), client[port] == nil { client[port] = (row[1], row[2]) }
        }
        var server: [Int: (hash: String, full: String)] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-Y", "tls.handshake.type == 2", "-e", "tcp.dstport",
                                                           "-e", "tls.handshake.ja3s", "-e", "tls.handshake.ja3s_full"]) {
            if let port = Int(row[0]) { server[port] = (row[1], row[2]) }
        }
        #expect(client.count == 7 && server.count == 7)
        for (port, expected) in client {
            let hello = try #require(events[port]?.clientHello)
            #expect(TLSFingerprint.ja3String(hello) == expected.full, "\(port)")
            #expect(TLSFingerprint.ja3(hello) == expected.hash, "\(port)")
        }
        for (port, expected) in server {
            let hello = try #require(events[port]?.serverHello)
            #expect(TLSFingerprint.ja3sString(hello) == expected.full, "\(port)")
            #expect(TLSFingerprint.ja3s(hello) == expected.hash, "\(port)")
        }
    }

    /// A TLS 1.3 ServerHello (TLS_AES_128_GCM_SHA256, supported_versions 1.3).
    static let serverHello13: [UInt8] = [0x16, 0x03, 0x03, 0x00, 0x32, 0x02, 0x00, 0x00, 0x2E, 0x03, 0x03]
        + [UInt8](repeating: 7, count: 32) + [0x00, 0x13, 0x01, 0x00, 0x00, 0x06, 0x00, 0x2B, 0x00, 0x02, 0x03, 0x04]

    static func record(_ type: UInt8, length: Int) -> [UInt8] {
        [type, 0x03, 0x03, UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 0x5A, count: length)
    }

    @Test func aTLS13ClientsEncryptedAlertIsNoEstablishment() throws {
        let hello = try #require(TLSProtocol.definition.streamSample)
        func conversation(clientRecord length: Int) -> TLSTransaction? {
            let steps: [Conversation.Step] = [
                .client(hello, at: 1_000), .server(Self.serverHello13 + Self.record(23, length: 900), at: 2_000),
                .client(Self.record(20, length: 1) + Self.record(23, length: length), at: 3_000),
                .server(Self.record(23, length: 200), at: 4_000),
            ]
            return Conversation(steps: steps).run(.tls).events.first?.details as? TLSTransaction
        }
        // The client's Finished (SHA-256: 4 + 32 bytes, content type, 16-byte tag).
        let finished = try #require(conversation(clientRecord: 53))
        #expect(finished.established && !finished.encryptedAlert)
        // Two bytes of alert, content type, tag: the client refused the server's flight.
        let alert = try #require(conversation(clientRecord: 19))
        #expect(!alert.established && alert.encryptedAlert)
        #expect(alert.serverHello?.version == 0x0304)
    }

    /// tshark 4.2 and later compute JA4 (`tls.handshake.ja4`): Debian 13's
    /// stage of Scripts/test.sh compares with it; Debian 12's tshark 4.0
    /// has no such field (JA4 is checked against FoxIO's published values
    /// in TLSFingerprintTests there).
    static let tsharkHasJA4: Bool = {
        guard CaptureOracle.tsharkAvailable, let process = try? Subprocess(["/usr/bin/tshark", "-G", "fields"]) else { return false }
        _ = process.wait(timeout: 60)
        return process.stdout.contains("\ttls.handshake.ja4\t")
    }()

    @Test(.enabled(if: tsharkHasJA4, "tshark before 4.2 has no tls.handshake.ja4"))
    func ja4AsTsharkComputesIt() throws {
        let events = try Self.events()
        var expected: [Int: String] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-Y", "tls.handshake.type == 1", "-e", "tcp.srcport",
                                                           "-e", "tls.handshake.ja4"]) {
            if let port = Int(row[0]), expected[port] == nil { expected[port] = row[1] }
        }
        #expect(expected.count == 7)
        for (port, ja4) in expected {
            #expect(events[port]?.clientHello.map(TLSFingerprint.ja4) == ja4, "\(port)")
        }
    }

    @Test func firstApplicationDataAsTsharkSeesIt() throws {
        let events = try Self.events()
        // TLS 1.2: each side's first application data record (content type 23), when and where in its stream.
        var first: [String: (time: Double, seq: UInt64, length: UInt64)] = [:]
        for row in try CaptureOracle.tshark(Self.capture, ["-o", "tcp.relative_sequence_numbers:TRUE", "-Y",
                                                           "tls.record.content_type == 23 && tls.record.version == 0x0303",
                                                           "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "frame.time_epoch",
                                                           "-e", "tcp.seq", "-e", "tcp.len"]) {
            guard let source = Int(row[0]), let destination = Int(row[1]), let time = Double(row[2]),
                  let seq = UInt64(row[3]), let length = UInt64(row[4]) else { continue }
            let key = source < 10_000 ? "\(destination) server" : "\(source) client"
            if first[key] == nil { first[key] = (time, seq - 1, length) }
        }
        var checked = 0
        for (port, tls) in events where tls.established && tls.serverHello?.version == 0x0303 {
            let hello = try #require(tls.clientHello?.time)
            for (side, data, total) in [("client", tls.clientData, tls.bytes.client), ("server", tls.serverData, tls.bytes.server)] {
                let oracle = try #require(first["\(port) \(side)"], "\(port) \(side)")
                let seen = try #require(data, "\(port) \(side)")
                #expect(abs(Double(seen.time) / 1e9 - oracle.time) < 1e-6, "\(port) \(side)")
                // The record starts in that segment: bytes before it are the side's handshake.
                #expect(seen.start >= oracle.seq && seen.start < oracle.seq + oracle.length, "\(port) \(side)")
                #expect(seen.time > hello && seen.start < total)
                checked += 1
            }
        }
        #expect(checked == 4)
        // TLS 1.3: the client's data follows its Finished, the server's data the client's Finished.
        for tls in events.values where tls.established && tls.serverHello?.version == 0x0304 {
            let client = try #require(tls.clientData)
            let server = try #require(tls.serverData)
            #expect(server.time >= client.time || server.start > 0)
        }
    }

    @Test func aCaptureThatStartsMidConnectionIsTLSWithoutAHandshake() throws {
        let steps: [Conversation.Step] = [
            .client(Self.record(23, length: 120), at: 1_000), .server(Self.record(23, length: 900) + Self.record(23, length: 40), at: 2_000),
        ]
        let result = Conversation(steps: steps).run(.tls)
        let event = try #require(result.events.first)
        let tls = try #require(event.details as? TLSTransaction)
        #expect(result.events.count == 1 && tls.handshakeMissing && event.status == .ok)
        #expect(event.outcome == "no_handshake" && !event.requestMissing(method: event.method))
        // Bytes that are no TLS records: no event.
        let garbage = Conversation(steps: [.client(Array("GET / HTTP/1.1\r\n\r\n".utf8), at: 1), .server([0x17, 3, 3, 0, 1, 0], at: 2)])
        #expect(garbage.run(.tls).events.isEmpty)
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
