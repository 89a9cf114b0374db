import Testing
import ScopeCore
@testable import ScopePcap
#if canImport(Glibc)
import Glibc
#endif

/// The writer drops what it wrote from the page cache behind itself.
@Suite struct DropBehindTests {
    /// Share of [offset, offset + length) of `path` in the page cache.
    private func residentShare(_ path: String, offset: Int, length: Int) -> Double {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        guard fd >= 0, let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(offset)), base != MAP_FAILED else { return -1 }
        defer { munmap(base, length) }
        let pages = (length + 4095) / 4096
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(base, length, &vector) == 0 else { return -1 }
        return Double(vector.filter { $0 & 1 != 0 }.count) / Double(pages)
    }

    /// 96 MiB of 1514-byte packets, paced so writeback keeps up as it would
    /// under a live capture; then the first 48 MiB must have left the cache
    /// and the last chunk must still be there (mincore really sees pages).
    @Test(arguments: [true, false])
    func writtenDataLeavesThePageCache(dropBehind: Bool) throws {
        let dir = TemporaryDirectory(), arena = MbufArena()
        var configuration = twoPortConfiguration(path: dir.file("d.pcapng"))
        configuration.dropBehind = dropBehind
        let writer = try CaptureFileWriter(configuration: configuration)
        let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(packet: DPDKBlockBuilder.udpFrame(length: 1514, seed: 1),
                                                                   timestamp: 1, direction: .inbound, queue: 0))
        let chunk = Int(CaptureFileWriter.dropBehindChunk)
        while writer.fileBytes < UInt64(6 * chunk) {
            for _ in 0..<2_000 { try writer.append(block, interface: 0) }
            try writer.flush()
            usleep(10_000)
        }
        let early = residentShare(configuration.path, offset: 0, length: 3 * chunk)
        let recent = residentShare(configuration.path, offset: 5 * chunk, length: chunk / 2)
        try writer.close()
        #expect(recent > 0.9, "mincore sees the last chunk: \(recent)")
        if dropBehind {
            #expect(early < 0.5, "the first 48 MiB are still cached: \(early)")
        } else {
            #expect(early > 0.9, "without drop-behind the data stays cached: \(early)")
        }
    }

    @Test func pipesAndDevicesAreLeftAlone() throws {
        let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: "/dev/null"))
        #expect(writer.nextDropBehind == .max)
        try writer.close()
    }
}
