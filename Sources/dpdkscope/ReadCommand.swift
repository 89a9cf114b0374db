import ArgumentParser
import ScopeCore
import ScopeDecode
import ScopeLive
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// `dpdkscope read`: the analysis core over pcap/pcapng files, with no
/// DPDK involved: the same `AnalysisCore` a live capture feeds, with a
/// file as its source and `ReadSink` as its output.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Decode pcap or pcapng files (gzip-compressed too): packets, flow events, application transactions, decode counters.")

    @Argument(help: "Capture files (pcap or pcapng, optionally gzip-compressed; - for stdin).") var files: [String]
    @Option(name: .customShort("f"), help: "libpcap filter applied while reading.") var filter: String?
    @Flag(help: "Print flow events (periodic and final) instead of packets.") var flows = false
    @Flag(help: "Print JSON lines.") var json = false
    @Flag(help: "Print decode counters at the end (with no other output option: only the counters).") var stats = false
    @Option(help: "Flow table capacity.") var maxFlows = 65_536
    @Flag(help: "Drop IPv4 packets whose header checksum is wrong (default: count them and analyse them anyway; checksums captured on the sending host are often left to the NIC).")
    var verifyChecksums = false
    @Flag(inversion: .prefixedNo,
          help: "Render and write transactions on a second thread (default: on when this process may use more than one CPU and transactions are the only output).")
    var outputThread: Bool?
    @OptionGroup(title: "Transactions") var analysis: AnalyzeOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("read needs at least one capture file") }
        guard maxFlows >= 16, maxFlows <= 1 << 24 else { throw ValidationError("--max-flows must be in 16…16777216") }
    }

    func run() throws {
        // Option values read once: ArgumentParser's property wrappers cost a
        // generic lookup per read, which showed as 18 % of the per-packet
        // profile (see BENCHMARKS.md, decode).
        let flows = self.flows, json = self.json, filter = self.filter
        // A malformed file is an error before any packet (and before the
        // output thread starts); a cut-off tail is a warning (captures are
        // often copied while still being written).
        let readers = try files.map { try CaptureFileReader(path: $0) }
        // With --proto/--analyze, transactions replace the packet lines.
        // A second thread only when transactions alone are printed: flow
        // lines would interleave with them.
        let threaded = outputThread ?? (LcoreChoice.ownAllowedCPUs().count > 1)
        let analyzers = analysis.requested ? try analysis.configuration() : nil
        let sink = ReadSink(flows: flows, json: json, outputThread: threaded && !flows && analyzers != nil)
        // Flows are accounted only when shown: as events or as counters.
        let core = AnalysisCore(
            analyzers: analyzers,
            pipeline: .init(flows: .init(maxFlows: maxFlows), tracksFlows: flows || stats,
                            verifiesIPv4Checksums: verifyChecksums),
            reportsFlows: flows, delivery: sink.delivery, inspectsPackets: !flows && analyzers == nil && !stats)
        var filters: [UInt16: ClassicFilter] = [:]
        var skipped = (filtered: UInt64(0), unsupportedLink: SkippedLinkTypes(), truncatedFiles: 0)
        var packets = 0
        var interrupted = false
        // A read error mid-file (corrupt or cut-off gzip, a broken block)
        // still prints what was decoded before it, then fails.
        do {
            reading: for (path, reader) in zip(files, readers) {
                while let packet = try reader.next() {
                    // Nobody to write to (a closed pipe, a full disk): stop reading.
                    if sink.output.error != 0 { break reading }
                    // Ctrl-C, SIGTERM, SIGHUP: stop here and end as at the end of
                    // the input. (SIGPIPE is a closed pipe: the write error says so.)
                    if ProcessSignals.stopRequested {
                        interrupted = true
                        break reading
                    }
                    packets &+= 1
                    guard let linkType = LinkType(pcapLinkType: packet.linkType) else { skipped.unsupportedLink.record(packet.linkType); continue }
                    if let filter {
                        let compiled = try filters[packet.linkType] ?? ClassicFilter(expression: filter, linkType: LinkTypeNames.dlt(packet.linkType), snaplen: 262_144)
                        filters[packet.linkType] = compiled
                        guard compiled.matches(packet.bytes, originalLength: packet.originalLength) else { skipped.filtered += 1; continue }
                    }
                    core.observe(frame: packet.bytes, linkType: linkType, timestamp: packet.timestamp, into: sink)
                    sink.frameDone(core)
                }
                if reader.isTruncated {
                    skipped.truncatedFiles += 1
                    writeStderr("dpdkscope: warning: \(path) ends in the middle of a block (truncated after \(reader.packetsRead) packets)\n")
                }
            }
        } catch {
            sink.finish(core, closingConnections: false)
            throw error
        }
        if interrupted { writeStderr("dpdkscope: interrupted: stopped after \(packets) packets\n") }
        core.finishFlows(into: sink)
        sink.finish(core, closingConnections: true)
        var output = sink.output
        if stats {
            output.write(statsText(core, skipped: (skipped.filtered, skipped.unsupportedLink.total)))
        }
        output.flush()
        try output.throwIfFailed()
        // One line for what could not be decoded (exit 1 when that was everything).
        if !interrupted, let warning = try skipped.unsupportedLink.verdict(packets: packets) {
            writeStderr("dpdkscope: \(warning)\n")
        }
    }

    func statsText(_ core: AnalysisCore, skipped: (filtered: UInt64, unsupportedLink: UInt64)) -> String {
        let c = core.decodeCounters
        let f = core.flowCounters
        let r = core.fragmentCounters
        var fields: [(String, UInt64)] = [
            ("packets", c.packets), ("decoded", c.decoded), ("ipv4", c.ipv4), ("ipv6", c.ipv6), ("tcp", c.tcp),
            ("udp", c.udp), ("icmp", c.icmp), ("vlan_tagged", c.vlanTagged), ("tunnels_decapsulated", c.tunnelsDecapsulated),
            ("other_ethertype", c.other), ("malformed", c.malformed), ("ipv4_checksum_errors", c.ipv4ChecksumErrors),
            ("tcp_option_errors", c.tcpOptionErrors), ("fragments", r.fragments), ("fragments_reassembled", r.reassembled),
            ("fragments_timed_out", r.timedOut), ("fragments_evicted", r.evicted),
            ("flows_created", f.created), ("flows_evicted", f.evicted), ("flows_timed_out", f.timedOut), ("flows_closed", f.closed),
            ("filtered_out", skipped.filtered), ("unsupported_link_type", skipped.unsupportedLink),
        ]
        for reason in DecodeError.allCases where reason.isMalformation && c[reason] > 0 {
            fields.append(("malformed_\(reason)", c[reason]))
        }
        fields += core.analyzerFields
        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("type", "stats")
            for (name, value) in fields { writer.field(name, value) }
            writer.endObject()
            return String(decoding: writer.output, as: UTF8.self)
        }
        return fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}
