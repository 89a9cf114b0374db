import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SwiftProtobuf

/// OTLP/HTTP with binary protobuf (the specification's "OTLP/HTTP"): one
/// POST per batch, gzip-compressed, to `/v1/traces` or `/v1/logs`.
/// Blocks the output's thread (never the caller's) up to `timeout`.
public final class OTLPHTTPTransport: ExportTransport {
    public enum Signal: String, Sendable {
        case traces, logs
        var path: String { "/v1/\(rawValue)" }
    }

    public let signal: Signal
    public let url: String
    private let headers: HTTPHeaders
    private let timeout: Double
    private let compress: Bool
    private let framing: OTLPRequestBody
    private let client: HTTPClient

    /// `trustFile`: PEM certificates to trust for https instead of the system's.
    public init(signal: Signal, endpoint: String, headers: [(String, String)], timeout: Double, compress: Bool = true,
                trustFile: String? = nil, resource: OTLPResource) throws {
        self.signal = signal
        url = Self.signalURL(endpoint: endpoint, signal: signal)
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
              parsed.host != nil else {
            throw ExportError("\(ResponseText.redactingUserInfo(endpoint)) is not an http:// or https:// URL")
        }
        var fields = HTTPHeaders()
        fields.add(name: "Content-Type", value: "application/x-protobuf")
        fields.add(name: "User-Agent", value: "dpdkscope")
        if compress { fields.add(name: "Content-Encoding", value: "gzip") }
        for (name, value) in headers { fields.add(name: name, value: value) }
        self.headers = fields
        self.timeout = timeout
        self.compress = compress
        framing = OTLPRequestBody(signal: signal, resource: resource.message, scope: OTLPResource.scope)
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(min(timeout, 10) * 1000)),
                                      read: .milliseconds(Int64(timeout * 1000)))
        configuration.redirectConfiguration = .disallow
        configuration.tlsConfiguration = try Self.tls(trustFile: trustFile)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit { try? client.syncShutdown() }

    /// The client's TLS settings: the system's trust store, or only the
    /// certificates of `trustFile` (a private CA), read now so a bad file is
    /// an error at start rather than a failure at every request.
    static func tls(trustFile: String?) throws -> TLSConfiguration? {
        guard let trustFile else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustFile))
        } catch {
            throw ExportError("cannot read the trust file \(trustFile): \(error)")
        }
        return tls
    }

    /// The base endpoint plus the signal's path, as OTEL_EXPORTER_OTLP_ENDPOINT is read.
    static func signalURL(endpoint: String, signal: Signal) -> String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base + signal.path
    }

    public func send(_ batch: [[UInt8]]) -> ExportResult {
        guard let body = try? requestBody(batch) else { return .rejected(reason: "cannot serialize the request") }
        guard let payload = compress ? Gzip.compress(body, level: Self.gzipLevel) : body else { return .rejected(reason: "gzip failed") }
        do {
            let request = try HTTPClient.Request(url: url, method: .POST, headers: headers,
                                                 body: .bytes(payload))
            let response = try client.execute(request: request, delegate: CappedResponse(),
                                              deadline: .now() + .milliseconds(Int64(timeout * 1000))).futureResult.wait()
            return Self.outcome(status: Int(response.head.status.code), reason: response.head.status.reasonPhrase,
                                retryAfter: response.head.headers.first(name: "Retry-After"),
                                body: response.body, signal: signal)
        } catch {
            return .retry(after: nil, reason: "\(ResponseText.redactingUserInfo(url)): \(Self.describe(error))")
        }
    }

    /// Status and body to a result, by the OTLP/HTTP specification:
    /// 429, 502, 503, 504 are retried (after `Retry-After` when given);
    /// other failures are not; 200 may carry a partial success.
    static func outcome(status: Int, reason: String, retryAfter: String?, body: [UInt8], signal: Signal) -> ExportResult {
        switch status {
        case 200..<300:
            let partial = partialSuccess(body, signal: signal)
            return .sent(rejected: partial.rejected, message: partial.message)
        case 429, 502, 503, 504:
            return .retry(after: retryAfter.flatMap { RetryPolicy.parseRetryAfter($0) }, reason: "HTTP \(status) \(reason)")
        default:
            let message = Self.statusMessage(body)
            return .rejected(reason: "HTTP \(status) \(reason)" + (message.map { ": " + $0 } ?? ""))
        }
    }

    static func partialSuccess(_ body: [UInt8], signal: Signal) -> (rejected: Int, message: String?) {
        guard !body.isEmpty else { return (0, nil) }
        switch signal {
        case .traces:
            guard let response = try? Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse(serializedBytes: body),
                  response.hasPartialSuccess else { return (0, nil) }
            let message = ResponseText.sanitized(response.partialSuccess.errorMessage.utf8)
            return (Int(clamping: response.partialSuccess.rejectedSpans), message.isEmpty ? nil : message)
        case .logs:
            guard let response = try? Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse(serializedBytes: body),
                  response.hasPartialSuccess else { return (0, nil) }
            let message = ResponseText.sanitized(response.partialSuccess.errorMessage.utf8)
            return (Int(clamping: response.partialSuccess.rejectedLogRecords), message.isEmpty ? nil : message)
        }
    }

    /// A failure's body is a google.rpc.Status; its message (field 2) is
    /// all we show, read as text when it looks like text.
    static func statusMessage(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, body.count < 4096 else { return nil }
        let text = ResponseText.sanitized(body.filter { $0 >= 0x20 && $0 < 0x7F })
        return text.isEmpty ? nil : text
    }

    /// zlib's fastest level: on the bench mix it compresses 2.3 times faster
    /// than the default (6) for 15 % (spans) to 25 % (log records) more
    /// bytes, 39 and 80 bytes per record instead of 34 and 64; the CPU is
    /// the capture host's, the bytes a local network's.
    static let gzipLevel: Int32 = 1

    /// The request for a batch of serialized records (see `OTLPRequestBody`).
    func requestBody(_ batch: [[UInt8]]) throws -> [UInt8] {
        try framing.serialized(batch)
    }

    static func describe(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("deadlineExceeded") || text.contains("readTimeout") { return "timed out" }
        if text.contains("connectTimeout") { return "connect timed out" }
        return text
    }
}

