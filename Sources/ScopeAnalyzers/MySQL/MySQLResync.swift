/// Where one direction stands against packet boundaries. At the start of
/// a connection (the capture may begin mid-packet) and after a gap, a side
/// is "lost": bytes are skipped until a delivery starts with a plausible
/// packet header (`MySQLDetection.startsPacket`). A delivery too short to
/// judge is held (at most 5 bytes) and judged with the next one.
struct MySQLResync {
    enum Verdict {
        /// In step: parse `held` (bytes kept from before), then the delivery.
        case parse(held: [UInt8])
        /// Kept for judging with the next delivery.
        case hold
        /// Not a packet start: this many bytes are skipped.
        case skip(Int)
    }

    let fromClient: Bool
    private(set) var lost = true
    private var probe: [UInt8] = []

    init(fromClient: Bool) {
        self.fromClient = fromClient
    }

    mutating func admit(_ bytes: UnsafeRawBufferPointer, connectionStart: Bool) -> Verdict {
        guard lost else { return .parse(held: []) }
        if probe.isEmpty && bytes.count >= 5 {
            guard MySQLDetection.startsPacket(bytes, fromClient: fromClient, connectionStart: connectionStart) else {
                return .skip(bytes.count)
            }
            lost = false
            return .parse(held: [])
        }
        let held = probe
        probe.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, 5 &- held.count)]))
        guard probe.count == 5 else { return .hold }
        let plausible = probe.withUnsafeBytes {
            MySQLDetection.startsPacket($0, fromClient: fromClient, connectionStart: connectionStart)
        }
        probe = []
        guard plausible else { return .skip(held.count &+ bytes.count) }
        lost = false
        return .parse(held: held)
    }

    /// A gap: lost again; returns the held bytes dropped.
    mutating func lose() -> Int {
        defer { probe = [] }
        lost = true
        return probe.count
    }
}
