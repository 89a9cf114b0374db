/// One ethdev port of the primary, as `list` reports it.
public struct PortInfo: Codable, Equatable, Sendable {
    public var id: UInt16
    public var name: String
    public var driver: String
    public var mac: String
    public var linkUp: Bool
    /// Mbps; nil when the driver does not know.
    public var speedMbps: UInt32?
    public var fullDuplex: Bool
    public var rxQueues: UInt16
    public var txQueues: UInt16
    public var mtu: UInt16
    public var promiscuous: Bool?
    public var socket: Int32

    public init(id: UInt16, name: String, driver: String, mac: String, linkUp: Bool, speedMbps: UInt32?,
                fullDuplex: Bool, rxQueues: UInt16, txQueues: UInt16, mtu: UInt16, promiscuous: Bool?, socket: Int32) {
        self.id = id
        self.name = name
        self.driver = driver
        self.mac = mac
        self.linkUp = linkUp
        self.speedMbps = speedMbps
        self.fullDuplex = fullDuplex
        self.rxQueues = rxQueues
        self.txQueues = txQueues
        self.mtu = mtu
        self.promiscuous = promiscuous
        self.socket = socket
    }

    public static func formatMAC(_ bytes: [UInt8]) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }

    /// "10 Gbps", "100 Mbps", "unknown".
    public var speedText: String {
        guard let speed = speedMbps else { return "unknown" }
        if speed >= 1000 && speed % 1000 == 0 { return "\(speed / 1000) Gbps" }
        return "\(speed) Mbps"
    }

    /// One line for humans: id, device, driver, MAC, link, speed, queues.
    public var line: String {
        let link = linkUp ? "up" : "down"
        return "\(id)  \(name)  driver=\(driver)  mac=\(mac)  link=\(link)  speed=\(speedText)  rxq=\(rxQueues)  txq=\(txQueues)"
    }
}

/// Resolves `-i` values (a port id or a device name) against the primary's ports.
public enum PortSelection {
    public static func resolve(_ specs: [String], among ports: [PortInfo]) throws -> [PortInfo] {
        if specs.isEmpty { return ports }
        var chosen: [PortInfo] = []
        for spec in specs {
            let match = UInt16(spec).flatMap { id in ports.first { $0.id == id } } ?? ports.first { $0.name == spec }
            guard let port = match else {
                let known = ports.map { "\($0.id) (\($0.name))" }.joined(separator: ", ")
                throw ScopeError(.usageOrAttach, "unknown port '\(spec)'; the primary has: \(known.isEmpty ? "no ports" : known)")
            }
            if !chosen.contains(port) { chosen.append(port) }
        }
        return chosen
    }
}

/// pdump counters for one port (summed) or one queue and direction.
public struct PdumpCounters: Codable, Equatable, Sendable {
    public var accepted: UInt64
    public var filtered: UInt64
    public var nombuf: UInt64
    public var ringfull: UInt64

    public init(accepted: UInt64 = 0, filtered: UInt64 = 0, nombuf: UInt64 = 0, ringfull: UInt64 = 0) {
        self.accepted = accepted
        self.filtered = filtered
        self.nombuf = nombuf
        self.ringfull = ringfull
    }

    public static func + (a: PdumpCounters, b: PdumpCounters) -> PdumpCounters {
        PdumpCounters(accepted: a.accepted &+ b.accepted, filtered: a.filtered &+ b.filtered,
                      nombuf: a.nombuf &+ b.nombuf, ringfull: a.ringfull &+ b.ringfull)
    }

    /// Counters since `start`: each one saturating at 0.
    public func since(_ start: PdumpCounters) -> PdumpCounters {
        PdumpCounters(accepted: accepted >= start.accepted ? accepted - start.accepted : 0,
                      filtered: filtered >= start.filtered ? filtered - start.filtered : 0,
                      nombuf: nombuf >= start.nombuf ? nombuf - start.nombuf : 0,
                      ringfull: ringfull >= start.ringfull ? ringfull - start.ringfull : 0)
    }

    /// Whether the primary's pdump clears a queue's counters when a capture
    /// enables it (RTE_VERSION code of the primary, which a secondary
    /// matches exactly). DPDK's fix "pdump: clear statistics when enabled"
    /// is in 25.03 and later and was backported to 22.11.8, 23.11.4 and
    /// 24.11.2; before those, the counters add up over every capture since
    /// the primary started, and a capture must subtract what they held when
    /// it began (found running 23.11.0 built from source).
    public static func clearedOnEnable(version code: UInt32) -> Bool {
        let release = (year: code >> 24, month: (code >> 16) & 0xFF)
        let minor = (code >> 8) & 0xFF
        switch release {
        case (22, 11): return minor >= 8
        case (23, 11): return minor >= 4
        case (24, 11): return minor >= 2
        default: return release.year > 25 || (release.year == 25 && release.month >= 3)
        }
    }

    /// Packets the primary saw on captured queues vs. those it lost for us.
    public var dropped: UInt64 { nombuf &+ ringfull }

    public var line: String {
        "accepted=\(accepted) filtered=\(filtered) nombuf=\(nombuf) ringfull=\(ringfull)"
    }
}
