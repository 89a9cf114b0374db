import ScopeCore

extension AgentConfiguration {
    /// `ring:` the ring and mbuf pool the primary copies packets into.
    public struct Ring: Equatable, Sendable {
        public static let sizeRange = 64...(1 << 24)
        public static let maxMbufs = 1 << 25

        /// Ring slots; a power of two.
        public var size: Int
        /// Mbufs in the copy pool; nil = `2 * size - 1`.
        public var mbufs: Int?
        /// The pool's mempool ops; why lock-free by default: `CapturePoolOps`.
        public var poolOps: CapturePoolOps

        public init(size: Int = 4096, mbufs: Int? = nil, poolOps: CapturePoolOps = .lockFree) {
            self.size = size
            self.mbufs = mbufs
            self.poolOps = poolOps
        }

        /// The pool size to create.
        public var effectiveMbufs: Int { mbufs ?? 2 * size - 1 }

        init(reading section: ConfigSection) {
            self.init()
            section.read("size", into: &size) { value in
                guard let size = value.integer(in: Self.sizeRange) else { return nil }
                return size & (size - 1) == 0 ? size : value.fail("\(size) is not a power of two (e.g. 4096, 8192)")
            }
            let smallest = size / 2
            section.read("mbufs", into: &mbufs) { $0.nullable { $0.integer(in: smallest...Self.maxMbufs) } }
            section.read("pool_ops", into: &poolOps) { $0.choice() }
        }
    }

    /// `flows:` Packetbeat-style flow events.
    public struct Flows: Equatable, Sendable {
        public var enabled: Bool
        /// Interval of periodic reports of live flows; zero = at flow end only.
        public var period: Duration

        public init(enabled: Bool = false, period: Duration = .seconds(10)) {
            self.enabled = enabled
            self.period = period
        }

        /// `period` in nanoseconds (FlowTable.Configuration.reportInterval).
        public var periodNanoseconds: UInt64 { period.wholeNanoseconds }

        init(reading section: ConfigSection) {
            self.init()
            section.read("enabled", into: &enabled) { $0.bool() }
            section.read("period", into: &period) { value in
                guard let period = value.duration(in: .zero ... .seconds(86_400)) else { return nil }
                return period == .zero || period >= .seconds(1)
                    ? period : value.fail("\(value.scalarText) is too short: 0 (at flow end only) or at least 1s")
            }
        }
    }

    /// `limits:` memory and time bounds of analysis. Each bounds what one
    /// busy or hostile peer can make the agent hold.
    public struct Limits: Equatable, Sendable {
        public var maxConnections: Int
        public var maxPendingPerConnection: Int
        public var maxPendingDNSQueries: Int
        public var maxHeaderBytes: Int
        public var maxMessageBytes: Int
        public var transactionTimeout: Duration
        /// ScopeDecode FlowTable.Configuration.maxFlows.
        public var flowTableSize: Int
        /// ScopeDecode TCPStreamReassembler.Configuration.maxBufferedBytesPerDirection.
        public var streamBytesPerDirection: Int
        /// ScopeDecode TCPStreamReassembler.Configuration.maxBufferedBytes.
        public var streamMemoryBytes: Int

        public init(maxConnections: Int = 65_536, maxPendingPerConnection: Int = 1024,
                    maxPendingDNSQueries: Int = 65_536, maxHeaderBytes: Int = 64 << 10,
                    maxMessageBytes: Int = 10 << 20, transactionTimeout: Duration = .seconds(10),
                    flowTableSize: Int = 65_536, streamBytesPerDirection: Int = 256 << 10,
                    streamMemoryBytes: Int = 64 << 20) {
            self.maxConnections = maxConnections
            self.maxPendingPerConnection = maxPendingPerConnection
            self.maxPendingDNSQueries = maxPendingDNSQueries
            self.maxHeaderBytes = maxHeaderBytes
            self.maxMessageBytes = maxMessageBytes
            self.transactionTimeout = transactionTimeout
            self.flowTableSize = flowTableSize
            self.streamBytesPerDirection = streamBytesPerDirection
            self.streamMemoryBytes = streamMemoryBytes
        }

        /// `transactionTimeout` in nanoseconds (AnalyzerConfiguration's unit).
        public var transactionTimeoutNanoseconds: UInt64 { transactionTimeout.wholeNanoseconds }

        static let keys = [
            "max_connections", "max_pending_per_connection", "max_pending_dns_queries", "max_header_bytes",
            "max_message_bytes", "transaction_timeout", "flow_table_size", "stream_bytes_per_direction",
            "stream_memory_bytes",
        ]

        /// The ranges are those the analyzers and ScopeDecode accept (they
        /// clamp silently; the config says so instead).
        init(reading section: ConfigSection) {
            self.init()
            section.read("max_connections", into: &maxConnections) { $0.integer(in: 1...(1 << 24)) }
            section.read("max_pending_per_connection", into: &maxPendingPerConnection) { $0.integer(in: 1...(1 << 20)) }
            section.read("max_pending_dns_queries", into: &maxPendingDNSQueries) { $0.integer(in: 1...(1 << 24)) }
            section.read("max_header_bytes", into: &maxHeaderBytes) { $0.size(in: 256...(16 << 20)) }
            section.read("max_message_bytes", into: &maxMessageBytes) { $0.size(in: 512...(1 << 30)) }
            section.read("transaction_timeout", into: &transactionTimeout) {
                $0.duration(in: .milliseconds(1) ... .seconds(3600))
            }
            section.read("flow_table_size", into: &flowTableSize) { $0.integer(in: 1...(1 << 26)) }
            section.read("stream_memory_bytes", into: &streamMemoryBytes) { $0.size(in: 0...(1 << 40)) }
            let memory = streamMemoryBytes
            section.read("stream_bytes_per_direction", into: &streamBytesPerDirection) { value in
                guard let bytes = value.size(in: 0...(1 << 40)) else { return nil }
                return bytes <= memory ? bytes
                    : value.fail("\(value.scalarText) is more than limits.stream_memory_bytes (\(Units.format(bytes: memory))), which bounds all connections together")
            }
        }
    }
}
