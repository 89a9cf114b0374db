import ArgumentParser
import ScopeAnalyzers

/// The analyzers' options, the same flags for `read` and `watch`.
struct AnalyzerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Protocols and ports: 'http:80,8080;dns:53' (a name alone keeps its default ports; 'grpc' alone runs http2's analyzer and keeps only its gRPC calls). Known: \(ProtocolSelection.knownNames).",
                               valueName: "spec"))
    var proto: String?
    @Flag(help: "Attribute connections by configured port only, no content detection.")
    var portsOnly = false
    @Flag(help: "Include HTTP headers in JSON events (credentials and cookie values redacted).")
    var httpHeaders = false
    @Option(help: ArgumentHelp("Keep HTTP bodies of this media type or prefix ('application/json', 'text/') in JSON events; repeatable.",
                               valueName: "type"))
    var includeBodyFor: [String] = []
    @Option(help: ArgumentHelp("Most bytes kept of each such body.", valueName: "n"))
    var maxBodyBytes: Int = AnalyzerConfiguration().maxCapturedBody
    @Option(help: "Seconds before an unanswered request is reported.")
    var transactionTimeout: Double = 10

    /// `--proto`, or every protocol on its default ports.
    func configuration() throws -> AnalyzerConfiguration {
        var selection = ProtocolSelection.defaults
        if let spec = proto {
            do { selection = try ProtocolSelection(parsing: spec) } catch { throw ValidationError("--proto: \(error)") }
        }
        selection.detectByContent = !portsOnly
        var configuration = AnalyzerConfiguration(selection: selection)
        configuration.transactionTimeout = UInt64(transactionTimeout * 1e9)
        configuration.includeHTTPHeaders = httpHeaders
        // Media types are compared lowercased (HTTPMessage.mimeType is).
        configuration.bodyCapture = includeBodyFor.map { $0.lowercased() }
        configuration.maxCapturedBody = maxBodyBytes
        return configuration
    }

    func validate() throws {
        guard transactionTimeout > 0, transactionTimeout <= 86_400 else {
            throw ValidationError("--transaction-timeout must be in (0, 86400] seconds")
        }
        // A kept body is one message buffered: the same cap as any other.
        let cap = AnalyzerConfiguration().maxMessageSize
        guard AnalyzerConfiguration.allowsCapturedBody(maxBodyBytes, maxMessageSize: cap) else {
            throw ValidationError("--max-body-bytes must be in [0, \(cap)], the most one message may buffer")
        }
        // An empty prefix would keep every body that names a type.
        if includeBodyFor.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
            throw ValidationError("--include-body-for needs a media type or prefix, e.g. 'application/json' or 'text/'")
        }
    }
}

/// `read`'s switch into transaction analysis: `--proto` or `--analyze`.
struct AnalyzeOptions: ParsableArguments {
    @Flag(help: "Analyze every known protocol on its default ports (and by content on any port).")
    var analyze = false
    @OptionGroup var analyzer: AnalyzerOptions

    var requested: Bool { analyzer.proto != nil || analyze }

    func configuration() throws -> AnalyzerConfiguration { try analyzer.configuration() }

    func validate() throws {
        if analyzer.proto != nil && analyze { throw ValidationError("--proto and --analyze are alternatives") }
    }
}
