import CDPDK
import ScopeCore

/// The primary's ethdev ports as this secondary sees them.
public enum Ports {
    public static func all() -> [PortInfo] {
        var ports: [PortInfo] = []
        var port = rte_eth_find_next(0)
        while port < UInt16(RTE_MAX_ETHPORTS) {
            if let info = info(port) { ports.append(info) }
            port = rte_eth_find_next(port + 1)
        }
        return ports
    }

    static func info(_ port: UInt16) -> PortInfo? {
        var raw = cdpdk_port_info()
        guard cdpdk_port_info(port, &raw) == 0 else { return nil }
        let name = withUnsafeBytes(of: raw.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let driver = withUnsafeBytes(of: raw.driver) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let mac = withUnsafeBytes(of: raw.mac) { PortInfo.formatMAC(Array($0)) }
        return PortInfo(
            id: port, name: name, driver: driver, mac: mac, linkUp: raw.link_up != 0,
            speedMbps: raw.link_speed == UInt32.max || raw.link_speed == 0 ? nil : raw.link_speed,
            fullDuplex: raw.link_full_duplex != 0, rxQueues: raw.nb_rx_queues, txQueues: raw.nb_tx_queues,
            mtu: raw.mtu, promiscuous: raw.promiscuous == 0xFF ? nil : raw.promiscuous == 1, socket: raw.socket_id)
    }
}

/// pdump counters from the primary's shared memzone.
public enum PdumpStatistics {
    public static func queue(port: UInt16, queue: UInt16, transmit: Bool) -> PdumpCounters {
        var raw = rte_pdump_stats()
        guard cdpdk_pdump_queue_stats(port, queue, transmit, &raw) else { return PdumpCounters() }
        return PdumpCounters(accepted: raw.accepted, filtered: raw.filtered, nombuf: raw.nombuf, ringfull: raw.ringfull)
    }

    /// Sum over the port's queues, both directions (what rte_pdump_stats gives).
    public static func port(_ info: PortInfo) -> PdumpCounters {
        let rx = (0..<info.rxQueues).reduce(PdumpCounters()) { $0 + queue(port: info.id, queue: $1, transmit: false) }
        return (0..<info.txQueues).reduce(rx) { $0 + queue(port: info.id, queue: $1, transmit: true) }
    }
}
