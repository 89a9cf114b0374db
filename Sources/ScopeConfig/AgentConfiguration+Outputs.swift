extension AgentConfiguration {
    /// `outputs:` where events, packets and metrics go. Each output has
    /// `enabled`; several may be on at once.
    public struct Outputs: Equatable, Sendable {
        public enum EventFormat: String, CaseIterable, Sendable {
            /// One JSON object per line (the file output's format too).
            case json
            /// One human-readable line per event.
            case text
        }

        /// Events on standard output.
        public struct Stdout: Equatable, Sendable {
            public var enabled: Bool
            public var format: EventFormat

            public init(enabled: Bool = false, format: EventFormat = .json) {
                self.enabled = enabled
                self.format = format
            }
        }

        /// Events as JSON lines in a rotating file.
        public struct EventFile: Equatable, Sendable {
            public var enabled: Bool
            public var path: String
            /// Rotate when the current file would grow past this many bytes.
            public var rotateBytes: Int
            /// Rotated files kept besides the current one (0 = none).
            public var keep: Int
            /// Mode of the files created (never world-writable).
            public var permissions: UInt32

            public init(enabled: Bool = true, path: String = "/var/log/dpdkscope/events.ndjson",
                        rotateBytes: Int = 10 << 20, keep: Int = 7, permissions: UInt32 = 0o600) {
                self.enabled = enabled
                self.path = path
                self.rotateBytes = rotateBytes
                self.keep = keep
                self.permissions = permissions
            }
        }

        /// The captured packets themselves, as rotating pcapng files.
        public struct Dumpfile: Equatable, Sendable {
            public var enabled: Bool
            public var path: String
            public var rotateBytes: Int
            public var keep: Int
            /// Bytes kept of each packet in the dump (the analyzers still see
            /// `captures[].snaplen` bytes).
            public var snaplen: Int

            public init(enabled: Bool = false, path: String = "/var/lib/dpdkscope/dump.pcapng",
                        rotateBytes: Int = 100 << 20, keep: Int = 5, snaplen: Int = 65_535) {
                self.enabled = enabled
                self.path = path
                self.rotateBytes = rotateBytes
                self.keep = keep
                self.snaplen = snaplen
            }
        }

        /// Extra labels a metrics series may carry; each multiplies series.
        public enum MetricLabel: String, CaseIterable, Sendable {
            /// The server address of a transaction.
            case server
            /// The VLAN ID of a transaction.
            case vlan
        }

        /// Prometheus `/metrics` over HTTP.
        public struct Metrics: Equatable, Sendable {
            public var enabled: Bool
            /// IP address to listen on (an address literal, not a host name).
            public var address: String
            public var port: UInt16
            public var labels: [MetricLabel]
            /// Distinct values one label may take before further values are
            /// folded into "other" (bounds the series count).
            public var maxLabelValues: Int

            public init(enabled: Bool = true, address: String = "127.0.0.1", port: UInt16 = 9091,
                        labels: [MetricLabel] = [], maxLabelValues: Int = 100) {
                self.enabled = enabled
                self.address = address
                self.port = port
                self.labels = labels
                self.maxLabelValues = maxLabelValues
            }
        }

        public var stdout: Stdout
        public var file: EventFile
        public var dumpfile: Dumpfile
        public var metrics: Metrics
        public var otlp: OTLP
        public var remoteWrite: RemoteWrite
        public var kafka: Kafka
        public var spool: Spool

        public init(stdout: Stdout = Stdout(), file: EventFile = EventFile(), dumpfile: Dumpfile = Dumpfile(),
                    metrics: Metrics = Metrics(), otlp: OTLP = OTLP(), remoteWrite: RemoteWrite = RemoteWrite(),
                    kafka: Kafka = Kafka(), spool: Spool = Spool()) {
            self.stdout = stdout
            self.file = file
            self.dumpfile = dumpfile
            self.metrics = metrics
            self.otlp = otlp
            self.remoteWrite = remoteWrite
            self.kafka = kafka
            self.spool = spool
        }

        static let keys = ["stdout", "file", "dumpfile", "metrics", "otlp", "remote_write", "kafka", "spool"]
    }
}
