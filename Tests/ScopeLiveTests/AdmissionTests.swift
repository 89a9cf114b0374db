import ScopeAnalyzers
import ScopeDecode
import ScopeLive
import ScopePcap
import ScopeTestSupport
import Testing

/// Frames built by hand: Ethernet (optionally one VLAN tag), IPv4 or IPv6,
/// then four port bytes; nothing else is read by the hash.
private func frame(ipv6: Bool = false, vlan: Bool = false, source: UInt8, destination: UInt8,
                   sourcePort: UInt16, destinationPort: UInt16, proto: UInt8 = 6, fragmentField: UInt16 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 12)
    if vlan { bytes += [0x81, 0x00, 0x00, 0x07] }
    if ipv6 {
        bytes += [0x86, 0xDD, 0x60, 0, 0, 0, 0, 20, proto, 64]
        bytes += [UInt8](repeating: 0xFD, count: 15) + [source] + [UInt8](repeating: 0xFD, count: 15) + [destination]
    } else {
        bytes += [0x08, 0x00, 0x45, 0, 0, 40, 0, 1, UInt8(fragmentField >> 8), UInt8(fragmentField & 0xFF), 64, proto, 0, 0]
        bytes += [10, 0, 0, source, 10, 0, 0, destination]
    }
    bytes += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF)]
    return bytes + [UInt8](repeating: 0, count: 16)
}

private func hash(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { FlowSampleHash.hash(ethernetFrame: $0) }
}

@Suite("Analysis admission under overload")
struct AdmissionTests {
    @Test("both directions of a flow hash alike, over IPv4, IPv6 and VLAN")
    func symmetric() {
        for ipv6 in [false, true] {
            for vlan in [false, true] {
                let forward = frame(ipv6: ipv6, vlan: vlan, source: 1, destination: 2, sourcePort: 40000, destinationPort: 80)
                let reverse = frame(ipv6: ipv6, vlan: vlan, source: 2, destination: 1, sourcePort: 80, destinationPort: 40000)
                let other = frame(ipv6: ipv6, vlan: vlan, source: 1, destination: 2, sourcePort: 40001, destinationPort: 80)
                #expect(hash(forward) == hash(reverse))
                #expect(hash(forward) != hash(other))
            }
        }
    }

    @Test("the pieces of a fragmented datagram share a bucket")
    func fragments() {
        let first = frame(source: 1, destination: 2, sourcePort: 5353, destinationPort: 53, proto: 17, fragmentField: 0x2000)
        let later = frame(source: 1, destination: 2, sourcePort: 0x1234, destinationPort: 0x5678, proto: 17, fragmentField: 0x00B9)
        #expect(hash(first) == hash(later))
    }

    @Test("client ports spread evenly over the buckets")
    func spread() {
        var counts = [Int](repeating: 0, count: Int(AnalysisAdmission.buckets))
        for port in 0..<20_480 {
            let bytes = frame(source: 1, destination: 2, sourcePort: UInt16(10_000 + port), destinationPort: 6379)
            counts[Int(hash(bytes) % AnalysisAdmission.buckets)] += 1
        }
        // 20 per bucket on average; a fair hash stays well inside 0...60.
        #expect(counts.max()! < 60)
        #expect(counts.filter { $0 == 0 }.count < 5)
    }

    @Test("truncated and garbage frames of every length hash without trapping")
    func hostile() {
        let full = frame(vlan: true, source: 1, destination: 2, sourcePort: 1, destinationPort: 2)
        for length in 0...full.count { _ = hash(Array(full.prefix(length))) }
        var garbage = full
        garbage[12] = 0x81; garbage[13] = 0x00; garbage[16] = 0x88; garbage[17] = 0xA8; garbage[20] = 0x86; garbage[21] = 0xDD
        for length in 0...garbage.count { _ = hash(Array(garbage.prefix(length))) }
        var shortHeader = frame(source: 1, destination: 2, sourcePort: 1, destinationPort: 2)
        shortHeader[14] = 0x41
        _ = hash(shortHeader)
    }

