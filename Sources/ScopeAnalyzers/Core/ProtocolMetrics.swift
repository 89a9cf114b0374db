/// Metric families a protocol exports beyond the request series every
/// protocol gets (`dpdkscope_requests_total` and its siblings): TLS
/// handshakes by cipher, gRPC calls by status. The protocol's folder
/// declares them in its `ProtocolDefinition` and says what one of its
/// events adds; `ScopeMetrics` registers, labels, caps and exports them
/// without knowing the protocol. This module stays free of Prometheus.
public struct ProtocolMetrics: Sendable {
    public let families: [Family]
    /// What one of the protocol's transaction events adds to its families.
    /// Called by the agent's metrics writer for every event of the protocol,
    /// with `observations` emptied before each call (its storage is reused).
    public let observe: @Sendable (TransactionEvent, inout Observations) -> Void

    public init(families: [Family], observe: @escaping @Sendable (TransactionEvent, inout Observations) -> Void) {
        self.families = families
        self.observe = observe
    }

    /// One metric family: its name and help text (defined once, as
    /// Prometheus wants), whether it counts or measures, and its labels.
    public struct Family: Sendable {
        /// `duration`: a histogram of seconds with the request-duration
        /// buckets (`dpdkscope_request_duration_seconds`'), named `…_seconds`.
        public enum Kind: Sendable { case counter, gauge, duration }

        /// Whether the family carries the `server` label (`ip:port` of the
        /// event's server), which multiplies series and so is opted in by
        /// the user for every family at once.
        public enum ServerLabel: Sendable {
            /// Never.
            case none
            /// When the user opted in; the family exists either way.
            case whenOptedIn
            /// The family means nothing without it (a per-server gauge):
            /// nothing is recorded unless the user opted in.
            case required
        }

        public let name: String
        public let help: String
        public let kind: Kind
        /// The labels the protocol fills, in the order `Observations` takes
        /// their values (at most `Observations.maxLabels`).
        public let labels: [Label]
        public let server: ServerLabel

        public init(name: String, help: String, kind: Kind, labels: [Label], server: ServerLabel = .none) {
            precondition(labels.count <= Observations.maxLabels, "\(name): at most \(Observations.maxLabels) labels")
            self.name = name
            self.help = help
            self.kind = kind
            self.labels = labels
            self.server = server
        }
    }

    /// A label: its name, and how many bytes of a value it keeps (values
    /// come from traffic; longer ones are cut, unprintable bytes replaced).
    public struct Label: Sendable {
        public let name: String
        public let maxLength: Int

        public init(_ name: String, maxLength: Int = 32) {
            self.name = name
            self.maxLength = maxLength
        }
    }

    /// What one event adds: counter increments, gauge values and durations, each with
    /// its family (index into `families`) and label values in the family's
    /// label order. An empty value is exported as "?".
    public struct Observations {
        public static let maxLabels = 4

        public struct Observation {
            public var family: Int
            /// Label values; only the first `families[family].labels.count` count.
            public var values: (String, String, String, String)
            /// A counter's increment (whole: Prometheus shows such counters as integers) ...
            public var count: UInt64
            /// ... or a gauge's new value, or a duration's nanoseconds.
            public var value: Double
        }

        public private(set) var list: [Observation] = []

        public init() {}

        /// Adds `by` to a counter family.
        public mutating func count(_ family: Int, _ v0: String = "", _ v1: String = "", _ v2: String = "",
                                   _ v3: String = "", by count: UInt64 = 1) {
            list.append(Observation(family: family, values: (v0, v1, v2, v3), count: count, value: 0))
        }

        /// Sets a gauge family's value.
        public mutating func set(_ family: Int, _ v0: String = "", _ v1: String = "", _ v2: String = "",
                                 _ v3: String = "", to value: Double) {
            list.append(Observation(family: family, values: (v0, v1, v2, v3), count: 0, value: value))
        }

        /// Records a duration in a duration family.
        public mutating func measure(_ family: Int, _ v0: String = "", _ v1: String = "", _ v2: String = "",
                                     _ v3: String = "", nanoseconds: UInt64) {
            list.append(Observation(family: family, values: (v0, v1, v2, v3), count: 0, value: Double(nanoseconds)))
        }

        /// Empties the list, keeping its storage.
        public mutating func removeAll() { list.removeAll(keepingCapacity: true) }
    }
}
