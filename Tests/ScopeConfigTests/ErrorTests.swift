import ScopeAnalyzers
import Testing
@testable import ScopeConfig

@Suite("One error per class, with path and line")
struct ErrorTests {
    @Test("wrong scalar type")
    func wrongType() {
        expectOneError("outputs:\n  metrics:\n    port: \"abc\"\n", path: "outputs.metrics.port", line: 3,
                       "expected a TCP port number (1-65535), got the string \"abc\"")
        expectOneError("limits:\n  max_connections: [1]\n", path: "limits.max_connections", line: 2,
                       "expected a whole number, got a sequence")
        // Quoted numbers are strings.
        expectOneError("ring:\n  size: \"4096\"\n", path: "ring.size", line: 2, "got the string \"4096\"")
    }

    @Test("a mapping where a sequence belongs, and the reverse")
    func wrongContainer() {
        expectOneError("captures: {}\n", path: "captures", line: 1, "expected a sequence of capture entries")
        expectOneError("outputs:\n  - stdout\n", path: "outputs", line: 2, "expected a mapping")
        expectOneError("- a\n- b\n", path: "", line: 1, "expected a mapping")
    }

    @Test("unknown key, with a hint when close")
    func unknownKey() {
        expectOneError("outputs:\n  metrcs:\n    port: 1\n", path: "outputs.metrcs", line: 2, "unknown key (did you mean metrics?)")
        expectOneError("attach:\n  filePrefix: x\n", path: "attach.filePrefix", line: 2, "did you mean file_prefix?")
        expectOneError("\n\nbanana: 1\n", path: "banana", line: 3, "known keys: attach, captures,")
    }

    @Test("bad port: the exact one-line description")
    func badPort() {
        let errors = configErrors("outputs:\n  metrics:\n    port: 70000\n", file: "dpdkscope.yaml")
        #expect(errors.map(\.description) == ["dpdkscope.yaml:3: outputs.metrics.port: 70000 is not a TCP port (1-65535)"])
        expectOneError("protocols:\n  dns:\n    ports: [53, 0]\n", path: "protocols.dns.ports[1]", line: 3,
                       "0 is not a port (1-65535)")
        expectOneError("protocols:\n  http:\n    ports: [\"90-80\"]\n", path: "protocols.http.ports[0]", line: 3,
                       "not a port (1-65535) or port range")
    }

    @Test("bad filter: libpcap's message, at the entry's filter")
    func badFilter() {
        let yaml = """
        captures:
          - filter: tcp port 80
          - interfaces: [1]
            filter: tcp portt 80
        """
        expectOneError(yaml, path: "captures[1].filter", line: 4, "is not a valid filter: syntax error",
                       checkFilter: { $0.contains("portt") ? "syntax error" : nil })
    }

    @Test("bad interface spec")
    func badInterface() {
        expectOneError("captures:\n  - interfaces: [0, \"0:5000\"]\n", path: "captures[0].interfaces[1]", line: 2,
                       "\"0:5000\" is not an interface (queue 5000 is out of range")
        expectOneError("captures:\n  - interfaces: [\"\"]\n", path: "captures[0].interfaces[0]", line: 2, "must not be empty")
    }

    @Test("bad enumeration value")
    func badEnum() {
        expectOneError("captures:\n  - direction: sideways\n", path: "captures[0].direction", line: 2,
                       "\"sideways\" is not one of rx, tx, both")
        expectOneError("attach:\n  log_level: warn\n", path: "attach.log_level", line: 2, "did you mean")
        expectOneError("outputs:\n  metrics:\n    labels: [server, method]\n", path: "outputs.metrics.labels[1]", line: 3,
                       "is not one of server, vlan")
    }

    @Test("bad duration and size")
    func badUnits() {
        expectOneError("limits:\n  transaction_timeout: 10 parsecs\n", path: "limits.transaction_timeout", line: 2,
                       "\"10 parsecs\" is not a duration")
        expectOneError("limits:\n  transaction_timeout: 1.5s\n", path: "limits.transaction_timeout", line: 2, "not a duration")
        expectOneError("limits:\n  max_message_bytes: 10XB\n", path: "limits.max_message_bytes", line: 2, "\"10XB\" is not a size")
        expectOneError("limits:\n  max_message_bytes: 99999999999999TiB\n", path: "limits.max_message_bytes", line: 2,
                       "is not a size")
    }

    @Test("out-of-range numbers")
    func outOfRange() {
        expectOneError("captures:\n  - snaplen: 0\n", path: "captures[0].snaplen", line: 2, "0 is out of range (1...262144)")
        expectOneError("ring:\n  size: 1000\n", path: "ring.size", line: 2, "1000 is not a power of two")
        expectOneError("ring:\n  size: 32\n", path: "ring.size", line: 2, "out of range (64...16777216)")
        expectOneError("ring:\n  size: 8192\n  mbufs: 100\n", path: "ring.mbufs", line: 3, "out of range (4096...33554432)")
        expectOneError("ring:\n  pool_ops: lf-stack\n", path: "ring.pool_ops", line: 2,
                       "\"lf-stack\" is not one of lf_stack, ring_mp_mc; did you mean lf_stack?")
        expectOneError("limits:\n  max_header_bytes: 1TiB\n", path: "limits.max_header_bytes", line: 2, "out of range (256...16MiB)")
        expectOneError("limits:\n  transaction_timeout: 2h\n", path: "limits.transaction_timeout", line: 2, "out of range (1ms...1h)")
        expectOneError("flows:\n  period: 500ms\n", path: "flows.period", line: 2, "0 (at flow end only) or at least 1s")
        expectOneError("outputs:\n  file:\n    keep: 99999999999999999999999\n", path: "outputs.file.keep", line: 3,
                       "out of range (0...10000)")
    }

