import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwiftProtobuf

/// Prometheus remote-write 1.0: one POST per batch of series, a
/// snappy-compressed (block format) protobuf WriteRequest. By the
/// specification 5xx and 429 are retried, other 4xx are not.
public final class RemoteWriteTransport: ExportTransport {
    public let url: String
    private let headers: HTTPHeaders
    private let timeout: Double
    private let client: HTTPClient

    public init(url: String, headers: [(String, String)], timeout: Double, trustFile: String? = nil) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
              parsed.host != nil else {
            throw ExportError("\(ResponseText.redactingUserInfo(url)) is not an http:// or https:// URL")
        }
        self.url = url
        var fields = HTTPHeaders()
        fields.add(name: "Content-Type", value: "application/x-protobuf")
        fields.add(name: "Content-Encoding", value: "snappy")
        fields.add(name: "X-Prometheus-Remote-Write-Version", value: "0.1.0")
        fields.add(name: "User-Agent", value: "dpdkscope")
        for (name, value) in headers { fields.add(name: name, value: value) }
        self.headers = fields
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(min(timeout, 10) * 1000)),
                                      read: .milliseconds(Int64(timeout * 1000)))
        configuration.redirectConfiguration = .disallow
        configuration.tlsConfiguration = try OTLPHTTPTransport.tls(trustFile: trustFile)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit { try? client.syncShutdown() }

    public func send(_ batch: [[UInt8]]) -> ExportResult {
        let body: [UInt8]
        do {
            var request = Prometheus_WriteRequest()
            request.timeseries = try batch.map { try Prometheus_TimeSeries(serializedBytes: $0) }
            body = try request.serializedBytes()
        } catch {
            return .rejected(reason: "cannot encode the request: \(error)")
        }
        guard let payload = Snappy.compress(body) else { return .rejected(reason: "snappy failed") }
        do {
            let request = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .bytes(payload))
            let reply = try client.execute(request: request, delegate: CappedResponse(),
                                           deadline: .now() + .milliseconds(Int64(timeout * 1000))).futureResult.wait()
            let response = reply.head
            let status = Int(response.status.code)
            let message = ResponseText.sanitized(reply.body)
            switch status {
            case 200..<300:
                return .sent(rejected: 0, message: nil)
            case 429, 500..<600:
                return .retry(after: response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0) },
                              reason: "HTTP \(status) \(response.status.reasonPhrase)")
            default:
                return .rejected(reason: "HTTP \(status) \(response.status.reasonPhrase)"
                                 + (message.isEmpty ? "" : ": " + message))
            }
        } catch {
            return .retry(after: nil, reason: "\(ResponseText.redactingUserInfo(url)): \(OTLPHTTPTransport.describe(error))")
        }
    }
}

/// Samples to remote-write series: one TimeSeries per sample, labels sorted
/// by name (the specification requires it), external labels added unless
/// the sample has its own of that name.
public enum RemoteWriteEncoder {
    public static func series(_ samples: [PrometheusText.Sample], timestampMilliseconds: Int64,
                              externalLabels: [String: String]) -> [[UInt8]] {
        samples.compactMap { sample in
            var labels = sample.labels
            for (name, value) in externalLabels where !labels.contains(where: { $0.name == name }) {
                labels.append((name, value))
            }
            labels.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            var series = Prometheus_TimeSeries()
            series.labels = labels.map {
                var label = Prometheus_Label()
                label.name = $0.name
                label.value = $0.value
                return label
            }
            var point = Prometheus_Sample()
            point.value = sample.value
            point.timestamp = timestampMilliseconds
            series.samples = [point]
            return try? Array(series.serializedBytes() as [UInt8])
        }
    }
}
