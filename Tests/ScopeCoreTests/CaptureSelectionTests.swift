import Testing
@testable import ScopeCore

@Suite struct CaptureSelectionTests {
    func port(_ id: UInt16, _ name: String, rxq: UInt16 = 2, txq: UInt16 = 2) -> PortInfo {
        PortInfo(id: id, name: name, driver: "net_null", mac: "", linkUp: true, speedMbps: nil, fullDuplex: true,
                 rxQueues: rxq, txQueues: txq, mtu: 1500, promiscuous: nil, socket: 0)
    }

    @Test func interfaceSpecsWithQueues() throws {
        #expect(try InterfaceSpec(parsing: "0") == InterfaceSpec(port: "0"))
        #expect(try InterfaceSpec(parsing: "net_tap0:1") == InterfaceSpec(port: "net_tap0", queues: .one(1)))
        #expect(try InterfaceSpec(parsing: "1:*") == InterfaceSpec(port: "1", queues: .all))
        // PCI names contain colons; only a trailing ":digits" is a queue.
        #expect(try InterfaceSpec(parsing: "0000:01:00.0") == InterfaceSpec(port: "0000:01:00.0"))
        #expect(try InterfaceSpec(parsing: "0000:01:00.0:3") == InterfaceSpec(port: "0000:01:00.0", queues: .one(3)))
        #expect(throws: ScopeError.self) { try InterfaceSpec(parsing: "0:70000") }
        #expect(throws: ScopeError.self) { try InterfaceSpec(parsing: "") }
    }

    @Test func tuplesExpandQueuesAndDirectionsWithoutDuplicates() throws {
        let ports = [port(0, "net_null0"), port(1, "net_null1", rxq: 1, txq: 1)]
        let specs = [try InterfaceSpec(parsing: "net_null0:1"), try InterfaceSpec(parsing: "1"), try InterfaceSpec(parsing: "0:1")]
        let tuples = try CaptureSelection.tuples(for: specs, among: ports, directions: [.rx, .tx])
        #expect(tuples.map(\.description) == [
            "port net_null0 queue 1 rx", "port net_null0 queue 1 tx", "port net_null1 queue 0 rx", "port net_null1 queue 0 tx",
        ])
        #expect(CaptureSelection.ports(of: tuples) == [0, 1])
        let all = try CaptureSelection.tuples(for: [], among: ports, directions: [.rx])
        #expect(all.count == 3)
        let error = #expect(throws: ScopeError.self) {
            try CaptureSelection.tuples(for: [InterfaceSpec(port: "1", queues: .one(4))], among: ports, directions: [.tx])
        }
        #expect(error?.message == "port net_null1 has 1 tx queue(s); queue 4 does not exist")
    }

    @Test func snaplenRangeHasNoWrapAround() throws {
        #expect(try Snaplen.validate(65_535) == 65_535)
        #expect(try Snaplen.validate(65_536) == 65_536)
        #expect(try Snaplen.validate(262_144) == 262_144)
        #expect(throws: ScopeError.self) { try Snaplen.validate(262_145) }
        #expect(throws: ScopeError.self) { try Snaplen.validate(0) }
    }

    @Test func autostopConditionsCombine() throws {
        let conditions = try AutostopConditions(parsing: ["duration:2.5", "filesize:100", "packets:10", "packets:5"])
        #expect(conditions == AutostopConditions(seconds: 2.5, fileBytes: 100_000, packets: 5))
        for bad in ["duration:0", "filesize:x", "packets", "bytes:3", "duration:-1"] {
            #expect(throws: ScopeError.self) { try AutostopConditions(parsing: [bad]) }
        }
    }
}

@Suite struct PrimaryClockRepairTests {
    // Seen live against Debian's testpmd on a 2.1 GHz host: a packet at
    // 1795290591.736 s was stamped 10579454436.058 s.
    let hz: UInt64 = 2_100_000_000
    let now: UInt64 = 1_795_290_591_736_333_657

    @Test func removesExactlyTwoToTheSixtyFourCycles() throws {
        var repair = try #require(PrimaryClockRepair(tscHz: hz, nowNanoseconds: now))
        #expect(repair.wrapNanoseconds == 8_784_163_844_623_596_007) // 2^64 / 2.1e9 s, in ns
        let real = now - 1_000_000
        #expect(repair.repair(real + repair.wrapNanoseconds) == real)
        #expect(repair.repaired == 1)
        #expect(repair.repair(real) == real) // sane times are left alone
        #expect(repair.repair(now + 60_000_000_000) == now + 60_000_000_000)
        #expect(repair.repaired == 1)
    }

    @Test func repairsAnEnhancedPacketBlockInPlace() throws {
        var repair = try #require(PrimaryClockRepair(tscHz: hz, nowNanoseconds: now))
        var block = [UInt8](repeating: 0, count: 32)
        let stamped = now + repair.wrapNanoseconds
        block.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(truncatingIfNeeded: stamped >> 32), toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: UInt32(truncatingIfNeeded: stamped), toByteOffset: 16, as: UInt32.self)
            repair.repairBlock(at: raw.baseAddress!)
            let high = UInt64(raw.load(fromByteOffset: 12, as: UInt32.self))
            let low = UInt64(raw.load(fromByteOffset: 16, as: UInt32.self))
            #expect(high << 32 | low == now)
        }
    }

    @Test func slowClocksNeedNoRepair() {
        #expect(PrimaryClockRepair(tscHz: 800_000_000, nowNanoseconds: now) == nil)
    }
}
