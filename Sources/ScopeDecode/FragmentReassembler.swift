/// IPv4 and IPv6 fragment reassembly with bounded memory.
///
/// Feed every packet the decoder marked `fragment.isFragment`; when the last
/// missing piece arrives, `add` returns the whole IP datagram (header fixed
/// up: IPv4 length, flags and checksum; IPv6 payload length and the fragment
/// header removed). Decode it again with `linkType: .rawIP`; link-layer and
/// tunnel context stay with the fragments' own `DecodedPacket`.
///
/// Overlaps are resolved first-wins: bytes already received are never
/// overwritten, so a later overlapping fragment cannot rewrite data that was
/// seen first (the classic overlap-rewrite evasion). Overlaps are counted.
///
/// Memory: buffers are charged by their real capacity against `maxBytes`;
/// when a new fragment would exceed it, or `maxDatagrams` are in flight, the
/// oldest incomplete datagrams are evicted. Time only moves with the packet
/// timestamps passed in (nanoseconds), never with a wall clock.
public struct FragmentReassembler: Sendable {
    public struct Configuration: Sendable {
        public var maxBytes: Int
        public var maxDatagrams: Int
        public var timeoutNanoseconds: UInt64

        public init(maxBytes: Int = 4 << 20, maxDatagrams: Int = 1024, timeoutNanoseconds: UInt64 = 30_000_000_000) {
            self.maxBytes = max(0, maxBytes)
            self.maxDatagrams = max(1, maxDatagrams)
            self.timeoutNanoseconds = timeoutNanoseconds
        }
    }

    public struct Counters: Equatable, Sendable {
        public var fragments: UInt64 = 0
        public var reassembled: UInt64 = 0
        public var timedOut: UInt64 = 0
        /// Datagrams dropped to stay inside `maxBytes` / `maxDatagrams`.
        public var evicted: UInt64 = 0
        /// Fragments that overlapped data already held (first-wins).
        public var overlaps: UInt64 = 0
        /// Fragments reaching past the 65 535-byte IP limit (datagram dropped).
        public var oversize: UInt64 = 0
        /// Inconsistent fragments: odd sizes, conflicting ends, too many holes.
        public var invalid: UInt64 = 0
        public init() {}
    }

