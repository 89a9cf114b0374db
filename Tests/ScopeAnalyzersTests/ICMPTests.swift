@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// Hand-built Ethernet frames for ICMP, through the same pipeline and engine
/// `dpdkscope read` uses.
enum ICMPFrames {
    static func ipv4(_ source: [UInt8], _ destination: [UInt8], proto: UInt8, ttl: UInt8 = 64, _ payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        var header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0, 0, ttl, proto, 0, 0]
        header += source + destination
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(header[index]) << 8 | UInt32(header[index + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        header[10] = UInt8(~sum >> 8 & 0xFF)
        header[11] = UInt8(~sum & 0xFF)
        return header + payload
    }

    static func ipv6(_ source: [UInt8], _ destination: [UInt8], next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), next, 64] + source + destination + payload
    }

    static func icmp(_ type: UInt8, _ code: UInt8 = 0, id: UInt16 = 0, seq: UInt16 = 0, _ data: [UInt8] = Array(repeating: 0x61, count: 16)) -> [UInt8] {
        [type, code, 0, 0, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF)] + data
    }

    static func ethernet(_ ip: [UInt8]) -> [UInt8] {
        [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ip[0] >> 4 == 6 ? 0x86 : 0x08, ip[0] >> 4 == 6 ? 0xDD : 0x00] + ip
    }

    static let a: [UInt8] = [10, 0, 0, 1], b: [UInt8] = [10, 0, 0, 2], router: [UInt8] = [10, 0, 0, 254]
    static let a6: [UInt8] = [0xfd] + Array(repeating: 0, count: 14) + [1]
    static let b6: [UInt8] = [0xfd] + Array(repeating: 0, count: 14) + [2]

    /// Runs (time in ns, IP packet) pairs; returns events and counters.
    static func run(_ packets: [(UInt64, [UInt8])], configuration: AnalyzerConfiguration = AnalyzerConfiguration())
        -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        var pipeline = PacketPipeline()
        var engine = AnalysisEngine(configuration: configuration)
        var events: [TransactionEvent] = []
        for (time, ip) in packets {
            ethernet(ip).withUnsafeBytes { frame in
                _ = pipeline.process(frame, linkType: .ethernet, timestamp: time, inspect: { decoded, bytes, _ in
                    engine.process(decoded, bytes: bytes, timestamp: time) { events.append($0) }
                }, emit: { _ in })
            }
        }
        engine.finish { events.append($0) }
        return (events, engine.counters(for: .icmp))
    }
}

extension TransactionEvent {
    var icmp: ICMPTransaction? {
        if let value = details as? ICMPTransaction { return value }
        return nil
    }
}

@Suite struct ICMPTests {
    typealias F = ICMPFrames

    @Test func echoPairsWithRTTAndTheCommunityIDOfTheRequest() {
        let (events, counters) = F.run([
            (1_000_000_000, F.ipv4(F.a, F.b, proto: 1, F.icmp(8, id: 7, seq: 1))),
            (1_000_250_000, F.ipv4(F.b, F.a, proto: 1, F.icmp(0, id: 7, seq: 1))),
            (2_000_000_000, F.ipv6(F.a6, F.b6, next: 58, F.icmp(128, id: 9, seq: 1))),
            (2_000_100_000, F.ipv6(F.b6, F.a6, next: 58, F.icmp(129, id: 9, seq: 1))),
        ])
        #expect(events.count == 2 && events.allSatisfy { $0.status == .ok && $0.isMatched })
        #expect(events.map(\.duration) == [250_000, 100_000])
        #expect(events[0].endpoints.clientPort == 8 && events[0].endpoints.serverPort == 0)
        #expect(events[0].requestBytes == 24 && events[0].responseBytes == 24)
        #expect(events[0].icmp?.summary == "Echo Request seq 1 -> Echo Reply seq 1")
        let json = events[0].json
        #expect(json.contains(#""icmp":{"version":4,"request":{"type":8,"code":0,"message":"Echo Request","id":7,"seq":1},"response":{"type":0,"code":0,"message":"Echo Reply","id":7,"seq":1}}"#))
        #expect(json.contains(#""path":"10.0.0.2""#))
        // The community-id spec's ICMP vector: 192.168.0.89 → 192.168.0.1 echo request.
        let vector = F.run([(1, F.ipv4([192, 168, 0, 89], [192, 168, 0, 1], proto: 1, F.icmp(8, id: 1, seq: 1))),
                            (2, F.ipv4([192, 168, 0, 1], [192, 168, 0, 89], proto: 1, F.icmp(0, id: 1, seq: 1)))])
        #expect(vector.events.first?.json.contains(#""community_id":"1:X0snYXpgwiv9TZtqg64sgzUn6Dk=""#) == true)
        #expect(events[1].json.contains(#""version":6"#) && events[1].json.contains(#""type":128"#))
        #expect(counters.requests == 2 && counters.responses == 2 && counters.matched == 2)
    }