    @Test("keeps up: everything admitted and nothing hashed or counted")
    func fullShare() {
        var admission = AnalysisAdmission()
        for _ in 0..<10 { admission.update(meanRingFill: 0.3) }
        let bytes = frame(source: 1, destination: 2, sourcePort: 1, destinationPort: 2)
        for _ in 0..<1000 { #expect(bytes.withUnsafeBytes { admission.admits(ethernetFrame: $0) }) }
        #expect(admission.shedPackets == 0 && admission.overloads == 0 && !admission.isShedding)
    }

    @Test("overload shrinks the share of flows analysed; both directions stay together; it recovers")
    func shrinkAndRecover() {
        var admission = AnalysisAdmission()
        admission.update(meanRingFill: 0.8)
        admission.update(meanRingFill: 0.8)
        #expect(admission.overloads == 2)
        #expect(admission.admittedShare > 0.5 && admission.admittedShare < 0.6)
        var admitted = 0
        let flows = 4000
        for port in 0..<flows {
            let forward = frame(source: 1, destination: 2, sourcePort: UInt16(20_000 + port), destinationPort: 80)
            let reverse = frame(source: 2, destination: 1, sourcePort: 80, destinationPort: UInt16(20_000 + port))
            let a = forward.withUnsafeBytes { admission.admits(ethernetFrame: $0) }
            let b = reverse.withUnsafeBytes { admission.admits(ethernetFrame: $0) }
            #expect(a == b)
            if a { admitted += 1 }
        }
        let share = Double(admitted) / Double(flows)
        #expect(abs(share - admission.admittedShare) < 0.05)
        #expect(admission.shedPackets == UInt64(2 * (flows - admitted)))
        for _ in 0..<100 { admission.update(meanRingFill: 0.9) }
        #expect(admission.admittedBuckets == 0)
        let before = admission.shedPackets
        for port in 0..<100 {
            let bytes = frame(source: 1, destination: 2, sourcePort: UInt16(30_000 + port), destinationPort: 80)
            #expect(!bytes.withUnsafeBytes { admission.admits(ethernetFrame: $0) })
        }
        #expect(admission.shedPackets == before + 100)
        for _ in 0..<10 { admission.update(meanRingFill: 0.01) }
        #expect(admission.admittedBuckets < 30, "recovery starts small")
        for _ in 0..<60 { admission.update(meanRingFill: 0.01) }
        #expect(!admission.isShedding)
    }

    @Test("a level that tips the loop over is held off, longer each time it fails again")
    func backOff() {
        var admission = AnalysisAdmission()
        for _ in 0..<60 { admission.update(meanRingFill: 0.95) }
        #expect(admission.admittedBuckets == 0)
        // Light load lets it climb 0 → 1 → 2; at 2 the loop overloads.
        admission.update(meanRingFill: 0.0)
        admission.update(meanRingFill: 0.0)
        #expect(admission.admittedBuckets == 2)
        admission.update(meanRingFill: 0.95)
        #expect(admission.admittedBuckets == 1)
        // For the next second (20 reports) it stays at 1 however idle the ring.
        for _ in 0..<19 { admission.update(meanRingFill: 0.0) }
        #expect(admission.admittedBuckets == 1)
        admission.update(meanRingFill: 0.0)
        #expect(admission.admittedBuckets == 2)
        // Failing again doubles the hold: two seconds this time.
        admission.update(meanRingFill: 0.95)
        for _ in 0..<39 { admission.update(meanRingFill: 0.0) }
        #expect(admission.admittedBuckets == 1)
        admission.update(meanRingFill: 0.0)
        #expect(admission.admittedBuckets == 2)
        admission.update(meanRingFill: 0.0)
        #expect(admission.admittedBuckets == 3)
    }

    @Test("sampled flows stay whole: a shed run yields a subset of the events, each as matched as before")
    func realCaptureSubset() throws {
        for name in ["dns.pcap", "http.pcap", "redis.pcap"] {
            let full = try analyze(name, share: nil)
            let sampled = try analyze(name, share: 3)
            let key = { (event: TransactionEvent) in "\(event.endpoints.clientPort)/\(event.start)/\(event.isMatched)" }
            let fullKeys = Set(full.map(key))
            #expect(!sampled.isEmpty || full.count < 4, "\(name): nothing sampled")
            #expect(sampled.count < full.count || full.count < 4, "\(name): nothing shed")
            for event in sampled { #expect(fullKeys.contains(key(event)), "\(name): \(key(event)) not in the full run") }
        }
    }

    /// The fixture through admission (shrunk `share` times, nil: untouched),
    /// then the pipeline and engine, as LiveAnalysis does it.
    private func analyze(_ name: String, share overloads: Int?) throws -> [TransactionEvent] {
        var admission = AnalysisAdmission()
        for _ in 0..<(overloads ?? 0) { admission.update(meanRingFill: 0.8) }
        let reader = try CaptureFileReader(path: FixtureAnalysis.directory + "/" + name)
        var pipeline = PacketPipeline()
        var engine = AnalysisEngine(configuration: AnalyzerConfiguration())
        var events: [TransactionEvent] = []
        while let packet = try reader.next() {
            guard packet.linkType == 1, admission.admits(ethernetFrame: packet.bytes) else { continue }
            let timestamp = packet.timestamp
            pipeline.process(packet.bytes, linkType: .ethernet, timestamp: timestamp, inspect: { decoded, bytes, _ in
                engine.process(decoded, bytes: bytes, timestamp: timestamp) { events.append($0) }
            }, emit: { _ in })
        }
        engine.finish { events.append($0) }
        return events
    }
}
