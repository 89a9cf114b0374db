import CDPDK
import CPcap
import ScopeCore

/// A libpcap expression turned into what the primary runs: libpcap compiles
/// it to classic BPF, rte_bpf_convert translates that to eBPF inside one
/// rte_zmalloc'd block (hugepage memory, so the primary can read it).
public final class PacketFilter {
    public let expression: String
    /// Classic BPF, one instruction per line (as `tcpdump -d` prints it).
    public let classicListing: [String]
    /// Owned; freed with rte_free once every callback using it is disabled.
    public private(set) var program: UnsafeMutablePointer<rte_bpf_prm>?

    private var classic = bpf_program()

    /// Compiles for Ethernet frames cut at `snaplen`. A bad expression is
    /// refused with libpcap's own message before anything is attached.
    public init(expression: String, snaplen: UInt32) throws {
        self.expression = expression
        guard let pcap = pcap_open_dead(DLT_EN10MB, Int32(clamping: snaplen)) else {
            throw ScopeError(.failure, "libpcap could not open a dead handle to compile the filter")
        }
        defer { pcap_close(pcap) }
        var compiled = bpf_program()
        guard pcap_compile(pcap, &compiled, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw ScopeError(.usageOrAttach, "invalid filter '\(expression)': \(String(cString: pcap_geterr(pcap)))")
        }
        classicListing = (0..<Int(compiled.bf_len)).map { index in
            bpf_image(compiled.bf_insns.advanced(by: index), Int32(index)).map { String(cString: $0) } ?? "?"
        }
        classic = compiled
    }

    /// The eBPF copy is not freed here: it lives in EAL memory, which may be
    /// gone by the time this object is; call release() while attached.
    deinit {
        pcap_freecode(&classic)
    }

    /// Translates to eBPF in hugepage memory: needs EAL, so call after attach.
    public func convert() throws {
        guard program == nil else { return }
        guard let converted = withUnsafePointer(to: &classic, { cdpdk_bpf_convert($0) }) else {
            throw ScopeError(.usageOrAttach,
                             "filter '\(expression)' cannot be converted to eBPF: \(String(cString: rte_strerror(cdpdk_errno())))")
        }
        program = converted
    }

    /// `-d`: the classic program, then the eBPF the primary will run.
    public func dump() throws {
        try convert()
        print("; classic BPF (libpcap) for '\(expression)'")
        classicListing.forEach { print($0) }
        print("; eBPF (rte_bpf_convert), \(program?.pointee.nb_ins ?? 0) instructions")
        if let program { cdpdk_bpf_dump(program) }
    }

    /// Only after disable and the grace period: the primary may still be
    /// running the program until then.
    public func release() {
        if let program { rte_free(program) }
        program = nil
    }
}
