import ScopeAnalyzers
import ScopeConfig
import ScopeCore
import ScopeDecode
import ScopeLive
import ScopeMetrics

/// The configuration file's sections turned into what each part of the
/// agent is built from; kept in one place so a reload compares like with like.
extension AgentOutputs.Plan {
    init(_ configuration: AgentConfiguration) {
        let outputs = configuration.outputs
        file = outputs.file.enabled
            ? RotatingLineFile.Policy(path: outputs.file.path, rotateBytes: UInt64(outputs.file.rotateBytes),
                                      keep: outputs.file.keep, permissions: outputs.file.permissions)
            : nil
        stdout = outputs.stdout.enabled
        stdoutJSON = outputs.stdout.format == .json
    }
}

extension AgentAnalysis.Settings {
    init(_ configuration: AgentConfiguration) {
        let limits = configuration.limits
        analyzers = configuration.analyzerConfiguration()
        streams = TCPStreamReassembler.Configuration(
            maxConnections: limits.maxConnections, maxBufferedBytesPerDirection: limits.streamBytesPerDirection,
            maxBufferedBytes: limits.streamMemoryBytes)
        // A period of 0 means "only at flow end": FlowTable would report on
        // every call with an interval of 0.
        let period = configuration.flows.periodNanoseconds
        flows = FlowTable.Configuration(maxFlows: limits.flowTableSize, reportInterval: period == 0 ? .max : period)
        reportFlows = configuration.flows.enabled
    }
}

extension MetricsLabelPolicy {
    init(_ settings: AgentConfiguration.Outputs.Metrics) {
        self.init()
        serverLabel = settings.labels.contains(.server)
        vlanLabel = settings.labels.contains(.vlan)
        maxLabelValues = settings.maxLabelValues
    }
}
