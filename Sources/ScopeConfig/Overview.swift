// ScopeConfig: the agent's YAML configuration (`dpdkscope agent --config`).
//
// - AgentConfiguration (+Attach, +Protocols, +Outputs, +Limits): the model,
//   one public struct per section, each with an init whose defaults are the
//   documented ones; `AgentConfiguration.defaults` is an empty file.
// - AgentConfiguration.parse/load: Yams composes a node tree and
//   Reading/ walks it (no Codable: it could neither name unknown keys nor
//   report more than one error). Each reader reports a problem with its key
//   path and line, then keeps the default and goes on, so one pass finds
//   every error in the file. ConfigurationErrors lists them in line order.
// - Strict scalars (Reading/ScalarText): YAML 1.2 core booleans, nulls and
//   integers; yes/no/on/off refused; quoted means string. Duplicate keys are
//   refused by Yams and reported at the repeat.
// - Units: durations (10s, 500ms, 2m, 1h, bare seconds), sizes (bytes,
//   KiB/MiB/GiB/TiB binary, KB/MB/GB/TB decimal), octal file modes.
// - Cross-key checks: a port belongs to one protocol (as ProtocolSelection
//   rules), http.max_body_bytes <= limits.max_message_bytes,
//   stream_bytes_per_direction <= stream_memory_bytes, ring.mbufs >= size/2,
//   file and dumpfile paths differ, something is enabled.
// - analyzerConfiguration(): ScopeAnalyzers' AnalyzerConfiguration, with the
//   ProtocolSelection built through the `--proto` grammar.
// - referenceYAML: the commented reference file; it parses to `defaults`.
