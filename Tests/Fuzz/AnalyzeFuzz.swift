// libFuzzer entry point for the analyzers (ScopeAnalyzers). Not a SwiftPM
// target: Scripts/fuzz.sh builds ScopeDecode as a library and compiles this
// file together with Sources/ScopeAnalyzers/**/*.swift as one module, so
// sessions can be driven directly.
//
// Two input formats, chosen by byte 0:
//   bit 7 clear  packets, exactly DecodeFuzz.swift's format (byte 0 even =
//                Ethernet, odd = raw IP; records u16 length, u8 time step,
//                bytes), through PacketPipeline + AnalysisEngine with every
//                protocol on and content detection: attribution, reassembly
//                and the parsers together.
//   bit 7 set    one TCP connection's byte streams handed straight to one
//                protocol's session (byte 0 & 0x7F picks it among the TCP
//                protocols, in registry order):
//                records u8 op, u16 big-endian length, u8 time step, then
//                for data ops `length` bytes. op & 3: 0 client bytes,
//                1 server bytes, 2 a gap of `length` bytes on side op >> 2 & 1,
//                3 a timeout sweep. Cheaper per input, so deeper in parsers.
// Time steps: t < 128 adds t milliseconds, t >= 128 adds (t - 128) seconds.
// Limits are tiny so every cap and timeout is reachable.
//
// DPDKSCOPE_FUZZ_GROUP narrows a run to one protocol group (fuzz.sh
// analyze-GROUP): web (http), dns (dns, icmp), kv (redis, memcache), sql
// (mysql, pgsql). Packets then reach only that group's analyzers (ports and
// content detection) and every stream input goes to one of its sessions, so
// a run's whole time is spent in those parsers. Unset: every protocol.
import ScopeDecode

#if canImport(Glibc)
import Glibc
#endif

private let millisecond: UInt64 = 1_000_000

/// The protocols of DPDKSCOPE_FUZZ_GROUP, every protocol without it. An
/// unknown group stops the run at once rather than fuzzing the wrong code.
private let fuzzedProtocols: [ApplicationProtocol] = {
    guard let raw = getenv("DPDKSCOPE_FUZZ_GROUP") else { return ApplicationProtocol.allCases }
    switch String(cString: raw) {
    case "", "all": return ApplicationProtocol.allCases
    case "web": return [.http]
    case "dns": return [.dns, .icmp]
    case "kv": return [.redis, .memcache]
    case "sql": return [.mysql, .pgsql]
    case let other:
        // Any registered protocol alone: a new one is fuzzed without an edit here.
        guard let proto = ApplicationProtocol(rawValue: other) else {
            fatalError("DPDKSCOPE_FUZZ_GROUP=\(other): expected web, dns, kv, sql, all or a protocol (\(ProtocolSelection.knownNames))")
        }
        return [proto]
    }
}()

private let fuzzedSelection: ProtocolSelection = {
    let spec = fuzzedProtocols.map(\.rawValue).joined(separator: ";")
    guard let selection = try? ProtocolSelection(parsing: spec) else { fatalError("bad protocol spec \(spec)") }
    return selection
}()

/// Stream inputs go to the group's TCP protocols only: the analyzers that
/// run for it (`analyze-grpc`: http2's, keeping only gRPC calls).
private let streamProtocols = fuzzedSelection.analyzed.filter(\.runsOverTCP)

private let limits = AnalyzerConfiguration(
    selection: fuzzedSelection, transactionTimeout: 400 * millisecond, maxConnections: 8, maxPendingPerConnection: 4,
    maxPendingDNSQueries: 8, maxHeaderBytes: 256, maxMessageSize: 2048, includeHTTPHeaders: true,
    redactSecrets: true, bodyCapture: ["text/", "application/json"], maxCapturedBody: 300,
    includeDNSAuthorities: true, includeDNSAdditionals: true)

/// Every event must render both ways; the output is read so nothing is
/// optimised away.
private struct EventCheck {
    var json: [UInt8] = []
    var checksum: UInt8 = 0

    mutating func check(_ event: TransactionEvent) {
        event.appendJSON(to: &json)
        precondition(json.first == 0x7B && json.last == 0x7D, "event JSON is not one object")
        for byte in event.line.utf8 { checksum &+= byte }
        precondition(event.end >= event.start || event.duration == 0)
        json.removeAll(keepingCapacity: true)
    }
}