/// Who sent the telemetry: the host, the DPDK primary, the captured ports.
public struct OTLPResource: Sendable {
    public static let version = "0.1"
    public var hostName: String
    public var filePrefix: String?
    public var primaryPID: Int?
    public var ports: [String]

    public init(hostName: String = ProcessInfo.processInfo.hostName, filePrefix: String? = nil, primaryPID: Int? = nil,
                ports: [String] = []) {
        self.hostName = hostName
        self.filePrefix = filePrefix
        self.primaryPID = primaryPID
        self.ports = ports
    }

    /// The instrumentation scope of every span and log record.
    static var scope: Opentelemetry_Proto_Common_V1_InstrumentationScope {
        var scope = Opentelemetry_Proto_Common_V1_InstrumentationScope()
        scope.name = "dpdkscope"
        scope.version = version
        return scope
    }

    var message: Opentelemetry_Proto_Resource_V1_Resource {
        var resource = Opentelemetry_Proto_Resource_V1_Resource()
        var attributes: [(String, EventFields.Value)] = [
            ("service.name", .string("dpdkscope")),
            ("service.version", .string(Self.version)),
            ("host.name", .string(hostName)),
        ]
        if let filePrefix { attributes.append(("dpdk.primary.file_prefix", .string(filePrefix))) }
        if let primaryPID { attributes.append(("dpdk.primary.pid", .int(Int64(primaryPID)))) }
        if !ports.isEmpty { attributes.append(("dpdk.ports", .array(ports.map { .string($0) }))) }
        resource.attributes = attributes.map { OTLPEncoder.keyValue($0.0, $0.1) }
        return resource
    }
}
