import Foundation
import ScopePcap
#if canImport(Glibc)
import Glibc
#endif

/// A private directory removed with everything in it when released.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/scopepcap-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Memory standing in for mbufs: blocks must stay put until the writer has
/// written them, so they are copied once into stable allocations.
final class MbufArena {
    private(set) var blocks: [UnsafeMutableRawBufferPointer] = []

    func store(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        block.copyBytes(from: bytes)
        let view = UnsafeMutableRawBufferPointer(rebasing: block[0..<bytes.count])
        blocks.append(block)
        return view
    }

    deinit { blocks.forEach { $0.deallocate() } }
}

func fileBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

/// Plain open/write/close: FileManager's atomic create syncs, which makes
/// the thousands of small files of the robustness tests crawl.
func writeBytes(_ bytes: [UInt8], to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func fileMode(_ path: String) -> UInt32 {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return UInt32(info.st_mode) & 0o7777
}

/// A simple interface pair used by several tests.
func twoPortConfiguration(path: String, format: CaptureFileConfiguration.Format = .pcapng) -> CaptureFileConfiguration {
    CaptureFileConfiguration(
        path: path, format: format, snapLength: 65535,
        section: SectionHeaderBlock(hardware: "Test CPU", os: "Linux 6.1", userApplication: "dpdkscope 0.0-test",
                                    comments: ["unit test"]),
        interfaces: [
            InterfaceDescriptionBlock(snapLength: 65535, name: "net_null0", description: "net_null, port 0", filter: "tcp"),
            InterfaceDescriptionBlock(snapLength: 65535, name: "0000:03:00.0", description: "net_ice, port 1"),
        ])
}
