import Testing
@testable import ScopeConfig

@Suite("Value syntax")
struct UnitsTests {
    @Test("durations", arguments: [
        ("10s", Duration.seconds(10)), ("500ms", .milliseconds(500)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("30", .seconds(30)), ("0", .zero), ("250us", .microseconds(250)), ("7ns", .nanoseconds(7)), (" 5 s ", .seconds(5)),
    ])
    func durations(text: String, expected: Duration) {
        #expect(Units.duration(text) == expected)
    }

    @Test("not durations", arguments: ["", "s", "1.5s", "-1s", "10 parsecs", "1h30m", "9223372036854775807h", "10S"])
    func notDurations(text: String) {
        #expect(Units.duration(text) == nil)
    }

    @Test("sizes: binary and decimal units", arguments: [
        ("4096", 4096), ("512KiB", 524_288), ("10MiB", 10_485_760), ("1GiB", 1 << 30), ("2TiB", 2 << 40),
        ("10MB", 10_000_000), ("1kb", 1000), ("3KB", 3000), ("1GB", 1_000_000_000), ("100B", 100), ("64 kib", 65_536),
    ])
    func sizes(text: String, expected: Int) {
        #expect(Units.bytes(text) == expected)
    }

    @Test("not sizes", arguments: ["", "MiB", "1.5MiB", "-1", "10XB", "10M", "99999999999999999TiB", "1 0"])
    func notSizes(text: String) {
        #expect(Units.bytes(text) == nil)
    }

    @Test("formatting picks the largest exact unit")
    func formatting() {
        #expect(Units.format(.seconds(3600)) == "1h")
        #expect(Units.format(.milliseconds(1500)) == "1500ms")
        #expect(Units.format(.zero) == "0s")
        #expect(Units.format(bytes: 16 << 20) == "16MiB")
        #expect(Units.format(bytes: 1000) == "1000")
        #expect(Units.format(fileMode: 0o640) == "0640")
    }

    @Test("file modes")
    func fileModes() {
        #expect(Units.fileMode("0600") == 0o600)
        #expect(Units.fileMode("640") == 0o640)
        #expect(Units.fileMode("0800") == nil)
        #expect(Units.fileMode("06000") == nil)
        #expect(Units.fileMode("rw") == nil)
    }

    @Test("key suggestions")
    func suggestions() {
        let keys = ["stdout", "file", "dumpfile", "metrics"]
        #expect(KeySuggestion.closest(to: "metrcs", among: keys) == "metrics")
        #expect(KeySuggestion.closest(to: "Dump-File", among: keys) == "dumpfile")
        #expect(KeySuggestion.closest(to: "prometheus", among: keys) == nil)
        #expect(KeySuggestion.closest(to: "fil", among: keys) == "file")
        #expect(KeySuggestion.editDistance(Array("kitten"), Array("sitting")) == 3)
    }
}
