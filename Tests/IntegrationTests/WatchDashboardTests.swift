import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `watch` on a real terminal (a tmux pane of 160×48): the dashboard
    /// shows live HTTP traffic through the tap testbed and the capture's
    /// health, `q` quits with status 0, and the terminal is given back
    /// (normal screen, line editing and echo on).
    @Suite struct WatchDashboard {
        @Test func dashboardShowsLiveTrafficAndQuitsOnQ() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("tap", prefix: "it-dash")
            defer { testbed.stop() }
            let a = try #require(testbed.facts["netns-a"])
            let addressB = try #require(testbed.facts["ip-b"])
            let server = try testbed.startHTTPServer()
            defer { server.signal(SIGTERM); server.wait(timeout: 5) }

            // A tmux server of our own (its own socket), gone with the test.
            let tmux = Tmux(socket: "dpdkscope-it-\(getpid())")
            defer { tmux.killServer() }
            let session = try tmux.start("\(Harness.dpdkscope) watch --file-prefix \(testbed.prefix) --proto http:8080", in: dir)
            try Self.waitForDashboard(tmux)
            let curl = "curl -s -o /dev/null http://\(addressB):8080"
            let load = try Subprocess(["ip", "netns", "exec", a, "sh", "-c",
                                       "end=$(($(date +%s)+6)); i=0; while [ $(date +%s) -lt $end ]; do i=$((i+1)); \(curl)/testbed.sh; \(curl)/missing-$((i%3)); done"])
            defer { load.signal(SIGTERM); load.wait(timeout: 5) }

            // Wait for a redraw that shows the traffic (at most ~8 s).
            var screen: [Substring] = []
            for _ in 0..<32 {
                usleep(250_000)
                screen = try tmux.capture()
                if let rate = Self.httpRate(screen), rate > 0 { break }
            }
            let shown = screen.joined(separator: "\n")
            #expect(screen.first?.hasPrefix("dpdkscope watch ") == true, "\(shown)")
            #expect((Self.httpRate(screen) ?? 0) > 0, "no http row with traffic:\n\(shown)")
            let health = screen.first { $0.hasPrefix("capture ") }
            #expect(health?.contains("pkt/s  pdump accepted ") == true && health?.contains(" ringfull ") == true
                    && health?.contains("drop ") == true, "\(shown)")
            #expect(screen.contains { $0.hasPrefix("PROTO    SERVER") && $0.contains("P99") }, "\(shown)")
            #expect(screen.contains { $0.hasSuffix("/testbed.sh") }, "\(shown)")
            #expect(screen.count <= 48 && screen.allSatisfy { $0.count <= 160 })

            #expect(load.wait(timeout: 30) == 0)
            let (after, stty) = try tmux.quit(session)
            // Back on the normal screen: the closing summary, no dashboard.
            #expect(after.contains { $0.hasPrefix("Transactions: ") } && !after.contains { $0.hasPrefix("PROTO ") },
                    "\(after.joined(separator: "\n"))")
            #expect(stty.contains("susp = ^Z"), "\(stty)")
        }

        /// `watch --multi --workers 2` over a 2-queue primary: one dashboard
        /// fed by both workers. A fixed number of requests (the kernel's RSS
        /// spreads the connections over both queues, hence both workers)
        /// must all show in the dashboard's total; `q` still quits and gives
        /// the terminal back.
        @Test func multiDashboardCountsEveryWorkersTransactions() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("tap", prefix: "it-dash-multi", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            let a = try #require(testbed.facts["netns-a"])
            let addressB = try #require(testbed.facts["ip-b"])
            let server = try testbed.startHTTPServer()
            defer { server.signal(SIGTERM); server.wait(timeout: 5) }

            let tmux = Tmux(socket: "dpdkscope-it-multi-\(getpid())")
            defer { tmux.killServer() }
            let session = try tmux.start(
                "\(Harness.dpdkscope) watch --file-prefix \(testbed.prefix) --multi --workers 2 --proto http:8080", in: dir)
            try Self.waitForDashboard(tmux)
            let curl = "curl -s -o /dev/null http://\(addressB):8080"
            let load = try Subprocess(["ip", "netns", "exec", a, "sh", "-c",
                                       "for i in $(seq 60); do \(curl)/testbed.sh; \(curl)/missing-$((i%3)); done"])
            defer { load.signal(SIGTERM); load.wait(timeout: 5) }

            var screen: [Substring] = []
            var sawTraffic = false
            for _ in 0..<80 {
                usleep(250_000)
                screen = try tmux.capture()
                if let rate = Self.httpRate(screen), rate > 0 { sawTraffic = true }
                if Self.total(screen) == 120 { break }
            }
            let shown = screen.joined(separator: "\n")
            #expect(sawTraffic, "no http row with traffic:\n\(shown)")
            #expect(Self.total(screen) == 120, "\(shown)")
            #expect(screen.first?.hasPrefix("dpdkscope watch ") == true, "\(shown)")
            #expect(screen.contains { $0.hasPrefix("capture ") && $0.contains("pdump accepted ") }, "\(shown)")
            #expect(screen.contains { $0.hasSuffix("/testbed.sh") }, "\(shown)")
            #expect(load.wait(timeout: 30) == 0)

            let (after, _) = try tmux.quit(session)
            // The normal screen: the workers' layout from before, the summary from after.
            #expect(after.contains { $0.contains("w0@lcore") && $0.contains("w1@lcore") } && !after.contains { $0.hasPrefix("PROTO ") }
                    && after.contains { $0.hasPrefix("Transactions: 120") }, "\(after.joined(separator: "\n"))")
        }

        /// The transactions line's "total N".
        static func total(_ screen: [Substring]) -> Int? {
            guard let line = screen.first(where: { $0.hasPrefix("transactions ") }),
                  let range = line.range(of: "total ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }

        /// Waits (30 s at most) for the dashboard's capture row: the screen
        /// is drawn only once every capture is enabled, so traffic started
        /// after it is all seen.
        static func waitForDashboard(_ tmux: Tmux) throws {
            for _ in 0..<120 {
                if try tmux.capture().contains(where: { $0.hasPrefix("capture ") }) { return }
                usleep(250_000)
            }
        }

        /// The http row's rate column (TX/S), "1.2k" style included.
        static func httpRate(_ screen: [Substring]) -> Double? {
            guard let row = screen.first(where: { $0.hasPrefix("http ") }) else { return nil }
            let columns = row.split(separator: " ")
            guard columns.count > 2 else { return nil }
            var text = columns[2]
            var scale = 1.0
            if text.hasSuffix("k") { scale = 1e3; text = text.dropLast() }
            if text.hasSuffix("M") { scale = 1e6; text = text.dropLast() }
            return Double(text).map { $0 * scale }
        }
    }
}

