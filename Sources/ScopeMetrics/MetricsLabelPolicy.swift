/// Which optional labels the transaction metrics carry and how many
/// distinct values a label may take. Every extra label multiplies the
/// series Prometheus stores, so the per-server and per-VLAN breakdowns are
/// opt-in, and each label folds its values past the cap into "other".
public struct MetricsLabelPolicy: Sendable, Equatable {
    /// Adds `server="ip:port"` to request counters and the duration histogram.
    public var serverLabel: Bool = false
    /// Adds `vlan` (the 802.1Q id, "0" when untagged) to request counters.
    public var vlanLabel: Bool = false
    /// Distinct values one label keeps per protocol; later ones become "other".
    public var maxLabelValues: Int = 100
    /// Series of `dpdkscope_requests_total` per protocol: the labels' caps
    /// multiply, this bounds their product. Past it every label is "other".
    public var maxSeriesPerProtocol: Int = 5_000

    public init(serverLabel: Bool = false, vlanLabel: Bool = false, maxLabelValues: Int = 100,
                maxSeriesPerProtocol: Int = 5_000) {
        self.serverLabel = serverLabel
        self.vlanLabel = vlanLabel
        self.maxLabelValues = maxLabelValues
        self.maxSeriesPerProtocol = maxSeriesPerProtocol
    }

    /// The caps as used: never negative, never so large that arithmetic on
    /// them could overflow.
    var labelCap: Int { min(max(maxLabelValues, 0), 100_000) }
    var seriesCap: Int { min(max(maxSeriesPerProtocol, 1), 10_000_000) }
}

/// Label values from traffic (methods, commands, device names) may hold
/// anything; Prometheus values are kept short and printable.
enum LabelValue {
    static let other = "other"
    static let unknown = "?"

    /// `raw` itself when it is already printable ASCII of at most
    /// `maxLength` bytes (no allocation: the hot path); otherwise its first
    /// `maxLength` bytes with every other byte replaced by "_".
    static func sanitized(_ raw: String, maxLength: Int = 32) -> String {
        var length = 0
        var clean = true
        for byte in raw.utf8 {
            length += 1
            if length > maxLength || byte < 0x20 || byte > 0x7E {
                clean = false
                break
            }
        }
        if clean { return length == 0 ? unknown : raw }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maxLength)
        for byte in raw.utf8.prefix(maxLength) {
            bytes.append(byte >= 0x20 && byte <= 0x7E ? byte : UInt8(ascii: "_"))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One label's values, numbered in order of first appearance: slot 0 is
/// "other", slots 1...cap the first `cap` distinct values. Series caches
/// key on slots (small integers) instead of strings.
struct LabelSlots {
    private(set) var values: [String] = [LabelValue.other]
    private var slotByValue: [String: Int] = [LabelValue.other: 0]
    let cap: Int

    init(cap: Int) { self.cap = cap }

    /// `value` must already be sanitized.
    mutating func slot(for value: String) -> Int {
        if let slot = slotByValue[value] { return slot }
        guard values.count <= cap else { return 0 }
        values.append(value)
        slotByValue[value] = values.count - 1
        return values.count - 1
    }

    func value(_ slot: Int) -> String { values[slot] }
}

/// `LabelSlots` for a key that is costly to render (an address and port):
/// the key's slot is remembered so rendering happens once per key. The memo
/// is bounded: keys past it are rendered again each time (they are "other"
/// or repeats of a kept value by then).
struct KeyedLabelSlots<Key: Hashable> {
    private var slots: LabelSlots
    private var slotByKey: [Key: Int] = [:]
    private let memoLimit: Int

    init(cap: Int) {
        slots = LabelSlots(cap: cap)
        memoLimit = cap * 4 + 64
    }

    mutating func slot(for key: Key, render: (Key) -> String) -> Int {
        if let slot = slotByKey[key] { return slot }
        let slot = slots.slot(for: render(key))
        if slotByKey.count < memoLimit { slotByKey[key] = slot }
        return slot
    }

    func value(_ slot: Int) -> String { slots.value(slot) }
}
