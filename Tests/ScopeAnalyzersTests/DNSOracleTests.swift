import Testing
@testable import ScopeAnalyzers

/// dns.pcap (dnsmasq + dig, see make-captures.sh) against tshark's DNS
/// dissector in two-pass mode (so queries carry dns.response_in). Ports 5300
/// and 5399 are not DNS ports for either tool: tshark is told with `-d`,
/// dpdkscope finds them by content.
///
/// Explained differences, built into the comparison:
/// - tshark also dissects the DNS query quoted inside the ICMP port
///   unreachable that answers the query to 5399 and lists it as a second
///   query; it was never sent as one, so ICMP frames are filtered out.
/// - tshark's dns.a/dns.aaaa include addresses from the additional section
///   (dnsmasq adds host.test's A/AAAA to the SRV answer); dpdkscope keeps
///   additional records only when configured, so the comparison enables
///   them and compares answer + additional addresses. `dns.resolved_ip` is
///   answers only, as in Packetbeat.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct DNSOracleTests {
    static let arguments = ["-2", "-d", "udp.port==5300,dns", "-d", "udp.port==5399,dns", "-Y", "dns and not icmp",
                            "-e", "frame.number", "-e", "dns.flags.response", "-e", "dns.qry.name", "-e", "dns.flags.rcode",
                            "-e", "dns.response_in", "-e", "dns.count.answers", "-e", "dns.a", "-e", "dns.aaaa",
                            "-e", "tcp.stream"]

    @Test func transactionsEqualTshark() throws {
        var configuration = AnalyzerConfiguration()
        configuration.includeDNSAdditionals = true
        let analysis = try CaptureOracle.analyze("dns.pcap", configuration: configuration)
        // The ICMP port unreachable answering the query to 5399 is an icmp event.
        let events = analysis.events.filter { $0.application == .dns }
        let rows = try CaptureOracle.tshark("dns.pcap", Self.arguments)
        let responses = Dictionary(uniqueKeysWithValues: rows.filter { $0[1] == "1" }.map { ($0[0], $0) })
        let queries = rows.filter { $0[1] == "0" }
        var expected: [String] = []
        for query in queries {
            guard let response = responses[query[4]] else {
                expected.append("\(query[2]) - - -")
                continue
            }
            let addresses = (response[6].split(separator: ",") + response[7].split(separator: ",")).joined(separator: ",")
            expected.append("\(query[2]) \(response[3]) \(response[5]) [\(addresses)]")
        }
        let ours = events.sorted { $0.start < $1.start }.map { event -> String in
            let dns = event.dns!
            guard let response = dns.response else { return "\(dns.request?.question?.name ?? "?") - - -" }
            let records = response.answers + response.additionals
            let addresses = records.filter { $0.type == 1 }.map(\.data) + records.filter { $0.type == 28 }.map(\.data)
            return "\(response.question?.name ?? "?") \(response.responseCode) \(response.answerCount) [\(addresses.joined(separator: ","))]"
        }
        #expect(ours == expected)
        #expect(queries.count == 13 && responses.count == 12)

        let counters = analysis.counters(.dns)
        #expect(counters.requests == UInt64(queries.count) && counters.responses == UInt64(responses.count))
        #expect(counters.matched == 12 && counters.unmatchedResponses == 0 && counters.parseErrors == 0)
        let unanswered = events.filter { $0.dns?.response == nil }
        #expect(unanswered.map(\.notes) == [["no response before end of capture"]])
        #expect(counters.unmatchedRequests == 1 && unanswered.allSatisfy { $0.status == .error })
        // Ports 5300 (query and response) and 5399 (query) were found by content.
        #expect(counters.detectedByContent == 3)
        // resolved_ip: answers only.
        let srv = events.first { $0.dns?.request?.question?.type == 33 }
        #expect(srv?.json.contains("resolved_ip") == false && srv?.json.contains("\"additionals\":[") == true)
    }

    @Test func featuresSeenInTheCapture() throws {
        let events = try CaptureOracle.analyze("dns.pcap").events
        func answer(_ name: String, type: UInt16) -> TransactionEvent? {
            events.first { $0.dns?.request?.question == DNSQuestion(name: name, type: type, recordClass: 1) }
        }
        #expect(answer("host.test", type: 28)?.dns?.response?.answers.first?.data == "fd00:99::5")
        #expect(answer("test", type: 15)?.dns?.response?.answers.first?.data == "10 mail.test")
        #expect(answer("txt.test", type: 16)?.dns?.response?.answers.first?.data == "hello world second string")
        #expect(answer("_http._tcp.test", type: 33)?.dns?.response?.answers.first?.data == "0 5 80 host.test")
        #expect(answer("5.0.99.10.in-addr.arpa", type: 12)?.dns?.response?.answers.first?.data == "host.test")
        #expect(answer("alias.test", type: 1)?.dns?.response?.answers.map(\.data) == ["host.test", "10.99.0.5"])
        let nxdomain = try #require(answer("nope.test", type: 1))
        #expect(nxdomain.status == .error && nxdomain.dns?.response?.responseCode == 3)
        #expect(nxdomain.json.contains("\"response_code\":\"NXDOMAIN\""))
        let overTCP = events.filter { $0.endpoints.transport == .tcp }
        #expect(overTCP.count == 1 && overTCP.first?.status == .ok)
        let withDO = events.filter { $0.dns?.request?.opt?.dnssecOK == true }
        #expect(withDO.count == 1 && withDO.first?.dns?.request?.opt?.udpSize == 1232)
        #expect(events.contains { $0.dns?.request?.opt == nil && $0.dns?.response != nil })  // +noedns
    }

    @Test func portsOnlyMissesTheNonStandardPorts() throws {
        var configuration = AnalyzerConfiguration()
        configuration.selection = try ProtocolSelection(parsing: "dns", detectByContent: false)
        let analysis = try CaptureOracle.analyze("dns.pcap", configuration: configuration)
        #expect(analysis.events.count == 11 && analysis.counters(.dns).detectedByContent == 0)
    }
}
