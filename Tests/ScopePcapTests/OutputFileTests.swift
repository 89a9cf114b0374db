import Foundation
import Testing
import ScopeCore
@testable import ScopePcap
#if canImport(Glibc)
import Glibc
#endif

/// Permissions, truncation and write errors of the output file.
@Suite(.serialized) struct OutputFileTests {
    @Test func defaultModeIs0600AndGroupReadableIs0640EvenUnderStrictUmask() throws {
        let dir = TemporaryDirectory()
        let old = umask(0o077)
        defer { umask(old) }
        var configuration = twoPortConfiguration(path: dir.file("private.pcapng"))
        try CaptureFileWriter(configuration: configuration).close()
        #expect(fileMode(configuration.path) == 0o600)
        configuration.path = dir.file("group.pcapng")
        configuration.groupReadable = true
        try CaptureFileWriter(configuration: configuration).close()
        #expect(fileMode(configuration.path) == 0o640)
    }

    @Test func existingLongerFileIsTruncatedAndGetsTheMode() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("old.pcapng")
        writeBytes([UInt8](repeating: 0x55, count: 100_000), to: path)
        chmod(path, 0o666)
        try WriterOracleTests.writeSample(to: path)
        let fresh = dir.file("fresh.pcapng")
        try WriterOracleTests.writeSample(to: fresh)
        #expect(fileBytes(path).count == fileBytes(fresh).count)  // no tail of the old file
        #expect(fileMode(path) == 0o600)
        let info = try ToolRunner.capinfos(["-c", path])
        #expect(info.warnings.isEmpty, "capinfos stderr: \(info.warnings)")
        #expect(info.stdout.contains("Number of packets:   6"))
    }

    @Test func deviceOutputKeepsItsMode() throws {
        let before = fileMode("/dev/null")
        try CaptureFileWriter(configuration: twoPortConfiguration(path: "/dev/null")).close()
        #expect(fileMode("/dev/null") == before)
    }

    @Test func fullDiskIsAOneLineError() throws {
        let arena = MbufArena()
        let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0))
        // /dev/full fails every write with ENOSPC, starting with the headers.
        let error = #expect(throws: ScopeError.self) {
            let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: "/dev/full"))
            try writer.append(block, interface: 0)
            try writer.close()
        }
        #expect(error?.message == "disk full while writing /dev/full")
        #expect(error?.status == .failure)
    }

    @Test func closedPipeIsDistinguishable() throws {
        signal(SIGPIPE, SIG_IGN)  // as the CLI must, or EPIPE arrives as a fatal signal
        let dir = TemporaryDirectory()
        let fifo = dir.file("out.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(readEnd >= 0)
        let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: fifo))
        close(readEnd)
        let arena = MbufArena()
        let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0))
        try writer.append(block, interface: 0)
        #expect(throws: OutputPipeClosed.self) { try writer.flush() }
        #expect(throws: OutputPipeClosed.self) { try writer.close() }
    }

    /// 4 MB through a 64 KiB pipe read in small slow chunks: writev returns
    /// short counts, and every byte must still arrive once, in order.
    @Test func partialWritesAreResumed() throws {
        let dir = TemporaryDirectory(), arena = MbufArena()
        let fifo = dir.file("slow.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        let collector = PipeCollector(fd: readEnd)
        let thread = Thread { collector.run() }
        thread.start()
        var expected: [UInt8] = []
        let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: fifo, format: .pcap))
        expected += ClassicPcapFileHeader(snapLength: 65535).encoded()
        for i in 0..<2000 {
            let frame = DPDKBlockBuilder.udpFrame(length: 1000 + i % 500, seed: UInt8(truncatingIfNeeded: i))
            let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(packet: frame, timestamp: UInt64(i), direction: .inbound, queue: 0))
            try writer.append(block, interface: 0)
            expected += PcapRecordHeader(timestamp: UInt64(i), capturedLength: UInt32(frame.count), originalLength: UInt32(frame.count)).encoded()
            expected += frame
        }
        try writer.close()
        collector.finished.wait()
        #expect(collector.bytes.count == expected.count)
        let identical = collector.bytes == expected  // a Bool, so a failure does not print 3 MB
        #expect(identical)
    }
}

extension OutputFileTests {
    /// On a non-blocking pipe writev returns short counts and EAGAIN; the
    /// drain loop must resume mid-iovec and wait for room.
    @Test func drainResumesShortWritesOnNonBlockingPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        #expect(fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) == 0)
        let collector = PipeCollector(fd: fds[0])
        let thread = Thread { collector.run() }
        thread.start()
        let arena = MbufArena()
        var batch = IOVecBatch(capacity: 600)
        var expected: [UInt8] = []
        for i in 0..<600 {
            let piece = (0..<(997 + i)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            let stored = arena.store(piece)
            batch.append(stored.baseAddress!, stored.count)
            expected += piece
        }
        #expect(batch.drain(to: fds[1]) == 0)
        #expect(batch.count == 0)
        close(fds[1])
        collector.finished.wait()
        #expect(collector.bytes.count == expected.count)
        let identical = collector.bytes == expected
        #expect(identical)
    }
}

/// Drains a FIFO slowly on its own thread.
final class PipeCollector: @unchecked Sendable {
    let fd: Int32
    var bytes: [UInt8] = []
    let finished = DispatchSemaphore(value: 0)

    init(fd: Int32) { self.fd = fd }

    func run() {
        var chunk = [UInt8](repeating: 0, count: 3000)
        var sawWriter = false
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                sawWriter = true
                bytes += chunk[0..<n]
                usleep(50)
            } else if n == 0 && sawWriter {
                break
            } else {
                usleep(1000)
            }
        }
        close(fd)
        finished.signal()
    }
}
