#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// File lifecycle: open (with mode and ring-buffer naming), headers,
/// statistics blocks at close, rotation.
extension CaptureFileWriter {
    /// Switches files if the duration condition is due. Call once per poll
    /// of the packet ring (also when it is empty), so files rotate on time
    /// even without traffic, as dumpcap does. Packets are never split.
    public func rotateIfDue(monotonicNow: UInt64 = CaptureClock.monotonicNanoseconds()) throws {
        guard let duration = configuration.rotation.durationNanoseconds, !isClosed else { return }
        if monotonicNow &- fileOpenedMonotonic >= duration { try rotate() }
    }

    /// Closes the current file (flush, ISBs) and starts the next one.
    public func rotate() throws {
        guard namer != nil, !isClosed else { return }
        try finishFile()
        try openNextFile()
    }

    /// Flushes, writes one ISB per interface (pcapng), optionally fsyncs and
    /// closes. Idempotent; the writer accepts no packets afterwards.
    public func close() throws {
        guard !isClosed else {
            // A failed write already closed it logically; release the fd.
            if fd > 2 { _ = systemClose(fd) }
            fd = -1
            return
        }
        isClosed = true
        try finishFile()
    }

    func openNextFile() throws {
        let c = configuration
        if c.writesToStandardOutput {
            fd = 1
        } else {
            if let namer {
                if let maximum = c.rotation.maximumFiles, keptFiles.count >= maximum {
                    // Like dumpcap: the oldest file goes before the next one is created.
                    unlink(keptFiles.removeFirst())
                }
                fileNumber += 1
                currentPath = namer.name(fileNumber: fileNumber, createdAt: time(nil))
            }
            fd = try Self.createFile(currentPath, mode: mode_t(c.fileMode))
            var info = stat()
            let regular = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
            nextDropBehind = c.dropBehind && regular ? Self.dropBehindChunk : .max
            keptFiles.append(currentPath)
            crashSlot?.track(path: currentPath, committed: 0)
        }
        fileBytes = 0
        filePackets = 0
        fileOpenedMonotonic = CaptureClock.monotonicNanoseconds()
        var headers: [UInt8]
        switch c.format {
        case .pcapng:
            headers = c.section.encoded()
            for interface in c.interfaces { headers += interface.encoded() }
        case .pcap:
            headers = ClassicPcapFileHeader(snapLength: c.snapLength).encoded()
        }
        try writeDirect(headers)
    }

    /// O_TRUNC so a longer old file leaves no tail; fchmod because the open
    /// mode is filtered by umask and ignored for an existing file. Only
    /// regular files: `-w /dev/null` or a FIFO keep their mode.
    static func createFile(_ path: String, mode: mode_t) throws -> Int32 {
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteFailure.error(opening: path, errno: errno) }
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && fchmod(fd, mode) != 0 {
            let code = errno
            _ = systemClose(fd)
            throw ScopeError(.failure, "cannot set permissions of \(path): \(WriteFailure.describe(code))")
        }
        return fd
    }

    func finishFile() throws {
        guard fd >= 0 else { return }
        defer {
            if fd >= 0 && fd != 1 { _ = systemClose(fd) }
            fd = -1
        }
        try flush()
        if configuration.format == .pcapng {
            let now = CaptureClock.realtimeNanoseconds()
            var blocks: [UInt8] = []
            for index in configuration.interfaces.indices {
                var counters = statistics(index)
                counters.startTime = counters.startTime ?? captureStartRealtime
                counters.endTime = counters.endTime ?? now
                blocks += InterfaceStatisticsBlock(interfaceID: UInt32(index), timestamp: now, statistics: counters).encoded()
            }
            try writeDirect(blocks)
        }
        if configuration.fsyncOnClose && fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw WriteFailure.error(writing: displayName, errno: errno)
        }
        if fd != 1 {
            let descriptor = fd
            fd = -1
            // close() can report a delayed write error (NFS, quotas).
            if systemClose(descriptor) != 0 && errno != EINTR {
                throw WriteFailure.error(writing: displayName, errno: errno)
            }
        }
    }

    /// Headers and statistics: written at once, after anything queued.
    func writeDirect(_ bytes: [UInt8]) throws {
        try flush()
        let code = IOVecBatch.writeAll(bytes, to: fd)
        if code != 0 {
            // Headers or ISBs cut short: drop them so the file ends whole.
            if fd > 2 && code != EPIPE { _ = ftruncate(fd, off_t(fileBytes)) }
            isClosed = true
            throw WriteFailure.error(writing: displayName, errno: code)
        }
        fileBytes &+= UInt64(bytes.count)
        totalBytes &+= UInt64(bytes.count)
        crashSlot?.commit(fileBytes)
    }
}

/// Glibc's close, reachable from methods of a type that has its own close().
func systemClose(_ fd: Int32) -> Int32 { close(fd) }
