import Testing
@testable import ScopeDecode

@Suite("Flow table")
struct FlowTableTests {
    static let second: UInt64 = 1_000_000_000

    static func tcp(_ from: String, _ sourcePort: UInt16, _ to: String, _ destinationPort: UInt16,
                    _ flags: TCPFlags, payload: Int = 0, vlan: UInt16? = nil) -> DecodedPacket {
        let segment = Build.tcp(sourcePort: sourcePort, destinationPort: destinationPort, flags: flags,
                                payload: [UInt8](repeating: 0x61, count: payload))
        let vlans: [(tpid: UInt16, id: UInt16)] = vlan.map { [(tpid: UInt16(0x8100), id: $0)] } ?? []
        return decode(Build.ethernet(vlans: vlans, etherType: 0x0800,
                                     payload: Build.ipv4(source: from, destination: to, proto: 6, payload: segment))).packet
    }

    static func udp(_ from: String, _ sourcePort: UInt16, _ to: String, _ destinationPort: UInt16) -> DecodedPacket {
        decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
            source: from, destination: to, proto: 17,
            payload: Build.udp(sourcePort: sourcePort, destinationPort: destinationPort, payload: [1, 2])))).packet
    }

    static func icmp(_ from: String, _ to: String, type: UInt8, identifier: UInt16 = 0x77) -> DecodedPacket {
        decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
            source: from, destination: to, proto: 1, payload: Build.icmp(type: type, identifier: identifier, sequence: 1)))).packet
    }

    static func table(maxFlows: Int = 1024) -> FlowTable {
        FlowTable(configuration: .init(maxFlows: maxFlows, tcpIdleTimeout: 30 * second, udpIdleTimeout: 10 * second,
                                       otherIdleTimeout: 5 * second, closedLinger: 2 * second,
                                       reportInterval: 10 * second, hashSeed: 1))
    }

    @Test func keyIsCanonicalWithDirectionBit() throws {
        let forward = try #require(FlowKey.make(for: FlowTableTests.tcp("10.1.1.2", 5555, "10.1.1.1", 80, .syn, vlan: 7)))
        let backward = try #require(FlowKey.make(for: FlowTableTests.tcp("10.1.1.1", 80, "10.1.1.2", 5555, [.syn, .ack], vlan: 7)))
        #expect(forward.key == backward.key)
        #expect(forward.key.lowAddress == ip("10.1.1.1") && forward.key.lowPort == 80)
        #expect(forward.key.vlanID == 7)
        #expect(forward.direction == .fromHigh && backward.direction == .fromLow)
        let otherVLAN = try #require(FlowKey.make(for: FlowTableTests.tcp("10.1.1.2", 5555, "10.1.1.1", 80, .syn, vlan: 8)))
        #expect(otherVLAN.key != forward.key)
        // Same address both ends: the ports decide.
        let loop = FlowKey.make(source: ip("::1"), sourcePort: 9, destination: ip("::1"), destinationPort: 8, ipProtocol: 17)
        #expect(loop.direction == .fromHigh && loop.key.lowPort == 8)
    }

    @Test func fullTCPConversation() {
        var table = FlowTableTests.table()
        var events: [FlowEvent] = []
        let client = "128.232.110.120", server = "66.35.250.204"
        let conversation: [(DecodedPacket, UInt64)] = [
            (FlowTableTests.tcp(client, 34855, server, 80, .syn), 1),
            (FlowTableTests.tcp(server, 80, client, 34855, [.syn, .ack]), 2),
            (FlowTableTests.tcp(client, 34855, server, 80, .ack, payload: 100), 3),
            (FlowTableTests.tcp(server, 80, client, 34855, [.fin, .ack], payload: 1000), 4),
            (FlowTableTests.tcp(client, 34855, server, 80, [.fin, .ack]), 5),
        ]
        for (packet, time) in conversation {
            table.update(packet, timestamp: time * FlowTableTests.second) { events.append($0) }
        }
        // FIN from both sides: the flow lingers, so the last ACK still counts.
        #expect(events.isEmpty)
        #expect(table.counters.closed == 1 && table.counters.active == 0)
        table.update(FlowTableTests.tcp(server, 80, client, 34855, .ack), timestamp: 6 * FlowTableTests.second) { events.append($0) }
        #expect(table.counters.created == 1 && events.isEmpty)

        // A new SYN on the same tuple ends the closed flow (its final event,
        // last ACK included) and starts a new connection with a new id.
        table.update(FlowTableTests.tcp(client, 34855, server, 80, .syn), timestamp: 7 * FlowTableTests.second) { events.append($0) }
        #expect(events.count == 1)
        let event = events[0]
        #expect(event.isFinal && event.endReason == .closed)
        #expect(event.source == ip(client) && event.sourcePort == 34855)
        #expect(event.destination == ip(server) && event.destinationPort == 80)
        #expect(event.sourcePackets == 3 && event.destinationPackets == 3)
        #expect(event.sourceBytes == 54 * 3 + 100 && event.destinationBytes == 54 * 3 + 1000)
        #expect(event.start == 1 * FlowTableTests.second && event.end == 6 * FlowTableTests.second)
        #expect(event.duration == 5 * FlowTableTests.second)
        #expect(event.tcpState == [.syn, .synAck, .finFromSource, .finFromDestination])
        #expect(event.communityIDString == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        #expect(table.counters.created == 2 && table.counters.active == 1)

        let reset = table.update(FlowTableTests.tcp(server, 80, client, 34855, .rst), timestamp: 8 * FlowTableTests.second) { events.append($0) }
        #expect(reset == .fromLow)
        #expect(events.count == 1, "a reset flow lingers too")
        table.flush(now: 9 * FlowTableTests.second) { events.append($0) }
        #expect(events.count == 2)
        #expect(events[1].endReason == .reset && events[1].tcpState == [.syn, .rst])
        #expect(events[1].flowID != event.flowID)
    }

    @Test func synAckFirstMakesTheReceiverTheSource() {
        var table = FlowTableTests.table()
        table.update(FlowTableTests.tcp("10.0.0.80", 443, "10.0.0.5", 40000, [.syn, .ack]), timestamp: 1)
        var events: [FlowEvent] = []
        table.flush(now: 2) { events.append($0) }
        #expect(events.count == 1)
        #expect(events[0].endReason == .flushed && events[0].isFinal)
        #expect(events[0].source == ip("10.0.0.5") && events[0].sourcePort == 40000)
        #expect(events[0].destinationPackets == 1 && events[0].sourcePackets == 0)
    }

    @Test func icmpEchoPairsUpAndGetsCommunityID() {
        var table = FlowTableTests.table()
        table.update(FlowTableTests.icmp("192.168.0.89", "192.168.0.1", type: 8), timestamp: 1)
        table.update(FlowTableTests.icmp("192.168.0.1", "192.168.0.89", type: 0), timestamp: 2)
        table.update(FlowTableTests.icmp("192.168.0.89", "192.168.0.1", type: 8, identifier: 0x78), timestamp: 3)
        #expect(table.counters.created == 2)
        let events = table.expire(now: 100 * FlowTableTests.second)
        let first = events.first { $0.start == 1 }
        #expect(first?.sourcePackets == 1 && first?.destinationPackets == 1)
        #expect(first?.communityIDString == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        #expect(first?.transportName == "icmp")
    }

    @Test func evictsLongestIdleAtCapacity() {
        var table = FlowTableTests.table(maxFlows: 4)
        for index in 1...4 {
            table.update(FlowTableTests.udp("10.0.0.\(index)", 1000, "10.9.9.9", 53), timestamp: UInt64(index))
        }
        // Touch flow 1 so flow 2 becomes the longest idle.
        table.update(FlowTableTests.udp("10.9.9.9", 53, "10.0.0.1", 1000), timestamp: 5)
        var events: [FlowEvent] = []
        table.update(FlowTableTests.udp("10.0.0.5", 1000, "10.9.9.9", 53), timestamp: 6) { events.append($0) }
        #expect(events.count == 1)
        #expect(events[0].endReason == .evicted && events[0].isFinal)
        #expect(events[0].source == ip("10.0.0.2"))
        #expect(table.counters.evicted == 1 && table.counters.active == 4 && table.counters.created == 5)
        // Flow 1 survived: updating it creates nothing.
        table.update(FlowTableTests.udp("10.0.0.1", 1000, "10.9.9.9", 53), timestamp: 7)
        #expect(table.counters.created == 5)
    }

    @Test func idleTimeoutsPerProtocol() {
        var table = FlowTableTests.table()
        table.update(FlowTableTests.tcp("10.0.0.1", 1, "10.0.0.2", 2, .syn), timestamp: 0)
        table.update(FlowTableTests.udp("10.0.0.1", 1, "10.0.0.2", 2), timestamp: 0)
        table.update(FlowTableTests.icmp("10.0.0.1", "10.0.0.2", type: 8), timestamp: 0)
        let s = FlowTableTests.second
        #expect(table.expire(now: 4 * s).isEmpty)
        #expect(table.expire(now: 5 * s).map(\.ipProtocol) == [1])
        #expect(table.expire(now: 10 * s).map(\.ipProtocol) == [17])
        #expect(table.expire(now: 29 * s).isEmpty)
        let last = table.expire(now: 30 * s)
        #expect(last.map(\.ipProtocol) == [6])
        #expect(last.first?.endReason == .idleTimeout && last.first?.timestamp == 30 * s)
        #expect(table.counters.timedOut == 3 && table.counters.active == 0)
    }

    @Test func periodicReports() {
        var table = FlowTableTests.table()
        let s = FlowTableTests.second
        #expect(table.reportDue(now: 0).isEmpty)  // arms the clock
        table.update(FlowTableTests.udp("10.0.0.1", 1, "10.0.0.2", 2), timestamp: 1 * s)
        table.update(FlowTableTests.udp("10.0.0.2", 2, "10.0.0.1", 1), timestamp: 2 * s)
        #expect(table.reportDue(now: 9 * s).isEmpty)
        let reports = table.reportDue(now: 10 * s)
        #expect(reports.count == 1)
        #expect(reports.first?.isFinal == false && reports.first?.endReason == .active)
        #expect(reports.first?.sourcePackets == 1 && reports.first?.destinationPackets == 1)
        #expect(table.reportDue(now: 11 * s).isEmpty)
        #expect(table.counters.active == 1)
    }

    @Test func fragmentsAndNonIPAreIgnored() {
        var table = FlowTableTests.table()
        let fragment = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 17, payload: [UInt8](repeating: 0, count: 8), fragmentField: 0x2000))).packet
        #expect(table.update(fragment, timestamp: 1) == nil)
        #expect(table.update(decode(Build.ethernet(etherType: 0x0806, payload: [])).packet, timestamp: 1) == nil)
        // A TCP header that failed to decode has no ports: no port-0 flow.
        let broken = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 6, payload: [0, 80])))
        #expect(broken.error == .truncatedTCP)
        #expect(table.update(broken.packet, timestamp: 1) == nil)
        #expect(table.counters.created == 0)
        // Protocols without ports still make flows.
        let gre = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 47, payload: Build.gre(protocolType: 0x8847, payload: []))))
        #expect(table.update(gre.packet, timestamp: 2) == .fromLow)
        #expect(table.counters.created == 1)
    }

    /// Churn far past capacity: the open-addressing index must keep finding
    /// every live flow (exercises backward-shift deletion), and the storage
    /// arrays must never be reallocated (no per-packet allocation).
    @Test func indexStaysConsistentUnderChurn() {
        let capacity = 512
        var table = FlowTableTests.table(maxFlows: capacity)
        let recordsBefore = table.storage.records.withUnsafeBufferPointer { $0.baseAddress }
        let slotsBefore = table.storage.slots.withUnsafeBufferPointer { $0.baseAddress }
        func packet(_ n: Int) -> DecodedPacket {
            FlowTableTests.udp("10.\(n / 65536 % 256).\(n / 256 % 256).\(n % 256)", UInt16(n % 60000), "10.255.0.1", 53)
        }
        let packets = (0..<4000).map(packet)
        for (n, value) in packets.enumerated() {
            table.update(value, timestamp: UInt64(n))
            if n % 97 == 0 { _ = table.expire(now: UInt64(n)) }
        }
        #expect(table.counters.created == 4000)
        #expect(table.counters.active == capacity)
        for value in packets.suffix(capacity) {
            table.update(value, timestamp: 5000)
        }
        #expect(table.counters.created == 4000)
        #expect(table.storage.records.withUnsafeBufferPointer { $0.baseAddress } == recordsBefore)
        #expect(table.storage.slots.withUnsafeBufferPointer { $0.baseAddress } == slotsBefore)
    }
}

