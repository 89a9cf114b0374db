#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the SHB's hardware and OS strings come from. Plain POSIX reads, so
/// the module needs no Foundation.
enum HostDescription {
    /// The first "model name" of /proc/cpuinfo (x86), else the first
    /// "Hardware"/"Processor" line some ARM kernels print instead.
    static func cpuModel(cpuinfoPath: String = "/proc/cpuinfo") -> String? {
        guard let text = readSmallTextFile(cpuinfoPath) else { return nil }
        for key in ["model name", "Hardware", "Processor"] {
            for line in text.split(separator: "\n") where line.hasPrefix(key) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let value = line[line.index(after: colon)...].trimmingSpaces()
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    /// "sysname release", as dpdk-dumpcap and Wireshark's dumpcap show it.
    static func operatingSystem() -> String? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        let sysname = withUnsafeBytes(of: &names.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return release.isEmpty ? sysname : "\(sysname) \(release)"
    }

    /// Reads at most 1 MiB; /proc files report size 0, so read until EOF.
    static func readSmallTextFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
