import Foundation
import ScopeDecode
import ScopePcap
import ScopeTestSupport
import Testing

/// The link-type fixtures (Tests/Fixtures/captures/make-linktypes.sh): one
/// loopback session recorded as Ethernet, Linux cooked v1 and v2 and a
/// two-interface pcapng, plus the same frames rewritten into every other
/// link type read supports. Each file is read through CaptureFileReader and
/// the decoder and compared with tshark's reading of it (linktypes/oracle),
/// and its flows and transactions with those of the Ethernet recording.
@Suite("Link types: real captures vs tshark")
struct LinkTypeFixtureTests {
    static let files = [
        "lo.pcap", "sll.pcap", "sll2.pcap", "lo-any.pcapng", "null-le.pcap", "null-be.pcap", "loop.pcap",
        "ppp.pcap", "ppp-hdlc.pcap", "pppoe.pcap", "chdlc.pcap", "raw.pcap", "ipv4.pcap", "ipv6.pcap", "mixed.pcapng",
    ]
    static let directory = FixtureAnalysis.directory + "/linktypes"

    /// Packet by packet: the interface, whether it decodes at all, and its
    /// addresses, protocol and ports are tshark's.
    @Test(arguments: files)
    func packetsMatchTshark(file: String) throws {
        let oracle = try TsharkTable(path: Self.directory + "/oracle/\(file).tsv")
        let reader = try CaptureFileReader(path: Self.directory + "/" + file)
        var decoder = PacketDecoder()
        var decoded = DecodedPacket()
        var frame = 0, ipPackets = 0
        while let packet = try reader.next() {
            frame += 1
            let row = try #require(oracle.rows[frame], "\(file) frame \(frame) missing from the oracle")
            // pcap has no interface ids (tshark prints none): always 0 there.
            #expect(row["frame.interface_id"] ?? "0" == String(packet.interfaceIndex), "\(file) frame \(frame)")
            guard let linkType = LinkType(pcapLinkType: packet.linkType) else {
                #expect(row.tuple == nil, "\(file) frame \(frame): tshark found IP in a skipped packet")
                continue
            }
            let error = decoder.decode(packet.bytes, linkType: linkType, into: &decoded)
            #expect(error == nil, "\(file) frame \(frame): \(String(describing: error))")
            let ports = decoded.transport == .tcp || decoded.transport == .udp
            let tuple = "\(decoded.source) \(decoded.destination) \(decoded.ipProtocol)"
                + (ports ? " \(decoded.sourcePort) \(decoded.destinationPort)" : "")
            #expect(tuple == row.tuple, "\(file) frame \(frame)")
            ipPackets += 1
        }
        #expect(frame == oracle.rows.count, "\(file): \(frame) packets, tshark \(oracle.rows.count)")
        #expect(ipPackets >= 16, "\(file): \(ipPackets) IP packets")
    }

    /// The same traffic gives the same flows (Community IDs, packet counts)
    /// on every link as on Ethernet; raw IPv4/IPv6 files hold one family.
    @Test(arguments: files.dropFirst())
    func flowsMatchEthernet(file: String) throws {
        let ethernet = try Self.flows("lo.pcap")
        let flows = try Self.flows(file)
        let expected = file == "ipv4.pcap" ? ethernet.filter { $0.hasSuffix(" v4") }
            : file == "ipv6.pcap" ? ethernet.filter { $0.hasSuffix(" v6") } : ethernet
        if file == "lo-any.pcapng" {
            // Every packet twice (two interfaces), replayed after the first
            // copy's connection closed: the same flows, each more than once.
            #expect(Set(flows.map { $0.split(separator: " ")[0] }) == Set(expected.map { $0.split(separator: " ")[0] }))
        } else {
            #expect(flows == expected, "\(file)")
        }
    }

    /// HTTP transactions, field by field but for timestamps and durations
    /// (the Linux cooked recordings are the same packets, a microsecond apart).
    @Test(arguments: files.dropFirst())
    func transactionsMatchEthernet(file: String) throws {
        let ethernet = try Self.transactions("lo.pcap")
        #expect(ethernet.count == 3)
        let transactions = try Self.transactions(file)
        switch file {
        case "ipv4.pcap": #expect(transactions == ethernet.filter { !$0.contains("[") })
        case "ipv6.pcap": #expect(transactions == ethernet.filter { $0.contains("[") })
        case "lo-any.pcapng": #expect(Set(transactions) == Set(ethernet))
        default: #expect(transactions == ethernet, "\(file)")
        }
    }

    /// Final flows as "communityID packets family", sorted.
    static func flows(_ file: String) throws -> [String] {
        let reader = try CaptureFileReader(path: directory + "/" + file)
        var pipeline = PacketPipeline()
        var flows: [String] = []
        let collect = { (event: FlowEvent) in
            guard event.isFinal else { return }
            let family = event.source.family == .ipv6 ? "v6" : "v4"
            flows.append("\(event.communityIDString) \(event.sourcePackets)/\(event.destinationPackets) \(family)")
        }
        while let packet = try reader.next() {
            guard let linkType = LinkType(pcapLinkType: packet.linkType) else { continue }
            pipeline.process(packet.bytes, linkType: linkType, timestamp: packet.timestamp, inspect: { _, _, _ in }, emit: collect)
        }
        pipeline.finish(emit: collect)
        return flows.sorted()
    }

    /// Transaction lines without their timestamp and duration, in order.
    static func transactions(_ file: String) throws -> [String] {
        try FixtureAnalysis.events("linktypes/" + file).map { event in
            event.line.split(separator: " ", omittingEmptySubsequences: true).dropFirst()
                .filter { !$0.hasSuffix("ms") }.joined(separator: " ")
        }
    }
}

/// One `tshark -T fields -E header=y` table, rows by frame number.
struct TsharkTable {
    struct Row {
        let fields: [String: String]
        subscript(name: String) -> String? { fields[name] }

        /// "src dst proto[ sport dport]" as tshark saw the packet; nil without IP.
        var tuple: String? {
            guard let source = self["ip.src"] ?? self["ipv6.src"], let destination = self["ip.dst"] ?? self["ipv6.dst"],
                  let proto = self["ip.proto"] ?? self["ipv6.nxt"] else { return nil }
            let ports = (self["tcp.srcport"] ?? self["udp.srcport"]).flatMap { s in
                (self["tcp.dstport"] ?? self["udp.dstport"]).map { " \(s) \($0)" }
            } ?? ""
            return "\(source) \(destination) \(proto)\(ports)"
        }
    }

    let rows: [Int: Row]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let header = lines.first.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) } ?? []
        var rows: [Int: Row] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var fields: [String: String] = [:]
            for (name, cell) in zip(header, cells) where !cell.isEmpty { fields[name] = cell }
            if let number = fields["frame.number"].flatMap(Int.init) { rows[number] = Row(fields: fields) }
        }
        self.rows = rows
    }
}