/// The same input gives the same output: ids and the end-of-capture order
/// depend on the traffic only, never on the table's random hash seed.
@Suite("Flow table determinism")
struct FlowTableDeterminismTests {
    static let second = FlowTableTests.second

    /// Flows starting out of address order, two at the same instant, one closed.
    static let traffic: [(DecodedPacket, UInt64)] = [
        (FlowTableTests.udp("10.9.9.9", 5000, "10.0.0.1", 53), 3 * second),
        (FlowTableTests.tcp("10.0.0.5", 40000, "10.0.0.1", 80, .syn), 1 * second),
        (FlowTableTests.udp("10.0.0.2", 5001, "10.0.0.1", 53), 2 * second),
        (FlowTableTests.udp("10.0.0.3", 5002, "10.0.0.1", 53), 2 * second),
        (FlowTableTests.icmp("10.0.0.7", "10.0.0.1", type: 8), 4 * second),
        (FlowTableTests.tcp("10.0.0.6", 40001, "10.0.0.1", 80, [.rst]), 5 * second),
    ]

    static func flushed(seed: UInt64?) -> [FlowEvent] {
        var table = FlowTable(configuration: .init(maxFlows: 64, hashSeed: seed))
        for (packet, time) in traffic { table.update(packet, timestamp: time) }
        var events: [FlowEvent] = []
        table.flush(now: 6 * second) { events.append($0) }
        return events
    }

    @Test func idsAndOrderDoNotDependOnTheSeed() {
        let reference = Self.flushed(seed: 1)
        #expect(reference.count == 6)
        for seed in [2, 0xDEAD_BEEF, nil] as [UInt64?] {
            let events = Self.flushed(seed: seed)
            #expect(events.map(\.flowID) == reference.map(\.flowID))
            #expect(events.map(\.json) == reference.map(\.json))
        }
    }

    @Test func flushedByStartTimeThenCommunityID() {
        let events = Self.flushed(seed: nil)
        #expect(events.map(\.start) == events.map(\.start).sorted())
        let tied = events.filter { $0.start == 2 * Self.second }.map(\.communityIDString)
        #expect(tied.count == 2 && tied == tied.sorted())
        #expect(Set(events.map(\.flowID)).count == events.count)
    }
}
