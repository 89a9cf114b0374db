import ScopeAnalyzers
import ScopeCore
import Testing
@testable import ScopeConfig

/// A realistic gateway configuration touching every section.
let fullConfigYAML = """
attach:
  file_prefix: gw1
  lcores: "3@7"
  log_level: debug
  eal: --huge-dir /mnt/huge --iova-mode=va
  takeover: true
  wait_for_primary: true
captures:
  - interfaces: [0, "1:2", "0000:01:00.0:3"]
    direction: both
    filter: tcp port 80
    snaplen: 1500
  - interfaces:
      - net_tap0:*
    filter: ""
ring:
  size: 16384
  mbufs: 20000
  pool_ops: ring_mp_mc
protocols:
  detect_by_content: false
  http:
    ports: [80, "8000-8002"]
    headers: true
    include_body_for: [application/json, Text/]
    max_body_bytes: 64KiB
  dns:
    ports: [53, 5353]
    include_authorities: true
    include_additionals: True
  redis:
    enabled: false
  mysql:
    ports: [3306, 3307]
  pgsql: { ports: [5432, 6432] }
  memcache: { enabled: true, ports: [11211] }
  icmp: { enabled: false }
flows:
  enabled: true
  period: 1m
outputs:
  stdout: { enabled: true, format: text }
  file:
    path: events/agent.ndjson
    rotate_bytes: 50MB
    keep: 3
    permissions: "0640"
  dumpfile:
    enabled: true
    path: /srv/dump/gw1.pcapng
    rotate_bytes: 1GiB
    keep: 10
    snaplen: 128
  metrics:
    address: "::1"
    port: 9200
    labels: [server, vlan]
    max_label_values: 500
limits:
  max_connections: 200000
  max_pending_per_connection: 64
  max_pending_dns_queries: 10000
  max_header_bytes: 32KiB
  max_message_bytes: 1MiB
  transaction_timeout: 1500ms
  flow_table_size: 100000
  stream_bytes_per_direction: 1MiB
  stream_memory_bytes: 1GiB
redaction:
  credentials: false
"""

@Suite("A full configuration")
struct FullConfigTests {
    let config: AgentConfiguration

    init() throws {
        config = try AgentConfiguration.parse(fullConfigYAML, file: "gw1.yaml") { $0 == "tcp port 80" ? nil : "unexpected" }
    }

    @Test("attach")
    func attach() {
        #expect(config.attach == .init(filePrefix: "gw1", lcores: "3@7", logLevel: .debug,
                                       eal: "--huge-dir /mnt/huge --iova-mode=va", takeover: true, waitForPrimary: true))
        #expect(config.attach.ealArguments == ["--huge-dir", "/mnt/huge", "--iova-mode=va"])
    }

    @Test("captures")
    func captures() {
        #expect(config.captures.count == 2)
        let first = config.captures[0]
        #expect(first.interfaces == [InterfaceSpec(port: "0"), InterfaceSpec(port: "1", queues: .one(2)),
                                     InterfaceSpec(port: "0000:01:00.0", queues: .one(3))])
        #expect(first.direction == .both && first.direction.directions == [.rx, .tx])
        #expect(first.filter == "tcp port 80" && first.snaplen == 1500)
        // Defaults fill what the second entry leaves out; "" is no filter.
        #expect(config.captures[1] == .init(interfaces: [InterfaceSpec(port: "net_tap0")], direction: .rx,
                                            filter: nil, snaplen: 262_144))
    }

    @Test("ring and flows")
    func ringAndFlows() {
        #expect(config.ring == .init(size: 16_384, mbufs: 20_000, poolOps: .ring))
        #expect(config.ring.effectiveMbufs == 20_000)
        #expect(config.flows == .init(enabled: true, period: .seconds(60)))
        #expect(config.flows.periodNanoseconds == 60_000_000_000)
    }

    @Test("protocols")
    func protocols() {
        let p = config.protocols
        #expect(!p.detectByContent)
        #expect(p[.http] == .init(enabled: true, ports: [80, 8000, 8001, 8002],
                                  options: ["headers": .flag(true), "include_body_for": .mediaTypes(["application/json", "text/"]),
                                            "max_body_bytes": .messageBytes(65_536)]))
        #expect(p[.dns] == .init(enabled: true, ports: [53, 5353],
                                 options: ["include_authorities": .flag(true), "include_additionals": .flag(true)]))
        #expect(p[.redis] == .init(enabled: false, ports: [6379]))
        #expect(p[.mysql] == .init(ports: [3306, 3307]))
        #expect(p[.pgsql] == .init(ports: [5432, 6432]))
        #expect(p[.memcache] == .init(ports: [11211]))
        #expect(!p[.icmp].enabled)
        #expect(p.ports(for: .redis) == nil && p.ports(for: .icmp) == nil)
    }

    @Test("outputs")
    func outputs() {
        let o = config.outputs
        #expect(o.stdout == .init(enabled: true, format: .text))
        #expect(o.file == .init(enabled: true, path: "events/agent.ndjson", rotateBytes: 50_000_000, keep: 3,
                                permissions: 0o640))
        #expect(o.dumpfile == .init(enabled: true, path: "/srv/dump/gw1.pcapng", rotateBytes: 1 << 30, keep: 10,
                                    snaplen: 128))
        #expect(o.metrics == .init(enabled: true, address: "::1", port: 9200, labels: [.server, .vlan],
                                   maxLabelValues: 500))
    }

    @Test("limits and redaction")
    func limits() {
        #expect(config.limits == .init(maxConnections: 200_000, maxPendingPerConnection: 64,
                                       maxPendingDNSQueries: 10_000, maxHeaderBytes: 32_768,
                                       maxMessageBytes: 1 << 20, transactionTimeout: .milliseconds(1500),
                                       flowTableSize: 100_000, streamBytesPerDirection: 1 << 20,
                                       streamMemoryBytes: 1 << 30))
        #expect(config.limits.transactionTimeoutNanoseconds == 1_500_000_000)
        #expect(!config.redactCredentials)
    }
}