    @Test func unansweredDuplicateAndStrayReplies() {
        let timeout: UInt64 = 10_000_000_000
        let (events, counters) = F.run([
            (1_000_000_000, F.ipv4(F.a, F.b, proto: 1, F.icmp(8, id: 1, seq: 1))),
            (1_000_001_000, F.ipv4(F.b, F.a, proto: 1, F.icmp(0, id: 1, seq: 1))),
            (1_000_002_000, F.ipv4(F.b, F.a, proto: 1, F.icmp(0, id: 1, seq: 1))),  // DUP!
            (1_000_003_000, F.ipv4(F.b, F.a, proto: 1, F.icmp(0, id: 1, seq: 99))),  // nobody asked
            (2_000_000_000, F.ipv4(F.a, F.b, proto: 1, F.icmp(8, id: 1, seq: 2))),
            (2_000_000_000 + timeout + 1_000_000_000, F.ipv4(F.a, F.b, proto: 1, F.icmp(8, id: 1, seq: 3))),
        ])
        #expect(events.map(\.status) == [.ok, .error, .error, .error, .error])
        #expect(events.map(\.notes) == [[], ["duplicate reply"], ["reply without a request"],
                                        ["no response within 10000 ms"], ["no response before end of capture"]])
        #expect(counters.timeouts == 1 && counters.unmatchedRequests == 2 && counters.unmatchedResponses == 2)
        #expect(counters.duplicateReplies == 1 && counters.fields.contains { $0 == ("duplicate_replies", 1) })
        // A reply alone is reported from the requester's side.
        #expect(events[1].endpoints.client == IPAddress("10.0.0.1")! && events[1].endpoints.clientPort == 8)
    }

    @Test func errorsCarryTheFlowTheyQuote() {
        let udp: [UInt8] = [0xC3, 0x50, 0x00, 0x09, 0, 20, 0, 0] + Array("anyone there".utf8)
        let quoted = F.ipv4(F.a, F.b, proto: 17, udp)
        let quoted6 = F.ipv6(F.a6, F.b6, next: 6, [0xC3, 0x51, 0x00, 0x50, 0, 0, 0, 1] + Array(repeating: 0, count: 12))
        let (events, counters) = F.run([
            (1_000, F.ipv4(F.a, F.b, proto: 17, udp)),
            (2_000, F.ipv4(F.b, F.a, proto: 1, F.icmp(3, 3, Array(quoted.prefix(28))))),
            (3_000, F.ipv6(F.b6, F.a6, next: 58, F.icmp(1, 4, quoted6))),
            (4_000, F.ipv4(F.b, F.a, proto: 1, F.icmp(3, 1, [0x45, 0]))),  // quote cut short
        ])
        #expect(events.count == 3 && events.allSatisfy { $0.status == .error && !$0.isMatched })
        #expect(events[0].icmp?.summary == "Destination Unreachable (port unreachable) for udp 10.0.0.1:50000 -> 10.0.0.2:9")
        #expect(events[0].endpoints.client == IPAddress("10.0.0.2")! && events[0].endpoints.clientPort == 3
                && events[0].endpoints.serverPort == 3)
        let original = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 50000,
                                            server: IPAddress("10.0.0.2")!, serverPort: 9, transport: .udp)
        var id: [UInt8] = []
        CommunityID.append(original.communityID, to: &id)
        #expect(events[0].json.contains(#""original":{"source":{"ip":"10.0.0.1","port":50000},"destination":{"ip":"10.0.0.2","port":9},"transport":"udp","community_id":""# + String(decoding: id, as: UTF8.self)))
        #expect(events[1].icmp?.summary == "Destination Unreachable (port unreachable) for tcp fd00::1:50001 -> fd00::2:80")
        #expect(events[2].icmp?.original == nil && counters.parseErrors == 1)
    }

    @Test func anErrorQuotingAPendingEchoSettlesIt() {
        let request = F.ipv4(F.a, F.b, proto: 1, ttl: 1, F.icmp(8, id: 5, seq: 1))
        let request6 = F.ipv6(F.a6, F.b6, next: 58, F.icmp(128, id: 6, seq: 1))
        let (events, counters) = F.run([
            (1_000_000, request),
            (1_300_000, F.ipv4(F.router, F.a, proto: 1, F.icmp(11, 0, Array(request.prefix(28))))),
            (2_000_000, request6),
            (2_100_000, F.ipv6(F.b6, F.a6, next: 58, F.icmp(3, 0, request6))),
        ])
        #expect(events.map(\.icmp!.summary) == ["Echo Request seq 1 -> Time Exceeded (TTL exceeded in transit)",
                                               "Echo Request seq 1 -> Time Exceeded (hop limit exceeded in transit)"])
        #expect(events.map(\.duration) == [300_000, 100_000])
        #expect(events.allSatisfy { $0.status == .error })
        #expect(events[0].icmp?.original?.echoIdentifier == 5 && events[0].icmp?.original?.ipProtocol == 1)
        #expect(counters.unmatchedRequests == 0 && counters.requests == 2)
    }

    @Test func otherMessagesAreIgnoredAndGarbageDoesNotTrap() {
        var packets: [(UInt64, [UInt8])] = [
            (1, F.ipv6(F.a6, F.b6, next: 58, F.icmp(135, 0))),  // neighbour solicitation
            (2, F.ipv4(F.a, F.b, proto: 1, F.icmp(5, 1))),       // redirect
        ]
        // Every truncation of an error quoting an IPv6 datagram with extension headers.
        let inner = F.ipv6(F.a6, F.b6, next: 0, [17, 0, 1, 4, 0, 0, 0, 0] + [44, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 0, count: 16))
        var patched = inner
        patched[48] = 17  // fragment header's next: UDP
        for cut in 0...patched.count {
            packets.append((UInt64(10 + cut), F.ipv6(F.b6, F.a6, next: 58, F.icmp(1, 4, Array(patched.prefix(cut))))))
        }
        let (events, _) = F.run(packets)
        #expect(events.count == patched.count + 1)
        #expect(events.last?.icmp?.original?.ipProtocol == 17)
    }
}
