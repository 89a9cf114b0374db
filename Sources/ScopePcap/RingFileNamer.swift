#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names ring-buffer files exactly as Wireshark's dumpcap (ringbuffer.c):
/// `-w dir/cap.pcapng` becomes `dir/cap_00001_20240131235959.pcapng`. The
/// suffix is everything from the last '.' of the last path component (none
/// if that component has no '.'); the number is 5 digits, starting at 1 and
/// wrapping at 100000; the time is local time when the file is created.
struct RingFileNamer: Sendable {
    let prefix: String
    let suffix: String

    init(path: String) {
        let lastSlash = path.lastIndex(of: "/")
        if let dot = path.lastIndex(of: "."), lastSlash.map({ dot > $0 }) ?? true {
            prefix = String(path[..<dot])
            suffix = String(path[dot...])
        } else {
            prefix = path
            suffix = ""
        }
    }

    func name(fileNumber: Int, createdAt time: time_t) -> String {
        let number = String(fileNumber % 100_000)
        let padded = String(repeating: "0", count: max(0, 5 - number.count)) + number
        return "\(prefix)_\(padded)_\(Self.localTimestamp(time))\(suffix)"
    }

    /// %Y%m%d%H%M%S in local time; dumpcap falls back to the second before the
    /// epoch when localtime fails, and so do we.
    static func localTimestamp(_ time: time_t) -> String {
        var t = time
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return "196912312359" }
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y%m%d%H%M%S", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
