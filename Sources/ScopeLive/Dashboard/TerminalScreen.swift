#if canImport(Glibc)
import Glibc
#endif

/// The terminal while the dashboard owns it: alternate screen, hidden
/// cursor, and (when stdin is a terminal) no line buffering or echo so a
/// single `q` arrives at once. Signals stay on (Ctrl-C still interrupts);
/// Ctrl-Z is off, since a stopped process would leave the screen as it is.
/// `restore()` undoes it all and is safe to call more than once; it also
/// runs at exit() as a last resort.
public final class TerminalScreen: DashboardDisplay {

    private let output: Int32
    private let input: Int32
    private var savedInput: termios?
    private var restored = false
    private var lastSize: (width: Int, height: Int)?

    /// nil when `output` is not a terminal.
    public init?(output: Int32 = 1, input: Int32 = 0) {
        guard isatty(output) == 1 else { return nil }
        self.output = output
        self.input = input
        if isatty(input) == 1 {
            var settings = termios()
            if tcgetattr(input, &settings) == 0 {
                savedInput = settings
                settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
                withUnsafeMutableBytes(of: &settings.c_cc) { cc in
                    cc[Int(VMIN)] = 0
                    cc[Int(VTIME)] = 0
                    cc[Int(VSUSP)] = 0  // _POSIX_VDISABLE
                }
                _ = tcsetattr(input, TCSANOW, &settings)
            }
        }
        TerminalRestore.arm(output: output, input: input, saved: savedInput)
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    deinit { restore() }

    /// Leaves the alternate screen, shows the cursor, restores stdin.
    public func restore() {
        guard !restored else { return }
        restored = true
        TerminalRestore.run()
    }

    /// Columns and rows, (80, 24) when the terminal does not say.
    public func size() -> (width: Int, height: Int) {
        var window = winsize()
        guard ioctl(output, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else { return (80, 24) }
        return (Int(window.ws_col), Int(window.ws_row))
    }

    /// Redraws the whole screen from the top. False when the terminal is gone.
    @discardableResult
    public func draw(_ lines: [String], size: (width: Int, height: Int)) -> Bool {
        var text = "\u{1B}[H"
        if let last = lastSize, last != size { text += "\u{1B}[2J" }
        lastSize = size
        for (index, line) in lines.enumerated() {
            text += line + "\u{1B}[K"
            if index + 1 < lines.count { text += "\r\n" }
        }
        return write(text + "\u{1B}[J")
    }

    /// Keys typed since the last call, without waiting; none when stdin is
    /// not a terminal (it is then left alone).
    public func pendingKeys() -> [DashboardKey] {
        guard savedInput != nil, !restored else { return [] }
        var keys: [DashboardKey] = []
        var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        while poll(&poller, 1, 0) > 0, poller.revents & Int16(POLLIN) != 0 {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            for byte in buffer[..<count] {
                switch byte {
                case UInt8(ascii: "q"), UInt8(ascii: "Q"): keys.append(.quit)
                case UInt8(ascii: "c"), UInt8(ascii: "C"): keys.append(.toggleView)
                default: break
                }
            }
        }
        return keys
    }

    @discardableResult
    private func write(_ text: String) -> Bool {
        TerminalRestore.write(output, text)
    }
}