private func fuzzPackets(_ input: UnsafeRawBufferPointer) {
    let linkType: LinkType = input[0] & 1 == 0 ? .ethernet : .rawIP
    var pipeline = PacketPipeline(configuration: .init(
        flows: .init(maxFlows: 8, tcpIdleTimeout: 3_000 * millisecond, udpIdleTimeout: 1_000 * millisecond,
                     otherIdleTimeout: 1_000 * millisecond, closedLinger: 200 * millisecond, hashSeed: 1),
        fragments: .init(maxBytes: 64 << 10, maxDatagrams: 4, timeoutNanoseconds: 500 * millisecond)))
    var engine = AnalysisEngine(configuration: limits, streams: .init(
        maxConnections: 8, maxBufferedBytesPerDirection: 3_000, maxBufferedSegmentsPerDirection: 6,
        maxBufferedBytes: 4_000, maxBufferedSegments: 8, reorderTimeout: 300 * millisecond,
        idleTimeout: 2_000 * millisecond, closedLinger: 100 * millisecond))
    var check = EventCheck()
    var time: UInt64 = 1_700_000_000_000_000_000
    var offset = 1
    while offset + 3 <= input.count {
        let length = Int(input[offset]) << 8 | Int(input[offset + 1])
        let step = UInt64(input[offset + 2])
        time &+= step < 128 ? step * millisecond : (step - 128) * 1_000_000_000
        let start = offset + 3
        let end = min(input.count, start + length)
        let now = time
        pipeline.process(UnsafeRawBufferPointer(rebasing: input[start..<end]), linkType: linkType, timestamp: now,
                         inspect: { decoded, bytes, _ in
                             engine.process(decoded, bytes: bytes, timestamp: now) { check.check($0) }
                         }, emit: { _ in })
        offset = end
    }
    engine.advance(to: time &+ 2_000_000_000) { check.check($0) }
    engine.finish { check.check($0) }
}

private func fuzzStream(_ input: UnsafeRawBufferPointer) {
    let proto = streamProtocols[Int(input[0] & 0x7F) % streamProtocols.count]
    let context = AnalyzerContext(configuration: limits)
    let endpoints = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 40000,
                                         server: IPAddress("10.0.0.2")!, serverPort: 1, transport: .tcp)
    var session = TCPSessionTable.makeAnalyzer(proto, endpoints: endpoints, context: context)
    var check = EventCheck()
    var time: UInt64 = 1_700_000_000_000_000_000
    var offset = 1
    while offset + 4 <= input.count {
        let op = input[offset]
        let length = Int(input[offset + 1]) << 8 | Int(input[offset + 2])
        let step = UInt64(input[offset + 3])
        time &+= step < 128 ? step * millisecond : (step - 128) * 1_000_000_000
        offset += 4
        switch op & 3 {
        case 0, 1:
            let end = min(input.count, offset + length)
            let bytes = UnsafeRawBufferPointer(rebasing: input[offset..<end])
            // Every detector must answer on any prefix without trapping.
            for candidate in ApplicationProtocol.allCases { _ = candidate.detect(bytes, transport: .tcp) }
            if !bytes.isEmpty {
                session.deliver(bytes, fromClient: op & 3 == 0, timestamp: time)
                // As TCPSessionTable does: HTTP/1 may hand the connection to HTTP/2.
                session = TCPSessionTable.takeHandOver(context, endpoints: endpoints, bytes: bytes, fromClient: op & 3 == 0,
                                                       timestamp: time) ?? session
            }
            offset = end
        case 2:
            if length > 0 { session.gap(length: length, fromClient: op >> 2 & 1 == 0, timestamp: time) }
        default:
            session.expire(now: time)
            context.expireCorrelators(now: time)
        }
        context.drainEvents { check.check($0) }
    }
    session.close(reason: .fin, timestamp: time)
    context.drainCorrelators(now: time)
    context.drainEvents { check.check($0) }
    let counters = context.counters(proto)
    // Under a carried protocol's selection (analyze-grpc) the carrier's other transactions are counted unselected.
    precondition(counters.transactions &+ counters.unselected >= counters.matched, "more matched than emitted")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func analyzeFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if input[0] & 0x80 == 0 { fuzzPackets(input) } else { fuzzStream(input) }
    return 0
}