    struct Key: Hashable, Sendable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var ipProtocol: UInt8
        var vlanID: UInt16
    }

    struct Pending: Sendable {
        var sequence: UInt64
        var firstSeen: UInt64
        var isIPv6: Bool
        var header: [UInt8] = []
        var haveHeader = false
        /// IPv6: offset inside `header` of the next-header byte to patch.
        var nextHeaderField = 0
        var nextHeader: UInt8 = 0
        var data: [UInt8] = []
        /// Received byte ranges, sorted and merged.
        var received: [Range<Int>] = []
        var totalLength: Int?
        var charged = 0
    }

    /// Largest reassembled payload (the IP length fields are 16 bits).
    static let maximumPayload = 65_535
    /// Holes tracked per datagram before it is declared hostile.
    static let maximumRanges = 128

    public let configuration: Configuration
    public private(set) var counters = Counters()
    public private(set) var bytesInUse = 0
    var pending: [Key: Pending] = [:]
    private var nextSequence: UInt64 = 0
    private var nextSweep: UInt64 = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var datagramsInFlight: Int { pending.count }

    /// Adds one fragment from `bytes` as decoded into `packet`. Returns the
    /// reassembled IP datagram once complete, nil otherwise.
    public mutating func add(_ bytes: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64) -> [UInt8]? {
        let info = packet.fragment
        guard info.isFragment, packet.network == .ipv4 || packet.network == .ipv6 else { return nil }
        counters.fragments &+= 1
        if timestamp >= nextSweep {
            expire(now: timestamp)
            nextSweep = timestamp &+ min(configuration.timeoutNanoseconds, 1_000_000_000)
        }
        let reader = ByteReader(bytes)
        let isIPv6 = packet.network == .ipv6
        let start = info.offset
        // The header kept from the first fragment: IPv4 header with options, or
        // the IPv6 unfragmentable part (base header + headers before fragment).
        let headerEnd = isIPv6 ? info.fragmentHeaderOffset : info.dataOffset
        guard reader.has(info.dataOffset, info.dataLength, end: bytes.count),
              reader.has(packet.networkOffset, headerEnd &- packet.networkOffset, end: bytes.count),
              headerEnd <= info.dataOffset
        else {
            counters.invalid &+= 1
            return nil
        }
        let (end, overflow) = start.addingReportingOverflow(info.dataLength)
        let key = Key(source: packet.source, destination: packet.destination, identification: info.identification,
                      ipProtocol: isIPv6 ? 0 : packet.ipProtocol, vlanID: packet.vlanIDs.outer)
        if overflow || end > FragmentReassembler.maximumPayload {
            counters.oversize &+= 1
            drop(key)
            return nil
        }
        if (info.moreFragments && info.dataLength % 8 != 0) || info.dataLength == 0 {
            counters.invalid &+= 1
            return nil
        }

        if pending[key] == nil {
            while pending.count >= configuration.maxDatagrams, evictOldest(except: nil) {}
            pending[key] = Pending(sequence: nextSequence, firstSeen: timestamp, isIPv6: isIPv6)
            nextSequence &+= 1
        }
        guard var entry = pending.removeValue(forKey: key) else { return nil }
        bytesInUse &-= entry.charged

        // Where the datagram ends must agree across fragments.
        let ends = !info.moreFragments
        if let total = entry.totalLength, end > total || (ends && end != total) {
            counters.invalid &+= 1
            return nil
        }
        if ends {
            if let last = entry.received.last, last.upperBound > end {
                counters.invalid &+= 1
                return nil
            }
            entry.totalLength = end
        }

        // Reserve memory for growth before copying, evicting older datagrams.
        let extraHeader = start == 0 && !entry.haveHeader ? headerEnd &- packet.networkOffset : 0
        let growth = max(0, end &- entry.data.count) &+ extraHeader
        let projected = entry.data.capacity &+ entry.header.capacity &+ growth
        while bytesInUse &+ projected > configuration.maxBytes, evictOldest(except: key) {}
        if bytesInUse &+ projected > configuration.maxBytes {
            counters.evicted &+= 1
            return nil
        }

        if start == 0 && !entry.haveHeader {
            entry.header = Array(bytes[packet.networkOffset..<headerEnd])
            entry.haveHeader = true
            entry.nextHeader = info.nextHeader
            entry.nextHeaderField = info.nextHeaderFieldOffset &- packet.networkOffset
        }
        if end > entry.data.count {
            entry.data.reserveCapacity(end)
            entry.data.append(contentsOf: repeatElement(0, count: end &- entry.data.count))
        }
        if copyMissing(reader, from: info.dataOffset, range: start..<end, into: &entry) {
            counters.overlaps &+= 1
        }
        guard entry.received.count <= FragmentReassembler.maximumRanges else {
            counters.invalid &+= 1
            return nil
        }

        if let total = entry.totalLength, entry.haveHeader, entry.received == [0..<total] {
            return finish(entry, total: total)
        }
        // The allocator may round capacities up past the projection: re-check.
        entry.charged = entry.data.capacity &+ entry.header.capacity
        while bytesInUse &+ entry.charged > configuration.maxBytes, evictOldest(except: key) {}
        if bytesInUse &+ entry.charged > configuration.maxBytes {
            counters.evicted &+= 1
            return nil
        }
        bytesInUse &+= entry.charged
        pending[key] = entry
        return nil
    }

    /// Drops incomplete datagrams whose first fragment is `timeout` old.
    public mutating func expire(now: UInt64) {
        let limit = configuration.timeoutNanoseconds
        for (key, entry) in pending where now >= entry.firstSeen && now &- entry.firstSeen >= limit {
            counters.timedOut &+= 1
            drop(key)
        }
    }

    /// Copies the parts of `range` not yet received (first-wins) and merges
    /// the range into the received list. Returns true if anything overlapped.
    private func copyMissing(_ reader: ByteReader, from dataOffset: Int, range: Range<Int>,
                             into entry: inout Pending) -> Bool {
        var overlapped = false
        var cursor = range.lowerBound
        func copy(_ part: Range<Int>) {
            let source = dataOffset &+ (part.lowerBound &- range.lowerBound)
            guard !part.isEmpty, let from = reader.bytes.baseAddress else { return }
            entry.data.withUnsafeMutableBytes { target in
                target.baseAddress?.advanced(by: part.lowerBound)
                    .copyMemory(from: from.advanced(by: source), byteCount: part.count)
            }
        }
        for held in entry.received where held.upperBound > cursor && held.lowerBound < range.upperBound {
            overlapped = true
            copy(cursor..<max(cursor, held.lowerBound))
            cursor = max(cursor, held.upperBound)
        }
        if cursor < range.upperBound { copy(cursor..<range.upperBound) }

        var merged: [Range<Int>] = []
        merged.reserveCapacity(entry.received.count &+ 1)
        var incoming = range
        for held in entry.received {
            if held.upperBound < incoming.lowerBound {
                merged.append(held)
            } else if held.lowerBound > incoming.upperBound {
                merged.append(incoming)
                incoming = held
            } else {
                incoming = min(held.lowerBound, incoming.lowerBound)..<max(held.upperBound, incoming.upperBound)
            }
        }
        merged.append(incoming)
        entry.received = merged
        return overlapped
    }

    /// Builds the datagram from the first fragment's header and the data.
    private mutating func finish(_ entry: Pending, total: Int) -> [UInt8]? {
        var datagram = entry.header
        let length = datagram.count &+ total
        if entry.isIPv6 {
            let payload = length &- 40
            guard datagram.count >= 40, payload <= FragmentReassembler.maximumPayload,
                  entry.nextHeaderField >= 0, entry.nextHeaderField < datagram.count
            else { counters.oversize &+= 1; return nil }
            datagram[4] = UInt8(truncatingIfNeeded: payload >> 8)
            datagram[5] = UInt8(truncatingIfNeeded: payload)
            datagram[entry.nextHeaderField] = entry.nextHeader
        } else {
            guard datagram.count >= 20, length <= FragmentReassembler.maximumPayload
            else { counters.oversize &+= 1; return nil }
            datagram[2] = UInt8(truncatingIfNeeded: length >> 8)
            datagram[3] = UInt8(truncatingIfNeeded: length)
            datagram[6] &= 0x40  // keep DF, clear MF and the offset
            datagram[7] = 0
            datagram[10] = 0
            datagram[11] = 0
            let sum = datagram.withUnsafeBytes { ByteReader($0).onesComplementSum(0, datagram.count) }
            datagram[10] = UInt8(truncatingIfNeeded: ~sum >> 8)
            datagram[11] = UInt8(truncatingIfNeeded: ~sum)
        }
        datagram.append(contentsOf: entry.data[0..<total])
        counters.reassembled &+= 1
        return datagram
    }

    private mutating func drop(_ key: Key) {
        if let entry = pending.removeValue(forKey: key) {
            bytesInUse &-= entry.charged
        }
    }

    /// Evicts the datagram that started first (other than `keep`). Returns
    /// false when there is nothing left to evict.
    private mutating func evictOldest(except keep: Key?) -> Bool {
        var victim: Key?
        var victimSequence = UInt64.max
        for (key, entry) in pending where key != keep && entry.sequence <= victimSequence {
            victim = key
            victimSequence = entry.sequence
        }
        guard let victim else { return false }
        counters.evicted &+= 1
        drop(victim)
        return true
    }
}
