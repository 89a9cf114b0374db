/// Which direction(s) of a queue to capture.
public enum CaptureDirection: String, Codable, Sendable, CaseIterable {
    case rx, tx
}

/// One `-i` value: a port (id or device name) and optionally a queue.
/// "0", "net_tap0", "0:1", "net_tap0:*", "0000:01:00.0:2".
public struct InterfaceSpec: Equatable, Sendable {
    public enum Queues: Equatable, Sendable {
        case all
        case one(UInt16)
    }

    public var port: String
    public var queues: Queues

    public init(port: String, queues: Queues = .all) {
        self.port = port
        self.queues = queues
    }

    /// The queue suffix is the part after the last ':' when it is a number or
    /// '*'; PCI names contain colons too, but never end in ":digits".
    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw ScopeError(.usageOrAttach, "-i needs a port id or device name") }
        if let colon = text.lastIndex(of: ":") {
            let head = String(text[..<colon])
            let tail = text[text.index(after: colon)...]
            if tail == "*" && !head.isEmpty {
                self.init(port: head, queues: .all)
                return
            }
            if !head.isEmpty, !tail.isEmpty, tail.allSatisfy(\.isNumber) {
                guard let queue = UInt16(tail), queue < 1024 else {
                    throw ScopeError(.usageOrAttach, "-i \(text): queue \(tail) is out of range (0…1023)")
                }
                self.init(port: head, queues: .one(queue))
                return
            }
        }
        self.init(port: text, queues: .all)
    }
}

/// A port/queue/direction the primary will copy packets from.
public struct CaptureTuple: Hashable, Sendable, CustomStringConvertible {
    public var port: UInt16
    public var portName: String
    public var queue: UInt16
    public var direction: CaptureDirection

    public init(port: UInt16, portName: String, queue: UInt16, direction: CaptureDirection) {
        self.port = port
        self.portName = portName
        self.queue = queue
        self.direction = direction
    }

    public var description: String { "port \(portName) queue \(queue) \(direction.rawValue)" }
}

public enum CaptureSelection {
    /// Expands `-i` specs into tuples, in the order given, without duplicates.
    /// No spec means every port, every queue.
    public static func tuples(for specs: [InterfaceSpec], among ports: [PortInfo],
                              directions: [CaptureDirection]) throws -> [CaptureTuple] {
        let wanted = specs.isEmpty ? ports.map { InterfaceSpec(port: String($0.id)) } : specs
        var tuples: [CaptureTuple] = []
        for spec in wanted {
            guard let port = try PortSelection.resolve([spec.port], among: ports).first else { continue }
            for direction in directions {
                let count = direction == .rx ? port.rxQueues : port.txQueues
                let queues: [UInt16]
                switch spec.queues {
                case .all:
                    queues = Array(0..<count)
                case .one(let queue):
                    guard queue < count else {
                        throw ScopeError(.usageOrAttach,
                                         "port \(port.name) has \(count) \(direction.rawValue) queue(s); queue \(queue) does not exist")
                    }
                    queues = [queue]
                }
                for queue in queues {
                    let tuple = CaptureTuple(port: port.id, portName: port.name, queue: queue, direction: direction)
                    if !tuples.contains(tuple) { tuples.append(tuple) }
                }
            }
        }
        guard !tuples.isEmpty else {
            throw ScopeError(.usageOrAttach, "nothing to capture: the selected ports have no queues in that direction")
        }
        return tuples
    }

    /// Ports in first-appearance order: one pcapng interface each.
    public static func ports(of tuples: [CaptureTuple]) -> [UInt16] {
        var seen: [UInt16] = []
        for tuple in tuples where !seen.contains(tuple.port) { seen.append(tuple.port) }
        return seen
    }
}

/// `-s`: how many bytes of each packet to keep.
public enum Snaplen {
    /// The largest caplen Wireshark and tshark read without complaint
    /// (WTAP_MAX_PACKET_SIZE_STANDARD). Larger packets are chained mbufs.
    public static let maximum = 262_144

    public static func validate(_ value: Int) throws -> UInt32 {
        guard value >= 1 else { throw ScopeError(.usageOrAttach, "-s \(value): the snapshot length must be at least 1 byte") }
        guard value <= maximum else {
            throw ScopeError(.usageOrAttach, "-s \(value): the snapshot length can be at most \(maximum) bytes (the largest packet pcapng readers accept)")
        }
        return UInt32(value)
    }
}

/// `-a duration:S|filesize:KB|packets:N`: any one met stops the capture.
public struct AutostopConditions: Equatable, Sendable {
    public var seconds: Double?
    public var fileBytes: UInt64?
    public var packets: UInt64?

    public init(seconds: Double? = nil, fileBytes: UInt64? = nil, packets: UInt64? = nil) {
        self.seconds = seconds
        self.fileBytes = fileBytes
        self.packets = packets
    }

    public init(parsing values: [String]) throws {
        self.init()
        for value in values {
            let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ScopeError(.usageOrAttach, "-a \(value): expected duration:S, filesize:KB or packets:N") }
            switch parts[0] {
            case "duration":
                guard let s = Double(parts[1]), s > 0, s.isFinite else { throw ScopeError(.usageOrAttach, "-a \(value): duration must be a positive number of seconds") }
                seconds = min(seconds ?? s, s)
            case "filesize":
                guard let kb = UInt64(parts[1]), kb > 0, kb < UInt64.max / 1000 else { throw ScopeError(.usageOrAttach, "-a \(value): filesize must be a positive number of kB") }
                fileBytes = min(fileBytes ?? kb * 1000, kb * 1000)
            case "packets":
                guard let n = UInt64(parts[1]), n > 0 else { throw ScopeError(.usageOrAttach, "-a \(value): packets must be a positive count") }
                packets = min(packets ?? n, n)
            default:
                throw ScopeError(.usageOrAttach, "-a \(value): unknown condition '\(parts[0])' (use duration, filesize or packets)")
            }
        }
    }
}

/// How `--multi` spreads tuples over workers.
///
/// Affinity rule: every tuple with the same queue index goes to the same
/// worker, whatever its port or direction. With symmetric RSS (the usual
/// setup on DPDK gateways) both directions of a flow land on the same queue
/// index of their ports, and io-style forwarding sends rx queue q out on tx
/// queue q; so a request and its response meet in one worker, and analysis
/// needs no shared state. Without symmetric RSS, a flow-hash hand-off
/// between workers would be needed (not done).
public enum WorkerAssignment {
    /// Queue groups, largest first, each to the worker with the fewest
    /// tuples so far. Returns only non-empty workers (never more than asked).
    public static func assign(_ tuples: [CaptureTuple], workers: Int) -> [[CaptureTuple]] {
        guard workers > 0 else { return [] }
        var groups: [UInt16: [CaptureTuple]] = [:]
        for tuple in tuples { groups[tuple.queue, default: []].append(tuple) }
        let ordered = groups.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        var buckets = [[CaptureTuple]](repeating: [], count: min(workers, groups.count))
        for (_, group) in ordered {
            let target = buckets.indices.min { buckets[$0].count < buckets[$1].count } ?? 0
            buckets[target] += group
        }
        return buckets.map { bucket in bucket.sorted { ($0.port, $0.queue, $0.direction.rawValue) < ($1.port, $1.queue, $1.direction.rawValue) } }
    }
}
