import Testing
@testable import ScopeAnalyzers

/// The DNS items of issue 17, each on a capture built by
/// Tests/Fixtures/captures/make-dns-edge.py, against tshark's reading of
/// the same file.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct DNSEdgeOracleTests {
    static let fields = ["-e", "dns.flags.response", "-e", "dns.id", "-e", "dns.qry.name", "-e", "dns.a",
                         "-e", "dns.count.answers", "-e", "_ws.malformed"]

    static func dnsEvents(_ name: String) throws -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        let analysis = try CaptureOracle.analyze(name)
        return (analysis.events.filter { $0.application == .dns }, analysis.counters(.dns))
    }

    /// "name [addresses]" per answered query, the way tshark pairs them.
    static func tsharkAnswers(_ name: String, arguments: [String] = []) throws -> [String] {
        try CaptureOracle.tshark(name, arguments + ["-Y", "dns.flags.response == 1"] + fields).map { "\($0[2]) [\($0[3])]" }
    }

    static func ourAnswers(_ events: [TransactionEvent]) -> [String] {
        events.filter { $0.dns?.request != nil && $0.dns?.response != nil }.sorted { $0.start < $1.start }.map {
            let response = $0.dns!.response!
            let addresses = response.answers.filter { $0.type == 1 }.map(\.data).joined(separator: ",")
            return "\(response.question?.name ?? "?") [\(addresses)]"
        }
    }

    /// Padding after the last record: tshark reads the answer; so do we,
    /// and the padding is counted, not an error.
    @Test func paddedResponsesAreAnswered() throws {
        let (events, counters) = try Self.dnsEvents("dns-padding.pcap")
        let expected = try Self.tsharkAnswers("dns-padding.pcap")
        #expect(expected.count == 3)
        #expect(Self.ourAnswers(events) == expected)
        #expect(events.allSatisfy { $0.status == .ok && $0.notes.isEmpty })
        #expect(counters.matched == 3 && counters.unmatchedRequests == 0 && counters.parseErrors == 0)
        #expect(counters.trailingBytes == 8 + 3)
    }

    /// One broken record in the additional or authority section: tshark
    /// shows the question and answers and flags the packet malformed; we
    /// report the answers, note the partial parse and count the error.
    @Test func aCorruptRecordKeepsTheAnswers() throws {
        let (events, counters) = try Self.dnsEvents("dns-corrupt.pcap")
        let rows = try CaptureOracle.tshark("dns-corrupt.pcap", ["-Y", "dns.flags.response == 1"] + Self.fields)
        #expect(rows.count == 2 && rows.allSatisfy { !$0[5].isEmpty })  // both malformed for tshark
        // tshark's dns.a lists the additional section's addresses too: the answers come first.
        let answers = rows.map { row in
            "\(row[2]) [\(row[3].split(separator: ",").prefix(Int(row[4]) ?? 0).joined(separator: ","))]"
        }
        #expect(Self.ourAnswers(events) == answers)
        #expect(events.map(\.notes) == [["response partially parsed: record 2 of the additional section is malformed"],
                                         ["response partially parsed: record 1 of the authority section is malformed"]])
        #expect(events.map { $0.dns?.response?.answerCount } == rows.map { Int($0[4]) })
        #expect(events.allSatisfy { $0.status == .ok })
        #expect(counters.matched == 2 && counters.parseErrors == 2)
        // What parsed of the authority section before the broken record is kept too.
        var configuration = AnalyzerConfiguration()
        configuration.includeDNSAuthorities = true
        configuration.includeDNSAdditionals = true
        let full = try CaptureOracle.analyze("dns-corrupt.pcap", configuration: configuration).events
        #expect(full.first?.dns?.response?.authorities.map(\.data) == ["ns.test"])
        #expect(full.first?.dns?.response?.additionals.map(\.data) == ["10.99.0.1"])
    }

    /// Types 255 and the ones tshark 4.0's table predates are the only
    /// differences: tshark prints 255 as IANA's "*", we keep "ANY" (as dig
    /// and Packetbeat do); tshark says "Unknown" for these later assignments.
    static let newerThanTshark: Set<String> = ["53", "56", "66", "67", "68", "128", "258", "259", "260", "261", "262",
                                              "263", "264"]

    @Test func everyAssignedTypeHasItsIANAName() throws {
        let (events, _) = try Self.dnsEvents("dns-types.pcap")
        // tshark's showname is "Type: MNEMONIC (description) (value)".
        let pdml = try CaptureOracle.tsharkOutput("dns-types.pcap", ["-Y", "dns.flags.response == 0", "-T", "pdml"])
        let shown = pdml.split(separator: "\n").filter { $0.contains("name=\"dns.qry.type\"") }.compactMap { line -> (String, String)? in
            guard let start = line.range(of: "showname=\"Type: ")?.upperBound,
                  let value = line.range(of: "show=\"")?.upperBound else { return nil }
            let mnemonic = line[start...].prefix { $0 != " " && $0 != "\"" }
            return (String(line[value...].prefix { $0 != "\"" }), String(mnemonic))
        }
        try #require(shown.count == 109 && events.count == 109)  // 97 assigned, 12 not
        let ours = Dictionary(uniqueKeysWithValues: events.map { event -> (String, String) in
            let question = event.dns!.request!.question!
            return (String(question.type), DNSNames.type(question.type))
        })
        var unknownToTshark: [String] = []
        for (value, theirs) in shown {
            let name = ours[value] ?? "missing"
            switch theirs {
            case "*": #expect(value == "255" && name == "ANY")
            case "Unknown" where Self.newerThanTshark.contains(value):
                #expect(!name.hasPrefix("TYPE"), "type \(value)")
                unknownToTshark.append(name)
            case "Unknown": #expect(name == "TYPE\(value)")
            default: #expect(name == theirs, "type \(value)")
            }
        }
        #expect(unknownToTshark == ["SMIMEA", "NINFO", "DSYNC", "HHIT", "BRID", "NXNAME", "AVC", "DOA", "AMTRELAY",
                                    "RESINFO", "WALLET", "CLA", "IPN"])
        #expect(events.contains { $0.json.contains(#""type":"SSHFP""#) })
    }

    /// Lost client segments over TCP. Every response arrived (tshark
    /// reads all seven); the queries lost in the gaps stay lost, but the
    /// next query after each gap is found again (resynchronised on its
    /// length prefix) and paired, although the reassembler hands it over
    /// only after its answer (when the connection closes, the hole given up). tshark's own reading of
    /// the client side stops at the gaps (it finds one and three only):
    /// five and seven are queries it cannot frame, we resynchronise.
    @Test func tcpResynchronisesAfterAGap() throws {
        let (events, counters) = try Self.dnsEvents("dns-tcp-gap.pcap")
        let rows = try CaptureOracle.tshark("dns-tcp-gap.pcap", ["-Y", "dns"] + Self.fields)
        let responses = rows.filter { $0[0] == "1" }.map { $0[2] }
        #expect(responses == ["one.test", "lost.test", "three.test", "four.test", "five.test", "six.test", "seven.test"])
        // tshark also takes the segment after the second gap for a (malformed) query without a name.
        let tsharkQueries = rows.filter { $0[0] == "0" && !$0[2].isEmpty }.map { $0[2] }
        #expect(tsharkQueries == ["one.test", "three.test"])
        let paired = events.filter { $0.dns?.request != nil && $0.dns?.response != nil }.map { $0.dns!.request!.question!.name }
        #expect(paired == ["one.test", "three.test", "five.test", "seven.test"])
        #expect(Set(tsharkQueries).isSubset(of: Set(paired)))
        let orphans = events.filter { $0.dns?.request == nil }
        #expect(orphans.map { $0.dns!.response!.question!.name } == ["lost.test", "four.test", "six.test"])
        #expect(orphans.allSatisfy { $0.notes == ["response without a query"] })
        // Every response is in exactly one event (the ones without a query come out at the end).
        #expect(events.map { $0.dns?.response?.question?.name ?? "-" }.sorted() == responses.sorted())
        #expect(counters.gaps == 3 && counters.gapsAbsorbed == 1 && counters.parseErrors == 0)
    }

    /// LLMNR, mDNS and NetBIOS NS look like DNS to a content detector;
    /// tshark names them by port, and none of them is reported as DNS.
    /// DNS on an unassigned port is still found by content.
    @Test func lookalikesAreNotDNS() throws {
        let protocols = try CaptureOracle.tshark("dns-lookalikes.pcap", ["-d", "udp.port==5300,dns", "-e", "_ws.col.Protocol"])
        #expect(protocols.map { $0[0] } == ["LLMNR", "LLMNR", "MDNS", "MDNS", "NBNS", "DNS", "DNS"])
        let (events, counters) = try Self.dnsEvents("dns-lookalikes.pcap")
        #expect(events.map { $0.dns?.request?.question?.name } == ["other.test"])
        #expect(events.map(\.endpoints.serverPort) == [5300] && events.first?.status == .ok)
        #expect(counters.detectedByContent == 2 && counters.requests == 1 && counters.responses == 1)
    }

    /// A port configured for DNS wins over the look-alike rule.
    @Test func aConfiguredPortStillWins() throws {
        var configuration = AnalyzerConfiguration()
        configuration.selection = try ProtocolSelection(parsing: "dns:53,5355")
        let events = try CaptureOracle.analyze("dns-lookalikes.pcap", configuration: configuration).events
        #expect(events.compactMap { $0.dns?.request?.question?.name }.sorted() == ["other.test", "wpad"])
    }
}
