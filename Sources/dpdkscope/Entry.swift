import ArgumentParser
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// One clear pass, as in dpdk-dumpcap: parse → attach → work → clean up.
/// Every failure becomes a single stderr line and a documented exit code;
/// argument errors exit 2, not ArgumentParser's 64.
@main
enum Entry {
    static func main() {
        let command: ParsableCommand
        do {
            command = try DPDKScope.parseAsRoot()
        } catch {
            let code = DPDKScope.exitCode(for: error)
            if code == .success {
                print(DPDKScope.fullMessage(for: error))
                exit(0)
            }
            let message = DPDKScope.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            fail(ScopeError(.usageOrAttach, "\(message) (see dpdkscope --help)"))
        }
        ProcessSignals.installStopHandlers()
        do {
            var runnable = command
            try runnable.run()
            exit(ExitStatus.success.rawValue)
        } catch let error as ScopeError {
            fail(error)
        } catch {
            let code = DPDKScope.exitCode(for: error)
            if code == .success {
                print(DPDKScope.fullMessage(for: error))
                exit(0)
            }
            fail(ScopeError(code == .validationFailure ? .usageOrAttach : .failure,
                            DPDKScope.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"))
        }
    }

    static func fail(_ error: ScopeError) -> Never {
        writeStderr("dpdkscope: \(error.message)\n")
        exit(error.status.rawValue)
    }
}

func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

struct DPDKScope: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "dpdkscope",
        abstract: "Capture and analyse a running DPDK application's traffic from a secondary process.",
        discussion: """
        Exit codes: \(ExitStatus.allCases.map { "\($0.rawValue) \($0.summary)" }.joined(separator: "; ")).
        """,
        version: version,
        subcommands: [CaptureCommand.self, WatchCommand.self, AgentCommand.self, ConfigCommand.self, ReadCommand.self, ListCommand.self, StatsCommand.self, ProbeCommand.self]
    )
}
