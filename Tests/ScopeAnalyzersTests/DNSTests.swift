import Testing
@testable import ScopeAnalyzers

struct DNSParserTests {
    func parse(_ bytes: [UInt8]) -> Result<DNSMessage, DNSParser.Failure> {
        bytes.withUnsafeBytes { DNSParser.parse($0) }
    }

    @Test func everyRecordTypeRendersInPresentationForm() throws {
        let message = try parse(DNSBuild.richResponse(id: 0x1234)).get()
        #expect(message.id == 0x1234 && message.isResponse && message.authoritative && message.recursionDesired)
        #expect(message.recursionAvailable && !message.truncated && message.responseCode == 0)
        #expect(message.question == DNSQuestion(name: "host.test", type: 1, recordClass: 1))
        #expect(message.answers.map(\.data) == ["10.99.0.5", "fd00:99::5", "alias.test", "10 mail.test",
                                                 "hello world two", "0 5 80 host.test", "host.test", "\\# 3 0102ab"])
        #expect(message.answers.allSatisfy { $0.name == "host.test" && $0.ttl == 300 })
        #expect(message.authorities.first?.data == "ns.test admin.test 2024 3600 600 86400 60")
        #expect(message.opt == DNSOpt(udpSize: 1232, version: 0, dnssecOK: true, extendedResponseCode: 0))
        #expect(message.answerCount == 8 && message.authorityCount == 1 && message.additionalCount == 1)
    }

    @Test func compressionLoopsAndLongChainsAreRejected() {
        let header = DNSBuild.header(id: 1, flags: 0x0100)
        // A pointer to itself, and two pointers pointing at each other.
        #expect(parse(header + DNSBuild.pointer(12) + DNSBuild.u16(1) + DNSBuild.u16(1)) == .failure(.badName))
        #expect(parse(header + [1, 0x61] + DNSBuild.pointer(16) + DNSBuild.pointer(12) + [0, 1, 0, 1]) == .failure(.badName))
        // 300 octets of labels: longer than any legal name.
        let label: [UInt8] = [63] + Array(repeating: UInt8(ascii: "a"), count: 63)
        let long: [UInt8] = Array(repeating: label, count: 5).flatMap { $0 } + [0]
        #expect(parse(header + long + [0, 1, 0, 1]) == .failure(.badName))
        // A pointer past the end of the message.
        #expect(parse(header + DNSBuild.pointer(500) + [0, 1, 0, 1]) == .failure(.badName))
    }

    @Test func namesWithOddBytesAreEscaped() throws {
        let message = try parse(DNSBuild.header(id: 1, flags: 0) + [3, 0x61, 0x2E, 0x00, 1, 0x5C, 0] + [0, 16, 0, 1]).get()
        #expect(message.question?.name == "a\\.\\000.\\\\")
    }

    @Test func everyTruncationFailsCleanly() {
        let full = DNSBuild.richResponse(id: 7)
        for length in 0..<full.count {
            guard case .failure = parse(Array(full[..<length])) else {
                Issue.record("a \(length)-byte prefix parsed")
                return
            }
        }
        #expect(parse(full + [0]) == .failure(.trailingBytes))
        #expect((try? parse(full).get()) != nil)
    }

    @Test func detectionNeedsAPlausibleHeaderAndAWholeMessage() {
        let query = DNSBuild.query(id: 9, "host.test", type: 1)
        let response = DNSBuild.richResponse(id: 9)
        #expect(query.withUnsafeBytes { DNSDetection.matchDatagram($0) } == .fromClient)
        #expect(response.withUnsafeBytes { DNSDetection.matchDatagram($0) } == .fromServer)
        #expect(Array(query.dropLast()).withUnsafeBytes { DNSDetection.matchDatagram($0) } == .no)
        #expect(Array("GET / HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { DNSDetection.matchDatagram($0) } == .no)
        let framed = DNSBuild.u16(query.count) + query
        #expect(Array(framed[..<2]).withUnsafeBytes { DNSDetection.matchStream($0) } == .needMore)
        #expect(Array(framed[..<16]).withUnsafeBytes { DNSDetection.matchStream($0) } == .fromClient)
        #expect([0, 3, 1, 2, 3].withUnsafeBytes { DNSDetection.matchStream($0) } == .no)
    }
}

