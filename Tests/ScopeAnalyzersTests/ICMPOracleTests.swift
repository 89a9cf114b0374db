@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// icmp.pcap (make-icmp.sh: ping/ping -6 through a router namespace, a
/// ping the router ignores, UDP to a closed port over v4 and v6, TTL and
/// hop limit 1, a host that does not exist) through the `dpdkscope read`
/// path, compared with tshark's ICMP/ICMPv6 dissectors: echo pairing
/// (`resp_to`) and RTT (`resptime`, to the microsecond), and the quoted
/// datagram of each error.
@Suite struct ICMPOracleTests {
    static let file = "icmp.pcap"

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func echoPairsAndRTTsMatchTshark() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let rows = try CaptureOracle.tshark(Self.file, ["-Y", "icmp.resp_to || icmpv6.resp_to",
                                                        "-e", "icmp.resptime", "-e", "icmpv6.resptime", "-e", "icmp.seq",
                                                        "-e", "icmpv6.echo.sequence_number"])
        let theirs = rows.map { row -> String in
            let millis = Double(row[0].isEmpty ? row[1] : row[0]) ?? -1
            return "\(row[2].isEmpty ? row[3] : row[2]) \(Int((millis * 1000).rounded()))"
        }
        let pairs = analysis.events.filter { $0.status == .ok }
        let ours = pairs.map { "\($0.icmp!.request!.sequence!) \(Int(($0.duration + 500) / 1000))" }
        #expect(ours.count == 6)
        #expect(ours == theirs)
        #expect(pairs.allSatisfy { $0.icmp!.response!.type == ($0.icmp!.version == 6 ? 129 : 0) })
    }

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func errorsNameTheFlowTsharkDecodesInTheQuote() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let rows = try CaptureOracle.tshark(Self.file, [
            "-Y", "icmp.type==3 || icmp.type==11 || icmpv6.type<=4",
            "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ip.proto", "-e", "ipv6.nxt",
            "-e", "udp.srcport", "-e", "udp.dstport", "-e", "icmp.seq", "-e", "icmpv6.echo.sequence_number"])
        // The quoted (inner) header is the last occurrence of each field.
        func inner(_ field: String) -> String { field.split(separator: ",").last.map(String.init) ?? "" }
        let theirs = rows.map { row in
            let v4 = !row[0].isEmpty
            return [inner(v4 ? row[0] : row[2]), inner(v4 ? row[1] : row[3]), inner(v4 ? row[4] : row[5]),
                    row[6], row[7], v4 ? row[8] : row[9]].joined(separator: " ")
        }
        let errors = analysis.events.compactMap(\.icmp).filter { $0.original != nil }
        let ours = errors.map { transaction -> String in
            let flow = transaction.original!
            let ports = flow.ipProtocol == 17 ? [String(flow.sourcePort!), String(flow.destinationPort!)] : ["", ""]
            return ([flow.source.description, flow.destination.description, String(flow.ipProtocol)] + ports
                + [flow.echoSequence.map(String.init) ?? ""]).joined(separator: " ")
        }
        #expect(ours.count == 5)
        #expect(ours == theirs)
        // Three of them quote an echo request still pending: one event each,
        // the error as its response (RTT to the error); two stand alone.
        #expect(errors.filter { $0.request?.type == 8 || $0.request?.type == 128 }.count == 3)
        #expect(analysis.events.filter { $0.icmp?.original != nil }.allSatisfy { $0.status == .error })
    }

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func everyMessageIsAccountedFor() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let counters = analysis.counters(.icmp)
        let types = try CaptureOracle.tshark(Self.file, ["-e", "icmp.type", "-e", "icmpv6.type"])
            .map { ($0[0].isEmpty ? $0[1] : $0[0]).split(separator: ",").first.map(String.init) ?? "" }
        let requests = types.filter { $0 == "8" || $0 == "128" }.count
        let replies = types.filter { $0 == "0" || $0 == "129" }.count
        let errors = types.filter { ["1", "2", "3", "4", "11", "12"].contains($0) }.count
        // Neighbour discovery (133, 135, 136) is not analysed.
        #expect(types.count - requests - replies - errors == types.filter { ["133", "135", "136"].contains($0) }.count)
        #expect(counters.requests == UInt64(requests) && requests == 10)
        #expect(counters.matched == UInt64(replies) && replies == 6)
        // The ping to the router (which ignores echo) is the one unanswered request.
        #expect(counters.unmatchedRequests == 1 && counters.unmatchedResponses == 0 && counters.parseErrors == 0)
        let unanswered = analysis.events.filter { $0.icmp?.response == nil && $0.icmp?.original == nil }
        #expect(unanswered.map(\.endpoints.server.description) == ["10.99.8.1"])
        #expect(analysis.events.count == 6 + 5 + 1)  // pairs, errors (3 settling an echo), the unanswered ping
        #expect(errors == 5)
    }

    /// dns.pcap holds the port unreachable that answers dig's query to the
    /// closed port 5399: the error names exactly that DNS flow (same
    /// community id as the unanswered DNS event).
    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func theUnreachableInDNSCaptureNamesTheUnansweredQuery() throws {
        let analysis = try CaptureOracle.analyze("dns.pcap")
        let errors = analysis.events.filter { $0.application == .icmp }
        let unanswered = analysis.events.filter { $0.application == .dns && $0.dns?.response == nil }
        #expect(errors.count == 1 && unanswered.count == 1)
        let flow = try #require(errors.first?.icmp?.original?.endpoints)
        #expect(flow.serverPort == 5399 && flow.transport == .udp)
        #expect(flow.communityID == unanswered.first?.endpoints.communityID)
        #expect(errors.first?.status == .error && errors.first?.notes == ["Destination Unreachable (port unreachable)"])
    }
}
