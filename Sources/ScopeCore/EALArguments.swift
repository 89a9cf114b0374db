/// Builds the secondary's EAL argv. We never inherit the user's DPDK habits
/// blindly: the argv must attach as a secondary, must not open a telemetry
/// socket that clashes with the primary's, and should not probe PCI devices
/// the primary does not use.
public struct EALArguments: Sendable {
    public enum LogLevel: String, CaseIterable, Sendable {
        case trace, debug, info, notice, warning, error, critical

        /// EAL's numeric levels (RTE_LOG_*).
        public var ealLevel: Int {
            switch self {
            case .trace, .debug: 8
            case .info: 7
            case .notice: 6
            case .warning: 5
            case .error: 4
            case .critical: 3
            }
        }
    }

    public var filePrefix: String
    /// Passed verbatim to --lcores (e.g. "2@0").
    public var lcores: String
    public var logLevel: LogLevel
    public var pciArguments: [String]
    public var extra: [String]

    public init(filePrefix: String, lcores: String, logLevel: LogLevel, pciArguments: [String], extra: [String]) {
        self.filePrefix = filePrefix
        self.lcores = lcores
        self.logLevel = logLevel
        self.pciArguments = pciArguments
        self.extra = extra
    }

    public var argv: [String] {
        ["dpdkscope", "--proc-type=secondary", "--file-prefix=\(filePrefix)", "--lcores=\(lcores)",
         "--log-level=\(logLevel.ealLevel)", "--no-telemetry"] + pciArguments + extra
    }

    /// Mirror the primary's PCI choice: --no-pci if it used it, its allow
    /// list if it had one, and --no-pci when no device is bound to a DPDK
    /// userspace driver (there is nothing to probe then).
    public static func pciArguments(primaryCommandLine: [String], boundDevices: [String]) -> [String] {
        if primaryCommandLine.contains("--no-pci") { return ["--no-pci"] }
        var allow: [String] = []
        var index = 0
        while index < primaryCommandLine.count {
            let arg = primaryCommandLine[index]
            for flag in ["-a", "--allow", "-w", "--pci-whitelist"] {
                if arg == flag, index + 1 < primaryCommandLine.count {
                    allow += ["-a", primaryCommandLine[index + 1]]
                } else if arg.hasPrefix(flag + "=") {
                    allow += ["-a", String(arg.dropFirst(flag.count + 1))]
                } else if flag == "-a", arg.hasPrefix("-a"), arg.count > 2, !arg.hasPrefix("--") {
                    allow += ["-a", String(arg.dropFirst(2))]
                }
            }
            index += 1
        }
        if !allow.isEmpty { return allow }
        return boundDevices.isEmpty ? ["--no-pci"] : []
    }

    /// Splits the --eal string the way a shell would for simple cases:
    /// whitespace separates words, single or double quotes group them.
    public static func splitWords(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "'" || ch == "\"" {
                quote = ch
                inWord = true
            } else if ch == " " || ch == "\t" || ch == "\n" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(ch)
                inWord = true
            }
        }
        guard quote == nil else { throw ScopeError(.usageOrAttach, "--eal: unterminated quote in '\(text)'") }
        if inWord { words.append(current) }
        let forbidden = ["--proc-type", "--file-prefix"]
        if let bad = words.first(where: { w in forbidden.contains { w == $0 || w.hasPrefix($0 + "=") } }) {
            throw ScopeError(.usageOrAttach, "--eal: '\(bad)' is set by dpdkscope itself; use the dpdkscope option instead")
        }
        return words
    }

    /// PCI addresses bound to drivers EAL can take over from userspace.
    public static func userspaceBoundPCIDevices(sysfs: String = "/sys/bus/pci/drivers") -> [String] {
        ["vfio-pci", "uio_pci_generic", "igb_uio"].flatMap { driver in
            ProcessFiles.directoryEntries("\(sysfs)/\(driver)").filter { $0.contains(":") && $0.contains(".") }
        }
    }
}
