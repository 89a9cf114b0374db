import CDPDK
import CPcap
import ScopeCore
import ScopePcap

/// A libpcap expression turned into what the primary runs: libpcap compiles
/// it to classic BPF, rte_bpf_convert translates that to eBPF inside one
/// rte_zmalloc'd block (hugepage memory, so the primary can read it).
public final class PacketFilter {
    public var expression: String { classic.expression }
    /// Classic BPF, one instruction per line (as `tcpdump -d` prints it).
    public var classicListing: [String] { classic.listing }
    /// Owned; freed with rte_free once every callback using it is disabled.
    /// Not freed on deinit: it lives in EAL memory, which may be gone by then;
    /// call release() while attached.
    public private(set) var program: UnsafeMutablePointer<rte_bpf_prm>?

    private let classic: ClassicFilter

    /// Compiles for Ethernet frames cut at `snaplen`. A bad expression is
    /// refused with libpcap's own message before anything is attached.
    public init(expression: String, snaplen: UInt32) throws {
        classic = try ClassicFilter(expression: expression, linkType: DLT_EN10MB, snaplen: snaplen)
    }

    /// Translates to eBPF in hugepage memory: needs EAL, so call after attach.
    public func convert() throws {
        guard program == nil else { return }
        guard let converted = classic.withProgram({ cdpdk_bpf_convert($0) }) else {
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
        // rte_free takes the heap's lock, which a dead primary may hold.
        if let program, !PrimaryLiveness.knownGone { rte_free(program) }
        program = nil
    }
}
