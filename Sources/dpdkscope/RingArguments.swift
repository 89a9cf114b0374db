import ArgumentParser
import ScopeDPDK

/// Sizing of the capture ring and pool, shared by `capture` and `probe`.
struct RingArguments: ParsableArguments {
    @Option(help: "Capture ring entries (power of two).")
    var ringSize: UInt32 = CaptureSession.Settings.defaultRingSize
    @Option(help: "Mbufs in the capture pool (default: twice the ring).")
    var mbufs: UInt32?

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
                                mbufs: mbufs ?? CaptureSession.Settings.defaultMbufs(ringSize: ringSize))
    }
}
