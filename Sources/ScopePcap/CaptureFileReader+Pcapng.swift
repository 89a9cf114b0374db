/// pcapng: blocks of (type, length, body, length), byte order per section.
extension CaptureFileReader {
    // Bounds on what a hostile file can make us keep: at most 4096
    // interfaces and 64 comments per section, strings cut at 1 KiB (comments
    // at 64 KiB, their natural maximum), so metadata stays under ~12 MB.
    static let maximumInterfacesPerSection = 4096
    static let maximumCommentsPerSection = 64
    static let maximumNameLength = 1024

    func nextPcapngPacket() throws -> CapturedPacket? {
        while true {
            guard try source.fill(8) else { return endOfInput() }
            let at = source.offset
            let type = OrderedBytes(base: source.pointer, count: 8, bigEndian: bigEndian).u32(0)
            if type == PcapngBlockType.sectionHeader {
                // The section's byte order is only known from its magic.
                guard try source.fill(12) else { return endOfInput() }
                let magic = source.pointer.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                if UInt32(littleEndian: magic) == PcapngBlockType.byteOrderMagic {
                    bigEndian = false
                } else if UInt32(bigEndian: magic) == PcapngBlockType.byteOrderMagic {
                    bigEndian = true
                } else {
                    throw corrupt("section header with unknown byte-order magic", at: at)
                }
            } else if sectionCount == 0 {
                throw corrupt("pcapng file does not start with a section header", at: at)
            }
            let length = Int(OrderedBytes(base: source.pointer, count: 8, bigEndian: bigEndian).u32(4))
            guard length >= 12, length & 3 == 0 else { throw corrupt("invalid block length \(length)", at: at) }
            guard length <= maximumBlockLength else {
                throw corrupt("block length \(length) exceeds the \(maximumBlockLength)-byte limit", at: at)
            }
            guard try source.fill(length) else { return endOfInput() }
            let block = OrderedBytes(base: source.pointer, count: length, bigEndian: bigEndian)
            guard block.u32(length - 4) == UInt32(length) else {
                throw corrupt("trailing block length \(block.u32(length - 4)) differs from \(length)", at: at)
            }
            source.consume(length)  // the bytes stay valid until the next fill
            switch type {
            case PcapngBlockType.sectionHeader: try readSectionHeader(block, at: at)
            case PcapngBlockType.interfaceDescription: try readInterface(block, at: at)
            case PcapngBlockType.interfaceStatistics: try readStatistics(block, at: at)
            case PcapngBlockType.enhancedPacket: return try enhancedPacket(block, at: at)
            case PcapngBlockType.packet: return try obsoletePacket(block, at: at)
            case PcapngBlockType.simplePacket: return try simplePacket(block, at: at)
            default: continue  // NRB, DSB, custom blocks...: not needed for packets
            }
        }
    }

    private func readSectionHeader(_ block: OrderedBytes, at: UInt64) throws {
        guard block.count >= 28 else { throw corrupt("section header too short", at: at) }
        guard block.u16(12) == 1 else { throw corrupt("unsupported pcapng major version \(block.u16(12))", at: at) }
        var shb = SectionHeaderBlock()
        let valid = block.forEachOption(from: 24) { code, value, length in
            switch code {
            case PcapngOption.comment where shb.comments.count < Self.maximumCommentsPerSection:
                shb.comments.append(block.string(value, length))
            case PcapngOption.shbHardware: shb.hardware = block.string(value, min(length, Self.maximumNameLength))
            case PcapngOption.shbOS: shb.os = block.string(value, min(length, Self.maximumNameLength))
            case PcapngOption.shbUserApplication:
                shb.userApplication = block.string(value, min(length, Self.maximumNameLength))
            default: break
            }
        }
        guard valid else { throw corrupt("malformed section header options", at: at) }
        section = shb
        interfaces = []
        sectionCount += 1
    }

    private func readInterface(_ block: OrderedBytes, at: UInt64) throws {
        guard block.count >= 20 else { throw corrupt("interface description too short", at: at) }
        guard interfaces.count < Self.maximumInterfacesPerSection else { throw corrupt("too many interfaces", at: at) }
        var interface = CaptureInterface(linkType: block.u16(8), snapLength: block.u32(12), resolution: .microseconds)
        var badResolution = false
        let valid = block.forEachOption(from: 16) { code, value, length in
            switch code {
            case PcapngOption.ifName: interface.name = block.string(value, min(length, Self.maximumNameLength))
            case PcapngOption.ifDescription:
                interface.description = block.string(value, min(length, Self.maximumNameLength))
            case PcapngOption.ifTimestampResolution where length >= 1:
                if let resolution = TimestampResolution(tsresol: block.bytes(value, 1)[0]) {
                    interface.resolution = resolution
                } else {
                    badResolution = true
                }
            case PcapngOption.ifTimestampOffset where length >= 8:
                interface.timestampOffsetSeconds = Int64(bitPattern: block.u64(value))
            default: break
            }
        }
        guard valid else { throw corrupt("malformed interface description options", at: at) }
        guard !badResolution else { throw corrupt("unsupported timestamp resolution", at: at) }
        interfaces.append(interface)
    }

