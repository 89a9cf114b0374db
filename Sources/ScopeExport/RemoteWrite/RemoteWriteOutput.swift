import Foundation

/// Pushes the agent's `/metrics` series by remote-write every `interval`:
/// a thread of its own reads the exposition (`source`), turns it into
/// series stamped with the moment it was read, and hands them to an
/// Exporter (queue, spool, retries) like every other output.
public final class RemoteWriteOutput: @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        public var url: String
        public var headers: [String: String]
        /// Added to every series (host=…), unless a series has its own.
        public var externalLabels: [String: String]
        public var interval: Double
        public var timeout: Double
        public var batchSize: Int
        public var queueCapacity: Int
        public var retry: RetryPolicy
        /// PEM certificates to trust for https instead of the system's.
        public var trustFile: String?

        public init(url: String = "http://127.0.0.1:9090/api/v1/write", headers: [String: String] = [:],
                    externalLabels: [String: String] = [:], interval: Double = 15, timeout: Double = 10,
                    batchSize: Int = 2000, queueCapacity: Int = 500_000, retry: RetryPolicy = .init(),
                    trustFile: String? = nil) {
            self.url = url
            self.headers = headers
            self.externalLabels = externalLabels
            self.interval = interval
            self.timeout = timeout
            self.batchSize = batchSize
            self.queueCapacity = queueCapacity
            self.retry = retry
            self.trustFile = trustFile
        }
    }

    public let settings: Settings
    public let exporter: Exporter
    private let source: @Sendable () -> [UInt8]
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    /// Lines of the exposition that did not parse, over the run.
    public private(set) var skippedLines = 0

    /// `counters`: by output name, the counts to go on from after a reload.
    public init(settings: Settings, spool: OTLPOutput.SpoolSettings?, source: @escaping @Sendable () -> [UInt8],
                counters: [String: ExportCounters] = [:], log: @escaping @Sendable (String) -> Void) throws {
        self.settings = settings
        self.source = source
        let transport = try RemoteWriteTransport(url: settings.url,
                                                 headers: settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                                 timeout: settings.timeout, trustFile: settings.trustFile)
        let name = "remote_write"
        let backlog = try spool.map { try Spool(directory: $0.directory + "/" + name, maxBytes: $0.maxBytes) }
        exporter = Exporter(settings: .init(name: name, batchSize: settings.batchSize, interval: 0.05,
                                            queueCapacity: settings.queueCapacity, memoryBacklog: settings.queueCapacity,
                                            retry: settings.retry),
                            transport: transport, spool: backlog, counters: counters[name] ?? ExportCounters(), log: log)
    }

    public func start() {
        exporter.start()
        let thread = Thread { [self] in
            ThreadName.setCurrent("remote_write_in")  // reads the exposition; its Exporter thread sends
            repeat {
                push()
            } while stopped.wait(timeout: .now() + settings.interval) == .timedOut
            push()  // the last values, as the agent stops
            finished.signal()
        }
        thread.name = "dpdkscope-remote-write"
        self.thread = thread
        thread.start()
    }

    /// One reading of the exposition, now.
    public func push() {
        let (samples, skipped) = PrometheusText.parse(source())
        skippedLines += skipped
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        exporter.enqueue(RemoteWriteEncoder.series(samples, timestampMilliseconds: now,
                                                   externalLabels: settings.externalLabels))
    }

    public func close(timeout: Double) {
        if thread != nil {
            stopped.signal()
            finished.wait()
            thread = nil
        }
        exporter.close(timeout: timeout)
    }
}
