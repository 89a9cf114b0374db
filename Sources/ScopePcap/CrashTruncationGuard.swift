#if canImport(Glibc)
import Glibc
#endif

/// Keeps capture files readable when dpdkscope dies without closing them
/// (SIGKILL, OOM killer, a crash). A write the kernel interrupts for a fatal
/// signal can stop mid-block, and tshark then calls the file cut short.
///
/// A small child process is forked before anything else runs (so it holds
/// no locks and no other threads) and waits on a pipe whose write end only
/// we hold. When we die the pipe reads EOF; the child then truncates each
/// tracked file to the length we last knew to be whole blocks, and exits.
/// A clean exit leaves nothing to cut. Lengths travel through a shared
/// page per writer (one slot each; --multi workers write their own slots,
/// so there is no contention): a sequence count, the length, the path.
public final class CrashTruncationGuard: @unchecked Sendable {
    public static let slotCount = 64
    static let slotSize = 4096
    static let pathCapacity = slotSize - 16

    private let shared: UnsafeMutableRawPointer
    private let pipeWrite: Int32
    private var nextSlot = 0

    /// nil when the guard cannot be set up (no memory, no fork): capture
    /// goes on without it.
    public static func start() -> CrashTruncationGuard? {
        let size = slotCount * slotSize
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { return nil }
        memset(memory, 0, size)
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { munmap(memory, size); return nil }
        // Our end must not outlive us in an exec'd program (the agent
        // re-executes itself): its EOF is the child's signal.
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        let child = fork()
        if child < 0 {
            close(ends[0]); close(ends[1]); munmap(memory, size)
            return nil
        }
        if child == 0 {
            close(ends[1])
            watch(readEnd: ends[0], shared: memory)
        }
        close(ends[0])
        return CrashTruncationGuard(shared: memory, pipeWrite: ends[1])
    }

    private init(shared: UnsafeMutableRawPointer, pipeWrite: Int32) {
        self.shared = shared
        self.pipeWrite = pipeWrite
    }

    /// A slot for one writer; nil when all are taken (that writer is then
    /// unguarded, nothing else changes).
    public func makeSlot() -> Slot? {
        guard nextSlot < Self.slotCount else { return nil }
        defer { nextSlot += 1 }
        return Slot(base: shared + nextSlot * Self.slotSize)
    }

    /// One writer's record: `sequence` is odd while it is being changed.
    public struct Slot: @unchecked Sendable {
        let base: UnsafeMutableRawPointer

        private var sequence: UnsafeMutablePointer<UInt64> { base.assumingMemoryBound(to: UInt64.self) }
        private var length: UnsafeMutablePointer<UInt64> { (base + 8).assumingMemoryBound(to: UInt64.self) }

        /// A new file: nothing of it is whole yet but what `committed` says.
        public func track(path: String, committed: UInt64) {
            let bytes = Array(path.utf8)
            bump()
            if bytes.count < CrashTruncationGuard.pathCapacity {
                bytes.withUnsafeBytes { (base + 16).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                (base + 16 + bytes.count).storeBytes(of: 0, as: UInt8.self)
            } else {
                (base + 16).storeBytes(of: 0, as: UInt8.self)  // too long to guard: untracked
            }
            length.pointee = committed
            bump()
        }

        /// Everything up to `bytes` is written and ends on a block boundary.
        @inline(__always)
        public func commit(_ bytes: UInt64) {
            bump()
            length.pointee = bytes
            bump()
        }

        private func bump() {
            // A plain store suffices: the reader runs only after we died,
            // and process death orders every store we made before it.
            sequence.pointee &+= 1
        }
    }

    /// The child: sleep until the parent's write end closes, then cut.
    /// Only system calls here — no allocation, no Swift runtime locks.
    private static func watch(readEnd: Int32, shared: UnsafeMutableRawPointer) -> Never {
        // Hold nothing of the parent's (a pipe's reader must see EOF when
        // the parent goes, not when we do).
        for fd in 0..<Int32(4096) where fd != readEnd { close(fd) }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n == 0 || (n < 0 && errno != EINTR) { break }
        }
        for index in 0..<slotCount {
            let base = shared + index * slotSize
            let sequence = base.load(as: UInt64.self)
            guard sequence != 0, sequence & 1 == 0 else { continue }
            let whole = base.load(fromByteOffset: 8, as: UInt64.self)
            let path = (base + 16).assumingMemoryBound(to: CChar.self)
            guard path.pointee != 0 else { continue }
            let fd = open(path, O_WRONLY | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, UInt64(info.st_size) > whole {
                _ = ftruncate(fd, off_t(whole))
            }
            close(fd)
        }
        _exit(0)
    }
}