/// tmux on a private socket.
struct Tmux {
    let socket: String

    @discardableResult
    func run(_ arguments: [String]) throws -> Harness.Output {
        try Harness.run(["tmux", "-L", socket] + arguments, timeout: 10)
    }

    /// The visible pane, one element per row.
    func capture() throws -> [Substring] {
        var rows = try run(["capture-pane", "-p", "-t", "watch"]).stdout.split(separator: "\n", omittingEmptySubsequences: false)
        if rows.last?.isEmpty == true { rows.removeLast() }
        return rows
    }

    func killServer() {
        _ = try? run(["kill-server"])
    }

    /// Where a command run by `start` leaves its exit status and the
    /// terminal settings it left behind.
    struct Session {
        let exitFile: String
        let sttyFile: String
    }

    /// `command` in a 160×48 session named "watch"; afterwards the shell
    /// records its exit status and `stty -a`, then idles so the pane stays.
    func start(_ command: String, in dir: ScratchDirectory) throws -> Session {
        let session = Session(exitFile: dir.file("exit"), sttyFile: dir.file("stty"))
        let started = try run(["new-session", "-d", "-s", "watch", "-x", "160", "-y", "48", "sh", "-c",
                               "\(command); echo EXIT=$? > \(session.exitFile); stty -a > \(session.sttyFile); sleep 120"])
        #expect(started.status == 0, "\(started.stderr)")
        return session
    }

    /// Presses q; expects exit status 0 and a terminal back in canonical
    /// mode with echo. Returns the pane afterwards and the stty output.
    func quit(_ session: Session) throws -> (pane: [Substring], stty: String) {
        #expect(try run(["send-keys", "-t", "watch", "q"]).status == 0)
        var exitLine = ""
        for _ in 0..<50 where exitLine.isEmpty {
            usleep(100_000)
            exitLine = (try? String(contentsOfFile: session.exitFile, encoding: .utf8)) ?? ""
        }
        #expect(exitLine == "EXIT=0\n", "did not quit on q: '\(exitLine)'\n\((try? capture())?.joined(separator: "\n") ?? "")")
        usleep(300_000)
        let stty = (try? String(contentsOfFile: session.sttyFile, encoding: .utf8)) ?? ""
        #expect(stty.contains(" icanon") && !stty.contains("-icanon") && !stty.contains("-echo "), "\(stty)")
        return (try capture(), stty)
    }
}
