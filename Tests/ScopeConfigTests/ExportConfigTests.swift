import Testing
@testable import ScopeConfig

@Suite("outputs.otlp and outputs.spool")
struct ExportConfigTests {
    @Test("defaults: OTLP off, to 127.0.0.1:4318, traces and logs; spool on, 1 GiB")
    func defaults() throws {
        let outputs = AgentConfiguration().outputs
        #expect(!outputs.otlp.enabled && outputs.otlp.endpoint == "http://127.0.0.1:4318")
        #expect(outputs.otlp.traces && outputs.otlp.logs && outputs.otlp.batchSize == 512)
        #expect(outputs.otlp.interval == .seconds(1) && outputs.otlp.timeout == .seconds(10))
        #expect(outputs.otlp.tlsCAFile == nil && outputs.remoteWrite.tlsCAFile == nil)
        #expect(outputs.spool.enabled && outputs.spool.maxBytes == 1 << 30 && outputs.spool.path == "/var/lib/dpdkscope/spool")
    }

    @Test("every key read")
    func full() throws {
        let yaml = """
        outputs:
          otlp:
            enabled: true
            endpoint: https://collector.example:4318/
            headers: { Authorization: "Bearer abc", X-Scope-OrgID: tenant-1 }
            traces: false
            logs: true
            batch_size: 100
            interval: 250ms
            timeout: 3s
            queue_size: 1000
            tls_ca_file: /etc/dpdkscope/ca.pem
          spool: { enabled: true, path: /tmp/spool, max_bytes: 64MiB }
        """
        let outputs = try AgentConfiguration.parse(yaml, file: "test.yaml").outputs
        #expect(outputs.otlp == .init(enabled: true, endpoint: "https://collector.example:4318/",
                                      headers: ["Authorization": "Bearer abc", "X-Scope-OrgID": "tenant-1"],
                                      traces: false, logs: true, batchSize: 100, interval: .milliseconds(250),
                                      timeout: .seconds(3), queueSize: 1000, tlsCAFile: "/etc/dpdkscope/ca.pem"))
        #expect(outputs.spool == .init(enabled: true, path: "/tmp/spool", maxBytes: 64 << 20))
        #expect(outputs.otlp.interval.seconds == 0.25)
    }

    @Test("bad values are reported with their path and line")
    func errors() {
        expectOneError("outputs:\n  otlp:\n    endpoint: ftp://x\n", path: "outputs.otlp.endpoint", line: 3,
                       "is not an http:// or https:// URL")
        expectOneError("outputs:\n  otlp:\n    endpoint: \"http://\"\n", path: "outputs.otlp.endpoint", line: 3, "has no host")
        expectOneError("outputs:\n  otlp:\n    headers: [a]\n", path: "outputs.otlp.headers", line: 3,
                       "expected a mapping of header names to values")
        expectOneError("outputs:\n  otlp:\n    headers: { \"bad name\": x }\n", path: "outputs.otlp.headers.bad name", line: 3,
                       "is not an HTTP header name")
        expectOneError("outputs:\n  otlp:\n    batch_size: 0\n", path: "outputs.otlp.batch_size", line: 3, "out of range")
        expectOneError("outputs:\n  otlp:\n    timeout: 1ms\n", path: "outputs.otlp.timeout", line: 3, "out of range")
        expectOneError("outputs:\n  otlp:\n    enabled: true\n    traces: false\n    logs: false\n", path: "outputs.otlp",
                       line: 3, "traces and logs are both off")
        expectOneError("outputs:\n  spool:\n    max_bytes: 1KiB\n", path: "outputs.spool.max_bytes", line: 3, "out of range")
        expectOneError("outputs:\n  otlp:\n    endpont: x\n", path: "outputs.otlp.endpont", line: 3, "did you mean endpoint?")
    }

    @Test("OTLP alone is an output: the every-output-disabled check counts it")
    func otlpAlone() {
        let yaml = """
        outputs:
          file: { enabled: false }
          metrics: { enabled: false }
          otlp: { enabled: true }
        """
        #expect(configErrors(yaml).isEmpty)
        #expect(!configErrors(yaml.replacingOccurrences(of: "otlp: { enabled: true }", with: "otlp: { enabled: false }")).isEmpty)
    }

    @Test("outputs.remote_write: read, validated, and it needs the metrics")
    func remoteWrite() throws {
        let yaml = """
        outputs:
          remote_write:
            enabled: true
            url: http://vm.example:8428/api/v1/write
            headers: { Authorization: "Basic x" }
            external_labels: { host: h1, dc: west_1 }
            interval: 5s
            timeout: 2s
        """
        let push = try AgentConfiguration.parse(yaml, file: "test.yaml").outputs.remoteWrite
        #expect(push == .init(enabled: true, url: "http://vm.example:8428/api/v1/write", headers: ["Authorization": "Basic x"],
                              externalLabels: ["host": "h1", "dc": "west_1"], interval: .seconds(5), timeout: .seconds(2)))
        #expect(AgentConfiguration().outputs.remoteWrite.url == "http://127.0.0.1:9090/api/v1/write")
        expectOneError("outputs:\n  remote_write:\n    external_labels: { \"1x\": a }\n",
                       path: "outputs.remote_write.external_labels.1x", line: 3, "is not a Prometheus label name")
        expectOneError("outputs:\n  remote_write:\n    external_labels: { __name__: a }\n",
                       path: "outputs.remote_write.external_labels.__name__", line: 3, "is not a Prometheus label name")
        expectOneError("outputs:\n  metrics: { enabled: false }\n  remote_write:\n    enabled: true\n",
                       path: "outputs.remote_write", line: 4, "needs outputs.metrics.enabled: true")
        expectOneError("outputs:\n  remote_write:\n    interval: 10ms\n", path: "outputs.remote_write.interval", line: 3,
                       "out of range")
    }
}
