import ScopeCore
import ScopePcap
import Testing

@Suite("Skipped link types: the end-of-read verdict")
struct SkippedLinkTypesTests {
    @Test func nothingSkippedSaysNothing() throws {
        #expect(try SkippedLinkTypes().verdict(packets: 0) == nil)
        #expect(try SkippedLinkTypes().verdict(packets: 10) == nil)
    }

    @Test func someSkippedIsOneWarningLine() throws {
        var skipped = SkippedLinkTypes()
        for _ in 0..<3 { skipped.record(105) }
        #expect(try skipped.verdict(packets: 10) == "warning: skipped 3 packets with unsupported link type 105 (IEEE802_11)")
        skipped.record(4000)
        skipped.record(105)
        #expect(skipped.total == 5)
        let line = try skipped.verdict(packets: 10)
        #expect(line == "warning: skipped 5 packets with unsupported link types 105 (IEEE802_11): 4, 4000: 1")
        #expect(line?.contains("\n") == false)
    }

    /// Nothing decodable at all: an error (exit 1), not an empty success.
    @Test func everythingSkippedIsAnError() {
        var skipped = SkippedLinkTypes()
        for _ in 0..<7 { skipped.record(127) }
        do {
            _ = try skipped.verdict(packets: 7)
            Issue.record("no error")
        } catch let error as ScopeError {
            #expect(error.status == .failure)
            #expect(error.message == "no packet could be decoded: all 7 have unsupported link type 127 (IEEE802_11_RADIOTAP)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func names() {
        #expect(LinkTypeNames.describe(276) == "276 (LINUX_SLL2)")
        #expect(LinkTypeNames.describe(150) == "150 (USER3)")
        #expect(LinkTypeNames.describe(9999) == "9999")
        #expect(LinkTypeNames.dlt(101) == 12 && LinkTypeNames.dlt(113) == 113)
    }
}
