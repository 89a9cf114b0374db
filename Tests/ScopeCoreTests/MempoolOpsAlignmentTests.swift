import Testing
@testable import ScopeCore

@Suite struct MempoolOpsAlignmentTests {
    // What Debian's dpdk-testpmd and a plain secondary really registered.
    let testpmd = ["dpaa", "octeontx_fpavf", "dpaa2", "ring_mp_mc", "ring_sp_sc", "ring_mp_sc"]
    let secondary = ["octeontx_fpavf", "dpaa2", "ring_mp_mc", "ring_sp_sc", "ring_mp_sc", "dpaa"]

    @Test func reordersOwnTableToPrimaryOrder() throws {
        let plan = try MempoolOpsAlignment(primary: testpmd, own: secondary, capacity: 16)
        #expect(plan.resultingNames(own: secondary) == testpmd)
        #expect(plan.slots.first == .own(5))
        #expect(!plan.isIdentity)
        #expect(plan.missingLocally.isEmpty && plan.extraLocally.isEmpty)
    }

    @Test func identicalTablesNeedNoChange() throws {
        let plan = try MempoolOpsAlignment(primary: testpmd, own: testpmd, capacity: 16)
        #expect(plan.isIdentity)
    }

    @Test func opsOnlyThePrimaryHasBecomePlaceholders() throws {
        let plan = try MempoolOpsAlignment(primary: ["dpaa", "ring_mp_mc"], own: ["ring_mp_mc", "stack"], capacity: 16)
        #expect(plan.slots == [.placeholder("dpaa"), .own(0), .own(1)])
        #expect(plan.missingLocally == ["dpaa"])
        #expect(plan.extraLocally == ["stack"])
        #expect(plan.resultingNames(own: ["ring_mp_mc", "stack"]) == ["dpaa", "ring_mp_mc", "stack"])
    }

    @Test func refusesWhenTheUnionDoesNotFit() {
        #expect(throws: ScopeError.self) {
            try MempoolOpsAlignment(primary: ["a", "b"], own: ["c", "d"], capacity: 3)
        }
    }

    @Test func parsesATableImage() {
        let layout = MempoolOpsTableLayout(tableSize: 4 + 4 + 3 * 64, numOpsOffset: 4, opsOffset: 8, opsStride: 64, nameSize: 32, maxOps: 3)
        var image = [UInt8](repeating: 0, count: layout.tableSize)
        image[4] = 2
        image.replaceSubrange(8..<12, with: Array("dpaa".utf8))
        image.replaceSubrange(72..<82, with: Array("ring_mp_mc".utf8))
        #expect(layout.names(fromTableImage: image) == ["dpaa", "ring_mp_mc"])

        var garbage = image
        garbage[4] = 9 // more ops than the table holds
        #expect(layout.names(fromTableImage: garbage) == nil)
        var unprintable = image
        unprintable[9] = 0x01
        #expect(layout.names(fromTableImage: unprintable) == nil)
        var empty = image
        empty[8] = 0
        #expect(layout.names(fromTableImage: empty) == nil)
    }
}