    @Test("malformed YAML is one error with its line")
    func malformed() {
        expectOneError("attach:\n  file_prefix: rte\n  eal: [a, b\nring:\n  size: 64\n", path: "", line: 4, "not valid YAML")
        expectOneError("attach:\n\tfile_prefix: x\n", path: "", line: 2, "not valid YAML")
    }

    @Test("duplicate keys are refused, pointing at the repeat")
    func duplicateKey() {
        expectOneError("ring:\n  size: 64\n  mbufs: 64\n  size: 128\n", path: "", line: 4,
                       "duplicate key \"size\" (first given at line 2)")
    }

    @Test("booleans are true or false only")
    func strictBooleans() {
        expectOneError("flows:\n  enabled: yes\n", path: "flows.enabled", line: 2, "\"yes\" is not a boolean here: write true or false")
        expectOneError("flows:\n  enabled: \"true\"\n", path: "flows.enabled", line: 2, "expected true or false, got the string")
        expectOneError("flows:\n  enabled: 1\n", path: "flows.enabled", line: 2, "expected true or false, got the number 1")
    }

    @Test("a port claimed by two protocols")
    func portConflict() {
        expectOneError("protocols:\n  redis:\n    ports: [6379, 80]\n", path: "protocols.redis.ports[1]", line: 3,
                       "port 80 is already one of http's default ports")
        expectOneError("protocols:\n  http:\n    ports: [80, 6379]\n", path: "protocols.http.ports[1]", line: 3,
                       "port 6379 is also one of redis's default ports")
        expectOneError("protocols:\n  http:\n    ports: [80]\n  dns:\n    ports: [\"50-80\"]\n", path: "protocols.dns.ports[0]",
                       line: 5, "port 80 is already given for http at protocols.http.ports[0]")
        // A disabled protocol claims nothing.
        #expect(configErrors("protocols:\n  http:\n    enabled: false\n  redis:\n    ports: [80]\n").isEmpty)
    }

    @Test("file modes: octal, never world-writable")
    func permissions() {
        expectOneError("outputs:\n  file:\n    permissions: \"0666\"\n", path: "outputs.file.permissions", line: 3, "world-writable")
        expectOneError("outputs:\n  file:\n    permissions: rw-r-----\n", path: "outputs.file.permissions", line: 3,
                       "not an octal file mode")
        expectOneError("outputs:\n  file:\n    permissions: \"0400\"\n", path: "outputs.file.permissions", line: 3, "read and write")
    }

    @Test("cross-key limits, EAL options, addresses, emptiness")
    func crossChecks() {
        expectOneError("limits:\n  max_message_bytes: 1MiB\nprotocols:\n  http:\n    max_body_bytes: 2MiB\n",
                       path: "protocols.http.max_body_bytes", line: 5, "more than limits.max_message_bytes (1MiB)")
        expectOneError("limits:\n  stream_memory_bytes: 1MiB\n  stream_bytes_per_direction: 2MiB\n",
                       path: "limits.stream_bytes_per_direction", line: 3, "more than limits.stream_memory_bytes")
        expectOneError("attach:\n  eal: --no-huge --file-prefix=x\n", path: "attach.eal", line: 2, "--file-prefix is set by dpdkscope")
        expectOneError("attach:\n  file_prefix: a/b\n", path: "attach.file_prefix", line: 2, "plain name")
        expectOneError("outputs:\n  metrics:\n    address: localhost\n", path: "outputs.metrics.address", line: 3, "not an IP address")
        expectOneError("captures: []\n", path: "captures", line: 1, "needs at least one entry")
        expectOneError("protocols:\n  dns:\n    ports: []\n", path: "protocols.dns.ports", line: 3, "needs at least one port")
        expectOneError("outputs:\n  file:\n    path: /var/log/\n", path: "outputs.file.path", line: 3, "names a directory")
        expectOneError("outputs:\n  dumpfile:\n    enabled: true\n    path: /var/log/dpdkscope/events.ndjson\n",
                       path: "outputs.dumpfile.path", line: 4, "both write")
        expectOneError("attach:\n  file_prefix:\n", path: "attach.file_prefix", line: 2, "needs a value")
    }

    @Test("everything disabled")
    func nothingEnabled() {
        let protocols = ApplicationProtocol.allCases
            .map { "  \($0.rawValue): { enabled: false }" }.joined(separator: "\n")
        expectOneError("protocols:\n" + protocols + "\n", path: "protocols", line: 2, "no protocol is enabled")
        let outputs = ["stdout", "file", "dumpfile", "metrics"].map { "  \($0): { enabled: false }" }.joined(separator: "\n")
        expectOneError("outputs:\n" + outputs + "\n", path: "outputs", line: 2, "every output is disabled")
    }
}
