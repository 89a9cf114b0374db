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

    /// A cut in the header or question fails; a cut in a record keeps the
    /// records before it and says where parsing stopped. Never a trap.
    @Test func everyTruncationFailsOrParsesInPart() throws {
        let full = DNSBuild.richResponse(id: 7)
        let questionEnd = 12 + DNSBuild.name("host.test").count + 4
        for length in 0..<full.count {
            switch parse(Array(full[..<length])) {
            case .failure:
                #expect(length < questionEnd, "a \(length)-byte prefix failed")
            case .success(let message):
                #expect(length >= questionEnd && message.partial != nil && message.trailingBytes == 0,
                        "a \(length)-byte prefix parsed whole")
                #expect(message.question?.name == "host.test")
            }
        }
        let whole = try parse(full).get()
        #expect(whole.partial == nil && whole.trailingBytes == 0 && whole.answers.count == 8)
    }

    @Test func paddingIsCountedNotAnError() throws {
        let padded = try parse(DNSBuild.richResponse(id: 7) + [0, 0, 0]).get()
        #expect(padded.trailingBytes == 3 && padded.partial == nil && padded.answers.count == 8)
        #expect(padded.opt?.dnssecOK == true)
        // Detection by content stays strict: a padded datagram is no sure sign of DNS.
        #expect((DNSBuild.richResponse(id: 7) + [0]).withUnsafeBytes { DNSDetection.matchDatagram($0) } == .no)
    }

    @Test func aBrokenRecordKeepsWhatCameBefore() throws {
        let good = DNSBuild.record(DNSBuild.pointer(12), type: 1, data: [10, 0, 0, 1])
        let loop = DNSBuild.pointer(12 + 15 + good.count) + DNSBuild.u16(1) + DNSBuild.u16(1)  // points at itself
        let bytes = DNSBuild.header(id: 1, flags: 0x8180, answers: 1, authorities: 1)
            + DNSBuild.question(DNSBuild.name("host.test"), type: 1) + good + loop + DNSBuild.u32(0) + DNSBuild.u16(0)
        let message = try parse(bytes).get()
        #expect(message.answers.map(\.data) == ["10.0.0.1"] && message.authorities.isEmpty)
        #expect(message.partial == DNSPartial(section: .authority, record: 0))
        #expect(message.partial?.note == "partially parsed: record 1 of the authority section is malformed")
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
        let framedResponse = DNSBuild.u16(response.count) + response
        #expect(framedResponse.withUnsafeBytes { DNSDetection.matchStream($0) } == .fromServer)
    }

    /// A TLS ClientHello whose record is 256-511 bytes long reads as a
    /// plausible UPDATE header over TCP; its record counts cannot fit the length.
    @Test func aTLSClientHelloIsNoDNSOverTCP() {
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x01, 0x2d, 0x01, 0x00, 0x01, 0x29, 0x03, 0x03, 0xec, 0x02, 0x5e, 0xc9, 0x65]
        #expect(hello.withUnsafeBytes { DNSDetection.matchStream($0) } == .no)
        #expect(hello.withUnsafeBytes { ApplicationProtocol.tls.detect($0, transport: .tcp) } == .fromClient)
    }

    /// A records as the dotted quad the joined decimal bytes gave, at the
    /// digit-count edges of every position.
    @Test func aRecordDottedQuad() {
        let values: [UInt8] = [0, 1, 9, 10, 11, 99, 100, 101, 199, 200, 255]
        for (index, first) in values.enumerated() {
            let bytes = [first, values[(index &+ 3) % values.count], values[(index &+ 5) % values.count],
                         values[(index &+ 7) % values.count]]
            bytes.withUnsafeBytes { data in
                #expect(DNSRecordData.render(data, type: 1, range: 0..<4) == bytes.map(String.init).joined(separator: "."))
            }
        }
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
        // The response nobody asked for waits for a late query, then comes out with the rest at the end.
        #expect(events.map(\.dns!.summary) == ["A host.test -> NOERROR 10.99.0.5, fd00:99::5, alias.test", "A dup.test -> ?",
                                                "A lost.test -> ?", "A host.test -> NOERROR 10.99.0.5, fd00:99::5, alias.test",
                                                "A dup.test -> ?"])
        #expect(events.map(\.status) == [.ok, .error, .error, .error, .error])
        try #require(events.count == 5)
        #expect(events[0].duration == 200 && events[3].dns?.request == nil)
        #expect(events[1].notes == ["another query with the same id was sent before a response"])
        #expect(events[2].notes == ["no response within 10000 ms"] && events[4].notes == ["no response before end of capture"])
        #expect(events[3].notes == ["response without a query"])
        #expect(counters.requests == 4 && counters.responses == 2 && counters.matched == 1)
        #expect(counters.unmatchedRequests == 3 && counters.unmatchedResponses == 1 && counters.timeouts == 1)
    }

    /// The response first, its query later (TCP after a hole, merged
    /// captures): paired, with the query's own time as the start.
    @Test func aResponseWaitsForItsQuery() throws {
        let (events, counters) = run { dns in
            dns.handle(message(DNSBuild.richResponse(id: 1), at: 300), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.query(id: 1, "host.test", type: 1), at: 100), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.richResponse(id: 2), at: 400), endpoints: Self.endpoints)
            dns.handle(message(DNSBuild.richResponse(id: 2), at: 500), endpoints: Self.endpoints)
            dns.expire(now: 10_000_000_500)
        }
        #expect(events.map(\.status) == [.ok, .error, .error])
        #expect(events.first?.duration == 200 && events.first?.notes == [])
        #expect(events.dropFirst().allSatisfy { $0.notes == ["response without a query"] && $0.dns?.request == nil })
        #expect(counters.matched == 1 && counters.unmatchedResponses == 2 && counters.unmatchedRequests == 0)
        #expect(counters.requests == 1 && counters.responses == 3)
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

    /// A gap inside a message of known length: that message is lost, the
    /// next one is read where its length says, whatever the split.
    @Test func gapInsideAMessageIsSkippedExactly() {
        let lost = DNSBuild.u16(38) + DNSBuild.query(id: 5, "host.test", type: 1)
        let next = DNSBuild.u16(38) + DNSBuild.query(id: 6, "next.test", type: 1)
        let response = DNSBuild.richResponse(id: 6)
        let conversation = Conversation(steps: [
            .client(Array(lost.prefix(7)), at: 1), .clientGap(10, at: 2), .client(Array(lost.suffix(from: 17)) + next, at: 3),
            .server(DNSBuild.u16(response.count) + response, at: 4),
        ])
        #expect(Set(conversation.splitEverywhere(.dns).map { $0.joined(separator: "|") }).count == 1)
        let (events, counters) = conversation.run(.dns)
        #expect(events.map(\.status) == [.ok] && events.first?.dns?.request?.question?.name == "next.test")
        #expect(counters.gaps == 1 && counters.gapsAbsorbed == 1 && counters.skippedBytes == 5 + 23)
    }

    /// A gap of unknown extent: the side looks for the next prefix followed
    /// by a query, across deliveries, and skips what came before.
    @Test func gapOfUnknownExtentResynchronises() {
        let next = DNSBuild.u16(38) + DNSBuild.query(id: 6, "next.test", type: 1)
        let response = DNSBuild.richResponse(id: 6)
        let junk: [UInt8] = [0, 1, 0xFF, 0, 38, 1, 2, 3, 0, 0x61, 0, 0]
        let conversation = Conversation(steps: [
            .clientGap(100, at: 1), .client(junk + next, at: 2), .server(DNSBuild.u16(response.count) + response, at: 3),
        ])
        #expect(Set(conversation.splitEverywhere(.dns).map { $0.joined(separator: "|") }).count == 1)
        let (events, counters) = conversation.run(.dns)
        #expect(events.map(\.status) == [.ok] && counters.skippedBytes == UInt64(junk.count))
        #expect(counters.gaps == 1 && counters.gapsAbsorbed == 0 && counters.parseErrors == 0)
    }

    @Test func gapLosesTheMessageItCutInto() {
        let query = DNSBuild.query(id: 5, "host.test", type: 1)
        let (events, counters) = Conversation(steps: [
            .client(DNSBuild.u16(query.count) + Array(query.prefix(5)), at: 1), .clientGap(10, at: 2),
            .client(Array(query.suffix(from: 15)), at: 3),
        ]).run(.dns)
        // The gap ends inside the message: skipped exactly, nothing left to report.
        #expect(events.isEmpty && counters.gaps == 1 && counters.parseErrors == 0 && counters.skippedBytes == 5 + 23)
    }
}
