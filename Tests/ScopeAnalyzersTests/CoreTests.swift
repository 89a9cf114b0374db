import Testing
@testable import ScopeAnalyzers

struct ProtocolSelectionTests {
    @Test func parsesPortsRangesAndDefaults() throws {
        let selection = try ProtocolSelection(parsing: " http:80, 8080 ; dns ")
        #expect(selection.ports(for: .http) == [80, 8080] && selection.ports(for: .dns) == [53])
        #expect(selection.enabled == [.http, .dns] && selection.detectByContent)
        let ranged = try ProtocolSelection(parsing: "http:8000-8003,8001")
        #expect(ranged.ports(for: .http) == [8000, 8001, 8002, 8003] && !ranged.isEnabled(.dns))
        #expect(ProtocolSelection.defaults.ports(for: .http) == [80, 8080, 8000, 5000, 8002])
        let everything = try ProtocolSelection(parsing: "http:1-65535")
        #expect(everything.ports(for: .http).count == 65_535)
    }

    @Test(arguments: [
        ("", "empty protocol list"), ("smtp:25", "unknown protocol 'smtp' (known: \(ProtocolSelection.knownNames))"),
        ("http:80;http:81", "protocol 'http' given twice"), ("http:0", "bad port '0' for http (expected 1-65535 or low-high)"),
        ("http:70000", "bad port '70000' for http (expected 1-65535 or low-high)"), ("http:90-80", "bad port '90-80' for http (expected 1-65535 or low-high)"),
        ("http:53;dns", "port 53 given for both http and dns"), ("http:", "bad port '' for http (expected 1-65535 or low-high)"),
    ])
    func rejectsBadSpecs(spec: String, message: String) {
        #expect(throws: ProtocolSelection.SpecError(description: message)) { try ProtocolSelection(parsing: spec) }
    }

    @Test func portMapFollowsTheSelectionAndTransports() throws {
        let map = PortMap(try ProtocolSelection(parsing: "http:8080;dns:5353"))
        #expect(map.lookup(8080, .tcp) == .http && map.lookup(8080, .udp) == nil && map.lookup(80, .tcp) == nil)
        #expect(map.lookup(5353, .udp) == .dns && map.lookup(5353, .tcp) == .dns)
    }
}

struct MatcherTests {
    @Test func fifoPairsInOrderAndRespectsTheRequestGapBarrier() {
        var fifo = FIFOMatcher<String>(capacity: 2)
        #expect(fifo.push("a", at: 10) == nil && fifo.push("b", at: 20) == nil)
        #expect(fifo.push("c", at: 30) == "a")  // full: the oldest goes
        guard case .matched("b") = fifo.match(responseStart: 35) else { Issue.record("b"); return }
        fifo.requestGap()  // requests lost here
        _ = fifo.push("d", at: 50)
        // "c" was queued before the gap, so it still takes the next response.
        guard case .matched("c") = fifo.match(responseStart: 40) else { Issue.record("c"); return }
        // A response starting before "d" was complete answers a lost request.
        guard case .unmatched = fifo.match(responseStart: 45) else { Issue.record("lost"); return }
        guard case .matched("d") = fifo.match(responseStart: 55) else { Issue.record("d"); return }
        var expired: [String] = []
        _ = fifo.push("e", at: 100)
        fifo.expire(now: 109, timeout: 10) { expired.append($0) }
        fifo.expire(now: 110, timeout: 10) { expired.append($0) }
        #expect(expired == ["e"] && fifo.isEmpty)
    }

