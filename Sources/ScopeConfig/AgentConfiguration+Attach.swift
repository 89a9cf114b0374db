import ScopeCore

extension AgentConfiguration {
    /// `attach:` how dpdkscope joins the running primary as a DPDK secondary.
    public struct Attach: Equatable, Sendable {
        /// The primary's EAL `--file-prefix` (its runtime directory
        /// /var/run/dpdk/<prefix>). A plain name, no '/'.
        public var filePrefix: String
        /// EAL `--lcores` for dpdkscope; nil = an lcore the primary does not use.
        public var lcores: String?
        public var logLevel: EALArguments.LogLevel
        /// Extra EAL arguments as written; see `ealArguments`.
        public var eal: String
        /// Disable a stale capture registration on our queues before attaching.
        public var takeover: Bool
        /// Wait for the primary to (re)start instead of failing, and re-attach.
        public var waitForPrimary: Bool
        /// Worker lcores that capture and analyze (`capture --multi --workers
        /// N`); 0 = one loop on the main lcore.
        public var workers: Int

        public init(filePrefix: String = "rte", lcores: String? = nil, logLevel: EALArguments.LogLevel = .warning,
                    eal: String = "", takeover: Bool = false, waitForPrimary: Bool = false, workers: Int = 0) {
            self.filePrefix = filePrefix
            self.lcores = lcores
            self.logLevel = logLevel
            self.eal = eal
            self.takeover = takeover
            self.waitForPrimary = waitForPrimary
            self.workers = workers
        }

        /// As `--workers` allows: more would outnumber the CPUs of any
        /// machine this runs on, and each worker owns a ring and pool.
        public static let workerRange = 0...64

        /// `eal` split at whitespace (no shell quoting).
        public var ealArguments: [String] { eal.split(whereSeparator: \.isWhitespace).map(String.init) }

        static let keys = ["file_prefix", "lcores", "log_level", "eal", "takeover", "wait_for_primary", "workers"]

        /// EAL options dpdkscope sets itself, and the key that sets them.
        static let managedEALOptions = [
            ("--proc-type", "always secondary"), ("--file-prefix", "use attach.file_prefix"),
            ("--lcores", "use attach.lcores"), ("-l", "use attach.lcores"), ("-c", "use attach.lcores"),
            ("--log-level", "use attach.log_level"),
        ]

        init(reading section: ConfigSection) {
            self.init()
            section.read("file_prefix", into: &filePrefix) { value in
                guard let text = value.text() else { return nil }
                return text.contains("/") ? value.fail("\(quoted(text)) must be a plain name (no '/')") : text
            }
            section.read("lcores", into: &lcores) { $0.nullable { $0.text() } }
            section.read("log_level", into: &logLevel) { $0.choice() }
            section.read("eal", into: &eal) { value in
                guard let text = value.text(allowEmpty: true) else { return nil }
                for argument in text.split(whereSeparator: \.isWhitespace) {
                    for (option, advice) in Self.managedEALOptions
                    where argument == option || argument.hasPrefix(option + "=") {
                        return value.fail("\(option) is set by dpdkscope (\(advice))")
                    }
                }
                return text
            }
            section.read("takeover", into: &takeover) { $0.bool() }
            section.read("wait_for_primary", into: &waitForPrimary) { $0.bool() }
            section.read("workers", into: &workers) { $0.integer(in: Self.workerRange) }
        }
    }

    /// One `captures:` entry: which queues to copy, in which direction,
    /// through which filter, cut to which length. Entries add up.
    public struct Capture: Equatable, Sendable {
        public enum Direction: String, CaseIterable, Sendable {
            case rx, tx, both

            public var directions: [CaptureDirection] {
                switch self {
                case .rx: [.rx]
                case .tx: [.tx]
                case .both: [.rx, .tx]
                }
            }
        }

        /// `-i` syntax ("0", "0:1", "net_tap0:*"); empty = every port.
        public var interfaces: [InterfaceSpec]
        public var direction: Direction
        /// libpcap expression, nil = every packet.
        public var filter: String?
        public var snaplen: Int

        public init(interfaces: [InterfaceSpec] = [], direction: Direction = .rx, filter: String? = nil,
                    snaplen: Int = Snaplen.maximum) {
            self.interfaces = interfaces
            self.direction = direction
            self.filter = filter
            self.snaplen = snaplen
        }

        static let keys = ["interfaces", "direction", "filter", "snaplen"]

        init(reading value: ConfigValue, checkFilter: (String) -> String?) {
            self.init()
            let section = value.section(keys: Self.keys)
            section.read("interfaces", into: &interfaces) { value in
                guard let items = value.items(of: "interfaces") else { return nil }
                let specs = items.map(Self.interface)
                return specs.contains(nil) ? nil : specs.compactMap { $0 }
            }
            section.read("direction", into: &direction) { $0.choice() }
            section.read("filter", into: &filter) { value -> String?? in
                if value.isNull { return .some(nil) }
                guard let text = value.text(allowEmpty: true) else { return nil }
                // A blank expression is libpcap's "every packet": the same as none.
                guard text.contains(where: { !$0.isWhitespace }) else { return .some(nil) }
                if let problem = checkFilter(text) {
                    return value.fail("\(quoted(text)) is not a valid filter: \(problem)")
                }
                return text
            }
            section.read("snaplen", into: &snaplen) { $0.integer(in: 1...Snaplen.maximum) }
        }

        private static func interface(_ value: ConfigValue) -> InterfaceSpec? {
            guard let text = value.text() else { return nil }
            do {
                return try InterfaceSpec(parsing: text)
            } catch {
                // ScopeCore words it for the command line ("-i 0:5000: ..."): keep the reason.
                let reason = "\(error)".replacingPrefix("-i \(text): ", with: "")
                return value.fail("\(quoted(text)) is not an interface (\(reason))")
            }
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
