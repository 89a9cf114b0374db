import ArgumentParser
import ScopeConfig
import ScopeCore
import ScopeDPDK

#if canImport(Glibc)
import Glibc
#endif

/// `dpdkscope agent`: the long-running mode. Everything comes from one YAML
/// file (`dpdkscope config --reference` prints a commented one); the flags
/// only say where it is and how to treat the primary's lifetime.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run continuously: transactions to JSON-lines files and stdout, Prometheus metrics, an optional pcapng dumpfile.",
        discussion: """
        SIGHUP reloads the configuration without stopping the capture (changes to attach, captures or ring \
        need a restart and are reported). SIGTERM or SIGINT flush every output and exit 0. When the primary \
        exits, outputs are flushed and the agent exits 3, or, with --wait-for-primary, waits for it to come \
        back and attaches again.
        """)

    @Option(name: .shortAndLong, help: "Configuration file (YAML).") var config = "dpdkscope.yaml"
    @Flag(help: "Validate the configuration, report every error with its key path, and exit.") var checkConfig = false
    @Flag(help: "Wait for the primary to start, and re-attach whenever it restarts.") var waitForPrimary = false
    @Flag(name: .customShort("q"), help: "No start and stop messages on stderr.") var quiet = false

    func run() throws {
        let configuration = try Self.load(config)
        if checkConfig {
            print("\(config): configuration is valid")
            return
        }
        let runtime = AgentRuntime(path: config, configuration: configuration,
                                   waitForPrimary: waitForPrimary || configuration.attach.waitForPrimary, quiet: quiet)
        do {
            try runtime.run()
        } catch is AgentRuntime.ReattachRequest {
            // Everything was flushed and released by the unwinding; EAL cannot
            // be initialised twice in one process, so start afresh.
            AgentRuntime.reexecute(waitForPrimary: true)
        }
    }

    /// Every error of the file on its own stderr line, then one summary.
    static func load(_ path: String) throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: path, checkFilter: checkFilter)
        } catch {
            for item in error.errors { writeStderr("\(item)\n") }
            let count = error.errors.count
            throw ScopeError(.usageOrAttach, "\(path): \(count) configuration error\(count == 1 ? "" : "s")")
        }
    }

    /// libpcap's verdict on a capture filter, compiled for Ethernet as the
    /// primary will run it; nil when it compiles.
    static func checkFilter(_ expression: String) -> String? {
        do {
            _ = try ClassicFilter(expression: expression, linkType: 1, snaplen: UInt32(Snaplen.maximum))
            return nil
        } catch let error as ScopeError {
            // Only libpcap's words: the caller names the expression itself.
            guard let range = error.message.range(of: "': ") else { return error.message }
            return String(error.message[range.upperBound...])
        } catch {
            return "\(error)"
        }
    }
}

/// `dpdkscope config --reference`: the commented reference configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the fully commented reference configuration for `dpdkscope agent`.")

    @Flag(help: "Print the reference configuration (every key, its default and what it does).") var reference = false

    func validate() throws {
        if !reference { throw ValidationError("say what to print: --reference") }
    }

    func run() throws {
        print(AgentConfiguration.referenceYAML, terminator: AgentConfiguration.referenceYAML.hasSuffix("\n") ? "" : "\n")
    }
}
