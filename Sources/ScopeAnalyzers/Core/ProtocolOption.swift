/// One setting of a protocol beyond `enabled` and `ports`: its key under
/// `protocols.NAME`, its kind and default, its reference text, and where it
/// lands in `AnalyzerConfiguration`. The agent's configuration reads,
/// validates and documents it from this alone.
public struct ProtocolOption: Sendable {
    public let key: String
    /// The default, which also fixes the kind of value the key takes.
    public let defaultValue: Value
    /// Comment lines for `config --reference`, without the `#`.
    public let reference: [String]
    let apply: @Sendable (Value, inout AnalyzerConfiguration) -> Void

    public enum Value: Equatable, Sendable {
        case flag(Bool)
        /// A byte count no larger than what one message may buffer
        /// (`limits.max_message_bytes`): it bounds a buffered part of one.
        case messageBytes(Int)
        /// Media types or prefixes, compared lowercased.
        case mediaTypes([String])
    }

    init(key: String, defaultValue: Value, reference: [String],
         apply: @escaping @Sendable (Value, inout AnalyzerConfiguration) -> Void) {
        self.key = key
        self.defaultValue = defaultValue
        self.reference = reference
        self.apply = apply
    }

    /// Sets `configuration` from `value`; a value of another kind than the
    /// default's is ignored (readers check kinds before they get here).
    public func apply(_ value: Value, to configuration: inout AnalyzerConfiguration) {
        apply(value, &configuration)
    }
}