    private func readStatistics(_ block: OrderedBytes, at: UInt64) throws {
        guard block.count >= 24 else { throw corrupt("interface statistics block too short", at: at) }
        let index = Int(block.u32(8))
        guard index < interfaces.count else { throw corrupt("statistics for undeclared interface \(index)", at: at) }
        let interface = interfaces[index]
        var counters = InterfaceStatistics()
        let valid = block.forEachOption(from: 20) { code, value, length in
            if (code == PcapngOption.isbStartTime || code == PcapngOption.isbEndTime) && length >= 8 {
                let time = interface.nanoseconds(block.timestamp(value))
                if code == PcapngOption.isbStartTime { counters.startTime = time } else { counters.endTime = time }
                return
            }
            guard length >= 8 else { return }
            switch code {
            case PcapngOption.isbIfRecv: counters.received = block.u64(value)
            case PcapngOption.isbIfDrop: counters.dropped = block.u64(value)
            case PcapngOption.isbFilterAccept: counters.filterAccepted = block.u64(value)
            case PcapngOption.isbOSDrop: counters.osDropped = block.u64(value)
            case PcapngOption.isbUserDelivered: counters.userDelivered = block.u64(value)
            default: break
            }
        }
        guard valid else { throw corrupt("malformed interface statistics options", at: at) }
        interfaces[index].statistics = counters
        interfaces[index].statisticsTimestamp = interface.nanoseconds(block.timestamp(12))
    }

    /// EPB (interface id 32 bits) and obsolete PB (16-bit id, 16-bit drops)
    /// share the layout from offset 12 on.
    private func enhancedPacket(_ block: OrderedBytes, at: UInt64, obsolete: Bool = false) throws -> CapturedPacket {
        guard block.count >= 32 else { throw corrupt("packet block too short", at: at) }
        let index = obsolete ? Int(block.u16(8)) : Int(block.u32(8))
        guard index < interfaces.count else { throw corrupt("packet for undeclared interface \(index)", at: at) }
        let captured = Int(block.u32(20))
        guard captured <= block.count - 32 else { throw corrupt("captured length \(captured) overruns its block", at: at) }
        var direction: PacketDirection?, queue: UInt32?
        let valid = block.forEachOption(from: 28 + alignedTo4(captured)) { code, value, length in
            guard length >= 4 else { return }
            if code == PcapngOption.epbFlags {
                direction = PacketDirection(flags: block.u32(value))
            } else if code == PcapngOption.epbQueue && !obsolete {
                queue = block.u32(value)
            }
        }
        guard valid else { throw corrupt("malformed packet options", at: at) }
        // Element access in place: copying the interface would retain its strings.
        return CapturedPacket(
            timestamp: interfaces[index].nanoseconds(block.timestamp(12)), interfaceIndex: index,
            linkType: interfaces[index].linkType, capturedLength: captured, originalLength: block.u32(24),
            direction: direction, queue: queue, bytes: block.bytes(28, captured))
    }

    private func obsoletePacket(_ block: OrderedBytes, at: UInt64) throws -> CapturedPacket {
        try enhancedPacket(block, at: at, obsolete: true)
    }

    /// SPB: no timestamp, no interface id (always 0), captured length implied
    /// by the block and the interface's snap length.
    private func simplePacket(_ block: OrderedBytes, at: UInt64) throws -> CapturedPacket {
        guard block.count >= 16 else { throw corrupt("simple packet block too short", at: at) }
        guard let interface = interfaces.first else { throw corrupt("simple packet block before any interface", at: at) }
        let original = block.u32(8)
        var captured = min(Int(original), block.count - 16)
        if interface.snapLength > 0 { captured = min(captured, Int(interface.snapLength)) }
        return CapturedPacket(
            timestamp: 0, interfaceIndex: 0, linkType: interface.linkType, capturedLength: captured,
            originalLength: original, direction: nil, queue: nil, bytes: block.bytes(12, captured))
    }
}
