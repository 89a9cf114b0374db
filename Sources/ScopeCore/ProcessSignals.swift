#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The process's signal handling, in one place and free of DPDK: `read`,
/// `config` and the capture loops all ask here. SIGINT, SIGTERM, SIGHUP and
/// SIGPIPE ask the process to stop (`stopSignal` says which came); a
/// long-running mode may take SIGHUP as a reload request instead.
/// The handlers only store into atomics (async-signal-safe); they are
/// installed without SA_RESTART, so a blocking call returns EINTR and its
/// loop gets to look at the flags.
public enum ProcessSignals {
    private static let stop = Atomic<Int32>(0)
    private static let reload = Atomic<Int32>(0)

    /// Call once, on the main thread, before anything blocks.
    public static func installStopHandlers() {
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
            install(signal) { ProcessSignals.stop.store($0, ordering: .relaxed) }
        }
    }

    /// SIGHUP asks for a reload from now on. Install after the stop handlers.
    public static func installReloadHandler() {
        install(SIGHUP) { ProcessSignals.reload.store($0, ordering: .relaxed) }
    }

    /// 0 while no stop signal arrived, else the signal number.
    public static var stopSignal: Int32 { stop.load(ordering: .relaxed) }

    /// A stop was asked by a signal other than SIGPIPE (a closed pipe is
    /// reported by the write that hits it).
    public static var stopRequested: Bool {
        let signal = stopSignal
        return signal != 0 && signal != SIGPIPE
    }

    /// Whether SIGHUP arrived since the last call (and forgets it).
    public static func takeReloadRequest() -> Bool {
        reload.exchange(0, ordering: .relaxed) != 0
    }

    private static func install(_ signal: Int32, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }
}
