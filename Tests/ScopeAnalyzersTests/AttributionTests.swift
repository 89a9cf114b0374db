import Testing
@testable import ScopeAnalyzers
import ScopeDecode

/// Which protocol gets a TCP connection, and which side is the client:
/// configured port first, otherwise the first bytes of either side.
struct AttributionTests {
    struct Table {
        let context = AnalyzerContext(configuration: AnalyzerConfiguration())
        var table: TCPSessionTable
        let stream: TCPStream

        init(clientPort: UInt16 = 40000, serverPort: UInt16, handshake: Bool) {
            table = TCPSessionTable(context: context)
            let (key, direction) = FlowKey.make(source: IPAddress("10.0.0.1")!, sourcePort: clientPort,
                                                destination: IPAddress("10.0.0.2")!, destinationPort: serverPort,
                                                ipProtocol: 6)
            stream = TCPStream(id: TCPStreamID(slot: 3, generation: 1), key: key, client: handshake ? direction : nil)
            table.opened(stream, timestamp: 0)
        }

        /// The client's side in flow-key terms (10.0.0.1 sorts low).
        mutating func send(_ text: String, fromClient: Bool, at time: UInt64) {
            Array(text.utf8).withUnsafeBytes {
                table.deliver($0, stream: stream, direction: fromClient ? .fromLow : .fromHigh, timestamp: time)
            }
        }

        mutating func events() -> [String] {
            table.closed(stream, reason: .fin, timestamp: 100)
            var lines: [String] = []
            context.drainEvents { lines.append("\($0.endpoints.clientPort) \($0.http?.summary ?? $0.dns?.summary ?? "")") }
            return lines
        }
    }

    @Test func contentDetectionWaitsForEnoughBytesOnAnyPort() {
        var session = Table(serverPort: 9000, handshake: false)
        session.send("GE", fromClient: true, at: 1)  // could still be GET
        #expect(session.table.sessions[3]?.analyzer == nil && session.table.sessions[3]?.held.0 == Array("GE".utf8))
        session.send("T /x HTTP/1.1\r\nHost: h\r\n\r\n", fromClient: true, at: 2)
        session.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", fromClient: false, at: 3)
        #expect(session.events() == ["40000 GET /x -> 200 OK"])
        #expect(session.context.counters(.http).detectedByContent == 1)
    }

    @Test func responseFirstMidStreamStillFindsTheClient() {
        var session = Table(serverPort: 9000, handshake: false)
        session.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", fromClient: false, at: 1)
        session.send("GET /next HTTP/1.1\r\n\r\n", fromClient: true, at: 2)
        session.send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", fromClient: false, at: 3)
        // The server spoke first, so the other side is the client.
        #expect(session.events() == ["40000 ? -> 200 OK", "40000 GET /next -> 404 Not Found"])
    }

    @Test func configuredPortDecidesWithoutContent() {
        var session = Table(serverPort: 8080, handshake: true)
        session.send("\r\nGET /after-blank HTTP/1.1\r\n\r\n", fromClient: true, at: 1)
        session.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", fromClient: false, at: 2)
        #expect(session.events() == ["40000 GET /after-blank -> 200 OK"])
        #expect(session.context.counters(.http).detectedByPort == 1)
    }

    @Test func otherProtocolsAreIgnoredOnceBothSidesSaidNo() {
        var session = Table(serverPort: 22, handshake: true)
        session.send("SSH-2.0-OpenSSH_9.2\r\n", fromClient: false, at: 1)
        #expect(session.table.sessions[3]?.ignored == false)
        session.send("SSH-2.0-OpenSSH_9.2\r\n", fromClient: true, at: 2)
        #expect(session.table.sessions[3]?.ignored == true)
        session.send("GET / HTTP/1.1\r\n\r\n", fromClient: true, at: 3)  // too late: not a message start
        #expect(session.events().isEmpty)
    }

    /// Found by content on a port nobody assigned; never on LLMNR's or
    /// mDNS's port (look-alikes of DNS, not DNS).
    @Test(arguments: [(UInt16(5300), true), (5353, false), (5355, false)])
    func dnsOverTCPByContent(port: UInt16, reported: Bool) {
        var session = Table(serverPort: port, handshake: true)
        let query = DNSBuild.query(id: 42, "host.test", type: 1)
        let response = DNSBuild.richResponse(id: 42)
        (DNSBuild.u16(query.count) + query).withUnsafeBytes {
            session.table.deliver($0, stream: session.stream, direction: .fromLow, timestamp: 1)
        }
        (DNSBuild.u16(response.count) + response).withUnsafeBytes {
            session.table.deliver($0, stream: session.stream, direction: .fromHigh, timestamp: 2)
        }
        #expect(session.events() == (reported ? ["40000 A host.test -> NOERROR 10.99.0.5, fd00:99::5, alias.test"] : []))
    }
}
