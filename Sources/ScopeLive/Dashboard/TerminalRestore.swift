#if canImport(Glibc)
import Glibc
#endif

/// What it takes to give the terminal back, kept where an atexit handler
/// can reach it: a path that calls exit() without unwinding (a library
/// giving up) must not leave the user's shell on the alternate screen with
/// echo off. Only the thread that made the screen arms and runs it (the
/// capture loops only draw, through DashboardHub, before it restores).
enum TerminalRestore {
    private struct State {
        var output: Int32
        var input: Int32
        var saved: termios?
    }

    nonisolated(unsafe) private static var pending: State?
    nonisolated(unsafe) private static var registered = false

    static func arm(output: Int32, input: Int32, saved: termios?) {
        pending = State(output: output, input: input, saved: saved)
        guard !registered else { return }
        registered = true
        atexit { TerminalRestore.run() }
    }

    /// Shows the cursor, leaves the alternate screen and puts stdin's
    /// settings back; once, whoever calls first.
    static func run() {
        guard let state = pending else { return }
        pending = nil
        _ = write(state.output, "\u{1B}[?25h\u{1B}[?1049l")
        if var saved = state.saved { _ = tcsetattr(state.input, TCSANOW, &saved) }
    }

    /// All of `text`, retrying interrupted writes. False when the terminal is gone.
    static func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { usleep(1_000); continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }
}
