// ScopeMetrics: Prometheus metrics (swift-prometheus) fed from analyzer
// events, decoder and capture counters, served on /metrics by SwiftNIO.
