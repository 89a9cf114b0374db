import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The dpdkscope binary the tests run: `DPDKSCOPE_BIN` where it is set
/// (Scripts/test.sh sets it; in the Debian 13 stage the host's `.build`
/// binary cannot even load, its DPDK libraries being 22.11's), else this
/// checkout's debug build.
public enum DPDKScopeBinary {
    /// The repository (through any symlinked scratch package: resolved).
    public static let packageRoot: String = {
        var file = #filePath
        if let resolved = realpath(#filePath, nil) {
            file = String(cString: resolved)
            free(resolved)
        }
        return URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    public static var path: String {
        ProcessInfo.processInfo.environment["DPDKSCOPE_BIN"] ?? packageRoot + "/.build/debug/dpdkscope"
    }
}
