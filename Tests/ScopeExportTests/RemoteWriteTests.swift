import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ScopeMetrics
import ScopeTestSupport
import Testing
@testable import ScopeExport

@Suite("Remote-write encoding")
struct RemoteWriteEncodingTests {
    @Test("the text exposition reads back into samples: labels, escapes, special values")
    func parse() {
        let text = """
        # HELP x_total Something.
        # TYPE x_total counter
        x_total{protocol="http",method="GET"} 20
        up 1
        quoted{path="a\\"b\\\\c\\nd"} 2.5
        inf_bucket{le="+Inf"} +Inf
        broken{x="1" 3
        """
        let (samples, skipped) = PrometheusText.parse(Array(text.utf8))
        #expect(skipped == 1)
        #expect(samples.count == 4)
        #expect(samples[0].labels.map { "\($0.name)=\($0.value)" } == ["__name__=x_total", "protocol=http", "method=GET"])
        #expect(samples[0].value == 20 && samples[1].value == 1)
        #expect(samples[2].labels[1].value == "a\"b\\c\nd")
        #expect(samples[3].value == .infinity && samples[3].labels[1].value == "+Inf")
    }

    @Test("series have sorted labels, the external ones added unless the series has its own")
    func series() throws {
        let sample = PrometheusText.Sample(labels: [("__name__", "m"), ("zone", "z"), ("host", "own")], value: 3)
        let encoded = RemoteWriteEncoder.series([sample], timestampMilliseconds: 1234,
                                                externalLabels: ["host": "external", "dc": "d1"])
        let series = try Prometheus_TimeSeries(serializedBytes: try #require(encoded.first))
        #expect(series.labels.map { "\($0.name)=\($0.value)" } == ["__name__=m", "dc=d1", "host=own", "zone=z"])
        #expect(series.samples.map(\.timestamp) == [1234] && series.samples.map(\.value) == [3])
    }

    @Test("snappy round trip (libsnappy's block format)")
    func snappy() throws {
        let input = Array(String(repeating: "dpdkscope remote write ", count: 200).utf8)
        let compressed = try #require(Snappy.compress(input))
        #expect(compressed.count < input.count / 5)
        #expect(Snappy.uncompress(compressed) == input)
        #expect(Snappy.uncompress([0xFF, 0xFF, 0xFF]) == nil)
    }
}

/// Remote-write into a real Prometheus (Debian's, with
/// --web.enable-remote-write-receiver), queried back through its HTTP API.
@Suite(.enabled(if: PrometheusServer.isInstalled || OTLPReceiver.required, "prometheus is not installed (apt-get install prometheus)"))
struct RemoteWritePrometheusTests {
    /// Every series of an instant vector query: labels (sorted "k=v") → value.
    static func vector(_ prometheus: PrometheusServer, _ promQL: String) throws -> [String: Double] {
        try vector(port: prometheus.port, promQL)
    }

