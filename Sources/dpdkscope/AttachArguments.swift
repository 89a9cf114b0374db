import ArgumentParser
import Logging
import ScopeCore
import ScopeDPDK

/// Options every attaching command shares.
struct AttachArguments: ParsableArguments {
    @Option(help: "EAL file prefix of the primary (its --file-prefix).")
    var filePrefix = "rte"

    @Option(help: ArgumentHelp("EAL --lcores for dpdkscope itself.", discussion: "Default: a free lcore id on a CPU the primary is not busy-polling."))
    var lcores: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (also sets DPDK's log level).")
    var logLevel: EALArguments.LogLevel = .warning

    @Option(name: .customLong("eal"), help: "Extra EAL arguments, for experts, e.g. --eal '--socket-mem 64'.")
    var eal = ""

    @Flag(help: .hidden) var skipOpsAlignment = false

    func makeLogger() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level.swiftLogLevel
            return handler
        }
        return Logger(label: "dpdkscope")
    }

    /// - Parameter workers: worker lcores besides the main one (nil: one per
    ///   idle CPU); only `capture --multi` asks for any.
    func attach(requirePdump: Bool, workers: Int? = 0, logger: Logger) throws -> Attachment {
        try EAL.attach(AttachOptions(filePrefix: filePrefix, lcores: lcores, logLevel: logLevel, extraEAL: eal,
                                     skipOpsAlignment: skipOpsAlignment, workers: workers),
                       requirePdump: requirePdump, logger: logger)
    }
}

extension EALArguments.LogLevel: ExpressibleByArgument {
    var swiftLogLevel: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
