import ScopeAnalyzers

extension AgentConfiguration {
    /// `protocols:` which analyzers run, on which ports, with which options.
    public struct Protocols: Equatable, Sendable {
        /// An analyzer on its ports only: Redis, MySQL, PostgreSQL, Memcached.
        public struct PortProtocol: Equatable, Sendable {
            public var enabled: Bool
            public var ports: [UInt16]

            public init(enabled: Bool = true, ports: [UInt16]) {
                self.enabled = enabled
                self.ports = ports
            }
        }

        public struct HTTP: Equatable, Sendable {
            public var enabled: Bool
            public var ports: [UInt16]
            /// Emit request and response headers.
            public var headers: Bool
            /// Media type prefixes (lowercase) whose bodies are kept.
            public var includeBodyFor: [String]
            public var maxBodyBytes: Int

            public init(enabled: Bool = true, ports: [UInt16] = ApplicationProtocol.http.defaultPorts,
                        headers: Bool = false, includeBodyFor: [String] = [], maxBodyBytes: Int = 4096) {
                self.enabled = enabled
                self.ports = ports
                self.headers = headers
                self.includeBodyFor = includeBodyFor
                self.maxBodyBytes = maxBodyBytes
            }
        }

        public struct DNS: Equatable, Sendable {
            public var enabled: Bool
            public var ports: [UInt16]
            public var includeAuthorities: Bool
            public var includeAdditionals: Bool

            public init(enabled: Bool = true, ports: [UInt16] = ApplicationProtocol.dns.defaultPorts,
                        includeAuthorities: Bool = false, includeAdditionals: Bool = false) {
                self.enabled = enabled
                self.ports = ports
                self.includeAuthorities = includeAuthorities
                self.includeAdditionals = includeAdditionals
            }
        }

        /// ICMP pairs echoes and reports errors; it has no ports.
        public struct ICMP: Equatable, Sendable {
            public var enabled: Bool

            public init(enabled: Bool = true) {
                self.enabled = enabled
            }
        }

        /// Also find enabled protocols on other ports from their first bytes.
        public var detectByContent: Bool
        public var http: HTTP
        public var dns: DNS
        public var redis: PortProtocol
        public var mysql: PortProtocol
        public var pgsql: PortProtocol
        public var memcache: PortProtocol
        public var icmp: ICMP

        public init(detectByContent: Bool = true, http: HTTP = HTTP(), dns: DNS = DNS(),
                    redis: PortProtocol = PortProtocol(ports: ApplicationProtocol.redis.defaultPorts),
                    mysql: PortProtocol = PortProtocol(ports: ApplicationProtocol.mysql.defaultPorts),
                    pgsql: PortProtocol = PortProtocol(ports: ApplicationProtocol.pgsql.defaultPorts),
                    memcache: PortProtocol = PortProtocol(ports: ApplicationProtocol.memcache.defaultPorts),
                    icmp: ICMP = ICMP()) {
            self.detectByContent = detectByContent
            self.http = http
            self.dns = dns
            self.redis = redis
            self.mysql = mysql
            self.pgsql = pgsql
            self.memcache = memcache
            self.icmp = icmp
        }

        /// The ports of `proto`, nil when it is disabled ([] for ICMP).
        public func ports(for proto: ApplicationProtocol) -> [UInt16]? {
            switch proto {
            case .http: http.enabled ? http.ports : nil
            case .dns: dns.enabled ? dns.ports : nil
            case .redis: redis.enabled ? redis.ports : nil
            case .mysql: mysql.enabled ? mysql.ports : nil
            case .pgsql: pgsql.enabled ? pgsql.ports : nil
            case .memcache: memcache.enabled ? memcache.ports : nil
            case .icmp: icmp.enabled ? [] : nil
            }
        }

        public func isEnabled(_ proto: ApplicationProtocol) -> Bool { ports(for: proto) != nil }

        static let keys = ["detect_by_content"] + ApplicationProtocol.allCases.map(\.rawValue)
    }
}
