import Testing
import ScopeCore
@testable import ScopePcap
#if canImport(Glibc)
import Glibc
#endif

/// Regular files are written through MappedFileWindow; these compare that
/// path with write(2) and drive it over window boundaries and a full disk.
@Suite struct MappedWriterTests {
    /// Sizes around the copy threshold and the mbuf boundary, some in
    /// segment chains; about 19 MB in all, so the file crosses two windows.
    private func writeMix(to path: String, format: CaptureFileConfiguration.Format, mapped: Bool,
                          packets: Int = 12_000) throws -> CaptureFileWriter {
        var configuration = twoPortConfiguration(path: path, format: format)
        configuration.mappedWrites = mapped
        let writer = try CaptureFileWriter(configuration: configuration)
        let arena = MbufArena()
        for index in 0..<packets {
            let length = [60, 1514, CaptureFileWriter.copyThreshold + 100, 3001][index % 4]
            let block = DPDKBlockBuilder.enhancedPacketBlock(packet: DPDKBlockBuilder.udpFrame(length: length, seed: UInt8(index & 0xFF)),
                                                             timestamp: 1_700_000_000_000_000_000 + UInt64(index),
                                                             direction: .inbound, queue: 0)
            if index % 7 == 3 {
                let cut = [40, block.count / 2, block.count - 2][index % 3]
                let segments = [arena.store(Array(block[..<cut])), arena.store(Array(block[cut...]))]
                try segments.withUnsafeBufferPointer { try writer.append(segments: $0, interface: UInt32(index & 1)) }
            } else {
                try writer.append(arena.store(block), interface: UInt32(index & 1))
            }
            if index % 1000 == 999 { try writer.flush() }
        }
        return writer
    }

    @Test(arguments: [CaptureFileConfiguration.Format.pcapng, .pcap])
    func mappedAndWrittenFilesHoldTheSamePackets(format: CaptureFileConfiguration.Format) throws {
        let dir = TemporaryDirectory()
        let mappedPath = dir.file("mapped"), writtenPath = dir.file("written")
        let mapped = try writeMix(to: mappedPath, format: format, mapped: true)
        #expect(mapped.mapped.isActive)
        try mapped.close()
        let written = try writeMix(to: writtenPath, format: format, mapped: false)
        #expect(!written.mapped.isActive)
        try written.close()
        // The preallocated tail is cut: the file is exactly what was written.
        #expect(fileSize(mappedPath) == Int(mapped.totalBytes))
        #expect(fileSize(mappedPath) == fileSize(writtenPath))
        #expect(fileSize(mappedPath) > 2 * MappedFileWindow.windowBytes)
        let left = try CaptureFileReader(path: mappedPath), right = try CaptureFileReader(path: writtenPath)
        var count = 0
        while let a = try left.next() {
            let b = try #require(try right.next())
            guard Array(a.bytes) == Array(b.bytes), a.timestamp == b.timestamp, a.interfaceIndex == b.interfaceIndex else {
                Issue.record("packet \(count) differs")
                return
            }
            count += 1
        }
        #expect(try right.next() == nil)
        #expect(count == 12_000)
        if format == .pcapng {
            let capinfos = try ToolRunner.capinfos(["-c", mappedPath])
            #expect(capinfos.warnings.isEmpty, "capinfos: \(capinfos.warnings)")
        }
    }

    @Test func crashGuardHearsOfProgressWithoutFlushes() throws {
        let dir = TemporaryDirectory()
        let writer = try writeMix(to: dir.file("g"), format: .pcapng, mapped: true, packets: 999)
        // No flush yet: the writer still told the guard every MiB.
        #expect(writer.committedBytes > 0)
        #expect(writer.fileBytes - writer.committedBytes < 1 << 20 + 4096)
        try writer.close()
    }

    /// Root only (mounts a tmpfs), as CI runs. 10 MiB of room: the first
    /// window fits, the second must shrink to what each record needs.
    @Test(.enabled(if: getuid() == 0)) func fullDiskEndsAtTheLastWholeRecord() throws {
        let dir = TemporaryDirectory()
        let mountPoint = dir.file("small")
        #expect(mkdir(mountPoint, 0o700) == 0)
        let mount = try ToolRunner.run(["mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", mountPoint])
        try #require(mount.status == 0, "mount: \(mount.warnings)")
        defer { _ = try? ToolRunner.run(["umount", mountPoint]) }
        let path = mountPoint + "/full.pcapng"
        let error = #expect(throws: ScopeError.self) {
            let writer = try writeMix(to: path, format: .pcapng, mapped: true, packets: 100_000)
            try writer.close()
        }
        #expect(error?.message == "disk full while writing \(path)")
        let reader = try CaptureFileReader(path: path)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count > 5000)
        // Filled to within one record (plus a page) of the 10 MiB.
        #expect(fileSize(path) > 10 * 1024 * 1024 - 8192)
    }

    private func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }
}
