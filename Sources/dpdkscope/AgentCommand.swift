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
        let configuration = try ConfigCommand.load(config)
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
}