    /// The same through any Prometheus-compatible query API on `port`.
    static func vector(port: Int, _ promQL: String) throws -> [String: Double] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let response = try PlainHTTP.get(port: port,
                                         path: "/api/v1/query?query=" + (promQL.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""))
        let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        let result = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        var vector: [String: Double] = [:]
        for series in result {
            let labels = (series["metric"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let value = (series["value"] as? [Any])?.last as? String
            vector[labels.joined(separator: ",")] = value.flatMap(Double.init)
        }
        return vector
    }

    @Test func prometheusStoresWhatMetricsSaidWithTheHostLabel() throws {
        try #require(PrometheusServer.isInstalled, "prometheus is not installed at \(PrometheusServer.binary)")
        // Prometheus scrapes nothing here (a closed port): every series comes by remote-write.
        let prometheus = try PrometheusServer(scraping: "127.0.0.1:1", remoteWriteReceiver: true)
        defer { prometheus.stop() }
        let metrics = AgentMetrics()
        try FixtureAnalysis.events("http.pcap").forEach(metrics.record)
        try FixtureAnalysis.events("redis.pcap").forEach(metrics.record)
        let exposition = metrics.expositionBytes()
        let logs = LogLines()
        let output = try RemoteWriteOutput(
            settings: .init(url: "http://127.0.0.1:\(prometheus.port)/api/v1/write", externalLabels: ["host": "host-a"],
                            interval: 0.5, timeout: 5, batchSize: 100),
            spool: nil, source: { exposition }, log: logs.append)
        output.start()
        defer { output.close(timeout: 5) }

        // What /metrics said, series by series, is what Prometheus holds (with host="host-a").
        let (samples, _) = PrometheusText.parse(exposition)
        let requests = samples.filter { $0.labels[0].value == "dpdkscope_requests_total" }
        #expect(requests.count >= 2)
        var seen: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(30)
        while seen.count < requests.count && Date() < deadline {
            seen = try Self.vector(prometheus, #"dpdkscope_requests_total{host="host-a"}"#)
            usleep(300_000)
        }
        for sample in requests {
            let key = (sample.labels + [("host", "host-a")]).sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }
                .joined(separator: ",")
            #expect(seen[key] == sample.value, "\(key) in \(seen)")
        }
        let histogram = try Self.vector(prometheus, #"sum(dpdkscope_request_duration_seconds_count{protocol="http",host="host-a"})"#)
        #expect(histogram.values.first == Double(try FixtureAnalysis.events("http.pcap").count))
        #expect(output.exporter.counters.snapshot.sent > 0 && output.exporter.counters.snapshot.dropped == 0)
        #expect(logs.all.isEmpty, "\(logs.all)")
    }
}

/// The same push into a real VictoriaMetrics (Debian's victoria-metrics),
/// queried back through its Prometheus-compatible API.
@Suite(.enabled(if: access("/usr/bin/victoria-metrics", X_OK) == 0 || OTLPReceiver.required,
                "victoria-metrics is not installed (apt-get install victoria-metrics)"))
struct RemoteWriteVictoriaMetricsTests {
    @Test func victoriaMetricsStoresWhatMetricsSaid() throws {
        try #require(access("/usr/bin/victoria-metrics", X_OK) == 0, "victoria-metrics is not installed (Scripts/setup.sh)")
        let directory = NSTemporaryDirectory() + "dpdkscope-vm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try PlainHTTP.freeLocalPort()
        let server = try Subprocess(["/usr/bin/victoria-metrics", "-httpListenAddr=127.0.0.1:\(port)",
                                     "-storageDataPath=\(directory)", "-retentionPeriod=1d", "-search.latencyOffset=0s"])
        defer {
            server.signal(SIGTERM)
            server.wait(timeout: 10)
        }
        let ready = Date().addingTimeInterval(30)
        while (try? PlainHTTP.get(port: port, path: "/health").status) != 200 && Date() < ready && server.isRunning {
            usleep(100_000)
        }
        let metrics = AgentMetrics()
        try FixtureAnalysis.events("http.pcap").forEach(metrics.record)
        let exposition = metrics.expositionBytes()
        let output = try RemoteWriteOutput(
            settings: .init(url: "http://127.0.0.1:\(port)/api/v1/write", externalLabels: ["host": "host-vm"],
                            interval: 0.5, timeout: 5),
            spool: nil, source: { exposition }, log: { _ in })
        output.start()
        defer { output.close(timeout: 5) }
        let requests = PrometheusText.parse(exposition).samples.filter { $0.labels[0].value == "dpdkscope_requests_total" }
        #expect(!requests.isEmpty)
        var seen: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(30)
        while seen.count < requests.count && Date() < deadline {
            _ = try? PlainHTTP.get(port: port, path: "/internal/force_flush")
            seen = (try? RemoteWritePrometheusTests.vector(port: port, #"dpdkscope_requests_total{host="host-vm"}"#)) ?? [:]
            usleep(300_000)
        }
        for sample in requests {
            let key = (sample.labels + [("host", "host-vm")]).sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }
                .joined(separator: ",")
            #expect(seen[key] == sample.value, "\(key) in \(seen); \(server.stderr.suffix(800))")
        }
        #expect(output.exporter.counters.snapshot.dropped == 0)
    }
}
