import CPcap
import ScopeCore

/// A libpcap expression applied in this process to packets read from a file
/// (live captures run the filter in the primary instead).
final class OfflineFilter {
    private var program = bpf_program()
    let linkType: Int32

    init(expression: String, linkType: Int32, snaplen: Int32 = 262_144) throws {
        self.linkType = linkType
        guard let pcap = pcap_open_dead(linkType, snaplen) else {
            throw ScopeError(.failure, "libpcap could not open a dead handle to compile the filter")
        }
        defer { pcap_close(pcap) }
        guard pcap_compile(pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw ScopeError(.usageOrAttach, "invalid filter '\(expression)': \(String(cString: pcap_geterr(pcap)))")
        }
    }

    deinit { pcap_freecode(&program) }

    func matches(_ bytes: UnsafeRawBufferPointer, originalLength: UInt32) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var header = pcap_pkthdr()
        header.caplen = UInt32(bytes.count)
        header.len = originalLength
        return pcap_offline_filter(&program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }
}