struct DNSPairingTests {
    static let endpoints = TransactionEndpoints(client: Conversation.endpoints.client, clientPort: 40000,
                                                server: Conversation.endpoints.server, serverPort: 53, transport: .udp)

    func message(_ bytes: [UInt8], at time: UInt64) -> DNSMessage {
        var message = try! bytes.withUnsafeBytes { DNSParser.parse($0) }.get()
        message.time = time
        return message
    }

    func run(_ body: (DNSCorrelator) -> Void) -> ([TransactionEvent], AnalyzerCounters) {
        let context = AnalyzerContext(configuration: AnalyzerConfiguration())
        body(context.dns)
        var events: [TransactionEvent] = []
        context.drainEvents { events.append($0) }
        return (events, context.counters(.dns))
    }

    @Test func pairsByIdAndReportsOrphansDuplicatesAndTimeouts() throws {
        let (events, counters) = run { dns in
            dns.handle(message(DNSBuild.query(id: 1, "host.test", type: 1), at: 100), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.query(id: 2, "lost.test", type: 1), at: 200), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.richResponse(id: 1), at: 300), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.richResponse(id: 3), at: 400), endpoints: Self.endpoints)  // nobody asked
            dns.handle(message(DNSBuild.query(id: 4, "dup.test", type: 1), at: 500), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.query(id: 4, "dup.test", type: 1), at: 600), endpoints: Self.endpoints)
            dns.expire(now: 10_000_000_199)
            dns.expire(now: 10_000_000_200)  // id 2 is 10 s old now
            dns.drain(now: 10_000_000_300)
        }
        #expect(events.map(\.dns!.summary) == ["A host.test -> NOERROR 10.99.0.5, fd00:99::5, alias.test", "A host.test -> NOERROR 10.99.0.5, fd00:99::5, alias.test",
                                                "A dup.test -> ?", "A lost.test -> ?", "A dup.test -> ?"])
        #expect(events.map(\.status) == [.ok, .error, .error, .error, .error])
        try #require(events.count == 5)
        #expect(events[0].duration == 200 && events[1].dns?.request == nil)
        #expect(events[2].notes == ["another query with the same id was sent before a response"])
        #expect(events[3].notes == ["no response within 10000 ms"] && events[4].notes == ["no response before end of capture"])
        #expect(counters.requests == 4 && counters.responses == 2 && counters.matched == 1)
        #expect(counters.unmatchedRequests == 3 && counters.unmatchedResponses == 1 && counters.timeouts == 1)
    }

    @Test func tcpFramingSurvivesEverySplitAndPairs() throws {
        let query = DNSBuild.query(id: 77, "host.test", type: 1)
        let response = DNSBuild.richResponse(id: 77)
        let conversation = Conversation(steps: [
            .client(DNSBuild.u16(query.count) + query, at: 10),
            .server(DNSBuild.u16(response.count) + response + DNSBuild.u16(response.count) + response, at: 20),
        ])
        let results = conversation.splitEverywhere(.dns)
        #expect(Set(results.map { $0.joined(separator: "|") }).count == 1)
        let (events, counters) = conversation.run(.dns)
        try #require(events.count == 2)
        #expect(events[0].status == .ok && events[0].endpoints.transport == .tcp)
        #expect(events[1].notes == ["response without a query"] && counters.matched == 1)
    }

    @Test func gapDropsTheTCPSide() {
        let query = DNSBuild.query(id: 5, "host.test", type: 1)
        let (events, counters) = Conversation(steps: [
            .client(DNSBuild.u16(query.count) + Array(query.prefix(5)), at: 1), .clientGap(10, at: 2),
            .client(Array(query.suffix(from: 15)), at: 3),
        ]).run(.dns)
        #expect(events.isEmpty && counters.gaps == 1 && counters.parseErrors == 0 && counters.skippedBytes > 0)
    }
}
