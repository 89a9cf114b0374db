// ScopeMetrics: Prometheus metrics (swift-prometheus) fed from analyzer
// events, decoder and capture counters, served on /metrics by SwiftNIO.
//
// AgentMetrics     the registry and its writer-side caches (record, update…),
//                  one lock per batch (WriterLock) for multi-worker agents
// MetricFamilies   every exported name and help text (the catalogue)
// ProtocolSeries   per-protocol transaction series with capped labels
// CaptureMetrics   pdump/ring counters per port, queue and direction
// PipelineMetrics  decoder errors, flow table, analyzer counters
// ProcessMetrics   resident memory, start time, uptime from /proc
// MetricsServer    the HTTP endpoint (one NIO thread; MetricsHTTPHandler,
//                  ListeningSocket for a close-on-exec listening socket)
