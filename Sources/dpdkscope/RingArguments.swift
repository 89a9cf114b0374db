import ArgumentParser
import ScopeCore
import ScopeDPDK

/// Sizing of the capture ring and pool, shared by `capture` and `probe`.
struct RingArguments: ParsableArguments {
    @Option(help: "Capture ring entries (power of two).")
    var ringSize: UInt32 = CaptureSession.Settings.defaultRingSize
    @Option(help: "Mbufs in the capture pool (default: twice the ring).")
    var mbufs: UInt32?
    @Option(help: ArgumentHelp(
        "Mempool ops of the capture pool: lf_stack or ring_mp_mc.",
        discussion: "lf_stack (the default, when the primary has it) is lock-free: a dpdkscope killed with SIGKILL "
            + "cannot stall the primary. ring_mp_mc, dpdk-dumpcap's choice, costs the primary less per copied "
            + "packet, but a dpdkscope killed while freeing into it can hang the primary's forwarding lcore."))
    var poolOps: CapturePoolOps = .lockFree

    func validate() throws {
        guard ringSize >= 64, ringSize <= 1 << 24, ringSize & (ringSize - 1) == 0 else {
            throw ValidationError("--ring-size must be a power of two between 64 and 16777216")
        }
        if let mbufs, mbufs < ringSize / 2 || mbufs > 1 << 25 {
            throw ValidationError("--mbufs must be between half the ring size and 33554432")
        }
    }

    func settings(snaplen: UInt32) -> CaptureSession.Settings {
        CaptureSession.Settings(snaplen: snaplen, ringSize: ringSize,
                                mbufs: mbufs ?? CaptureSession.Settings.defaultMbufs(ringSize: ringSize), poolOps: poolOps)
    }
}

extension CapturePoolOps: ExpressibleByArgument {}