    /// Pushes and matches interleaved, the queue emptied and refilled: the
    /// order, the count, the gap barrier and eviction hold throughout.
    @Test func fifoKeepsOrderWhenPushesAndMatchesInterleave() {
        var fifo = FIFOMatcher<String>(capacity: 4)
        var order: [String] = []
        func take(_ start: UInt64) {
            if case .matched(let request) = fifo.match(responseStart: start) { order.append(request) }
        }
        _ = fifo.push("a", at: 1)
        _ = fifo.push("b", at: 2)
        #expect(fifo.count == 2 && fifo.first == "a" && fifo.peek { $0 } == "a" && fifo.oldestTime == 1)
        take(3)
        _ = fifo.push("c", at: 4)  // behind "b", still queued
        take(5)
        _ = fifo.push("d", at: 6)
        take(7)
        take(8)
        #expect(order == ["a", "b", "c", "d"] && fifo.isEmpty && fifo.count == 0)
        guard case .unmatched = fifo.match(responseStart: 9) else { Issue.record("empty"); return }
        // "e" and "f" were queued before the gap, so both still take
        // responses; the next response starting before "g" was complete
        // answers a lost request.
        _ = fifo.push("e", at: 10)
        _ = fifo.push("f", at: 11)
        fifo.requestGap()
        _ = fifo.push("g", at: 20)
        take(12)
        take(13)
        guard case .unmatched = fifo.match(responseStart: 15) else { Issue.record("lost"); return }
        take(21)
        #expect(order == ["a", "b", "c", "d", "e", "f", "g"] && fifo.isEmpty)
        // Full: the oldest is evicted.
        for (index, name) in ["h", "i", "j", "k"].enumerated() { _ = fifo.push(name, at: UInt64(30 + index)) }
        #expect(fifo.push("l", at: 40) == "h" && fifo.count == 4 && fifo.first == "i")
        var rest: [String] = []
        fifo.drain { rest.append($0) }
        #expect(rest == ["i", "j", "k", "l"] && fifo.isEmpty)
    }

    @Test func expiringTableBoundsReplacesAndExpiresInOrder() {
        var table = ExpiringTable<Int, String>(capacity: 3)
        for key in 1...3 { _ = table.insert("v\(key)", for: key, at: UInt64(key)) }
        let (replaced, evicted) = table.insert("v2'", for: 2, at: 4)
        #expect(replaced == "v2" && evicted == nil)
        #expect(table.insert("v5", for: 5, at: 5).evicted == "v1")
        #expect(table.remove(3) == "v3" && table.remove(3) == nil)
        var expired: [String] = []
        table.expire(now: 14, timeout: 10) { expired.append($0) }
        #expect(expired == ["v2'"] && table.count == 1)
        for round in 0..<1000 {  // matched entries must not pile up in the expiry queue
            _ = table.insert("x", for: 100 + round, at: 20)
            _ = table.remove(100 + round)
        }
        var rest: [String] = []
        table.drain { rest.append($0) }
        #expect(rest == ["v5"] && table.count == 0)
    }

    @Test func streamBufferAssemblesStraddlingLinesAndBoundsOverflow() {
        var buffer = StreamBuffer(limit: 8)
        let whole = Array("abc\r\ndef".utf8)
        whole.withUnsafeBytes { bytes in
            #expect(buffer.scanLine(bytes, from: 0) == .init(consumed: 5, piece: .inInput(0..<3)))
            #expect(buffer.scanLine(bytes, from: 5) == .init(consumed: 3, piece: .incomplete))
        }
        Array("gh\r\n".utf8).withUnsafeBytes { bytes in
            #expect(buffer.scanLine(bytes, from: 0) == .init(consumed: 4, piece: .inPending))
        }
        var line = buffer.takePending()
        #expect(line == Array("defgh".utf8))
        buffer.restore(&line)
        let long = Array("0123456789abcdef".utf8)
        long.withUnsafeBytes { #expect(buffer.scanLine($0, from: 0) == .init(consumed: 16, piece: .overflowed)) }
        long.withUnsafeBytes { #expect(buffer.scanLine($0, from: 0) == .init(consumed: 16, piece: .incomplete)) }
        Array("x\nok\n".utf8).withUnsafeBytes { bytes in
            #expect(buffer.scanLine(bytes, from: 0) == .init(consumed: 2, piece: .discarded))
            #expect(buffer.scanLine(bytes, from: 2) == .init(consumed: 3, piece: .inInput(2..<4)))
        }
        #expect(buffer.pending.isEmpty && buffer.droppedBytes == 34)
    }

    @Test func httpDetectionFromFirstBytes() {
        func match(_ text: String) -> ContentMatch { Array(text.utf8).withUnsafeBytes { HTTPDetection.match($0) } }
        #expect(match("GET / HTTP/1.1\r\n") == .fromClient && match("PROPFIND /x") == .fromClient)
        #expect(match("HTTP/1.0 200 OK") == .fromServer)
        #expect(match("GE") == .needMore && match("HTTP/") == .needMore && match("") == .needMore)
        #expect(match("SSH-2.0-OpenSSH") == .no && match("GETX /") == .no && match("\u{16}\u{03}\u{01}") == .no)
    }
}
