import CPcap
import ScopeCore

/// A libpcap expression compiled to classic BPF for one link type: the one
/// place that talks to pcap_compile. Live captures convert it to eBPF for
/// the primary (ScopeDPDK's PacketFilter); `read` runs it here on each
/// packet, without DPDK.
public final class ClassicFilter {
    public let expression: String
    private var program = bpf_program()

    /// A bad expression is refused with libpcap's own message.
    public init(expression: String, linkType: Int32, snaplen: UInt32) throws {
        self.expression = expression
        guard let pcap = pcap_open_dead(linkType, Int32(clamping: snaplen)) else {
            throw ScopeError(.failure, "libpcap could not open a dead handle to compile the filter")
        }
        defer { pcap_close(pcap) }
        guard pcap_compile(pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw ScopeError(.usageOrAttach, "invalid filter '\(expression)': \(String(cString: pcap_geterr(pcap)))")
        }
    }

    deinit { pcap_freecode(&program) }

    /// One instruction per line, as `tcpdump -d` prints them.
    public var listing: [String] {
        (0..<Int(program.bf_len)).map { index in
            bpf_image(program.bf_insns.advanced(by: index), Int32(index)).map { String(cString: $0) } ?? "?"
        }
    }

    public func matches(_ bytes: UnsafeRawBufferPointer, originalLength: UInt32) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var header = pcap_pkthdr()
        header.caplen = UInt32(bytes.count)
        header.len = originalLength
        return pcap_offline_filter(&program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }

    /// The compiled program, lent (live captures convert it to eBPF).
    public func withProgram<R>(_ body: (UnsafePointer<bpf_program>) -> R) -> R {
        withUnsafePointer(to: &program, body)
    }
}
