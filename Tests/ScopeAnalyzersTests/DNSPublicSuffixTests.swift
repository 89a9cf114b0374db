import Foundation
import Testing
@testable import ScopeAnalyzers
import ScopeDecode

/// The Public Suffix List algorithm on a small list with every rule kind,
/// the real list when the `publicsuffix` package is installed, and the DNS
/// event fields it feeds.
struct DNSPublicSuffixTests {
    static let list = PublicSuffixList(parsing: """
        // A comment, then rules with trailing text and CRLF endings.
        uk
        co.uk extra text is ignored\r
        com
        appspot.com
        jp
        *.kawasaki.jp
        !city.kawasaki.jp
        *.ck
        !www.ck
        UPPER.Example

        // Malformed: empty labels and a "*" that is not leftmost are ignored.
        a..b
        foo.*.bar
        .lead
        // Internationalised rules are written in Unicode.
        cn
        公司.cn
        рф
        """)

    func parts(_ name: String, _ list: PublicSuffixList? = Self.list) -> [String?]? {
        list?.split(name).map { [$0.registeredDomain, $0.topLevelDomain, $0.subdomain] }
    }

    @Test func everyRuleKindAndTheDefaultRule() throws {
        let list = try #require(Self.list)
        #expect(list.ruleCount == 13)
        // Normal rules, longest match.
        #expect(parts("www.example.co.uk") == ["example.co.uk", "co.uk", "www"])
        #expect(parts("example.uk") == ["example.uk", "uk", nil])
        #expect(parts("a.b.myapp.appspot.com") == ["myapp.appspot.com", "appspot.com", "a.b"])
        #expect(parts("example.com") == ["example.com", "com", nil])
        // Wildcards cover one more label; exceptions take one back.
        #expect(parts("www.shop.example.ck") == ["shop.example.ck", "example.ck", "www"])
        #expect(parts("www.ck") == ["www.ck", "ck", nil])
        #expect(parts("a.www.ck") == ["www.ck", "ck", "a"])
        #expect(parts("x.y.kawasaki.jp") == ["x.y.kawasaki.jp", "y.kawasaki.jp", nil])
        #expect(parts("www.city.kawasaki.jp") == ["city.kawasaki.jp", "kawasaki.jp", "www"])
        #expect(parts("kawasaki.jp") == ["kawasaki.jp", "jp", nil])  // "*.kawasaki.jp" needs a label before it
        // The default rule "*": an unlisted TLD is a suffix of one label.
        #expect(parts("host.demo.test") == ["demo.test", "test", "host"])
        #expect(parts("localhost") == [nil, "localhost", nil])
        // A name that is itself a suffix has no registered domain.
        #expect(parts("co.uk") == [nil, "co.uk", nil])
        #expect(parts("shop.ck") == [nil, "shop.ck", nil])
    }

    @Test func caseInsensitiveAndLowercased() {
        #expect(parts("WWW.Example.CO.UK") == ["example.co.uk", "co.uk", "www"])
        #expect(parts("a.upper.example") == ["a.upper.example", "upper.example", nil])
    }

    @Test func punycodeNamesMatchInternationalisedRules() {
        #expect(Punycode.asciiLabel("公司") == "xn--55qx5d")
        #expect(Punycode.asciiLabel("рф") == "xn--p1ai")
        #expect(Punycode.asciiLabel("bücher") == "xn--bcher-kva")
        #expect(Punycode.asciiLabel("plain") == "plain")
        #expect(parts("www.shop.xn--55qx5d.cn") == ["shop.xn--55qx5d.cn", "xn--55qx5d.cn", "www"])
        #expect(parts("XN--P1AI") == [nil, "xn--p1ai", nil])
    }

    @Test func oddNamesAreLeftAlone() {
        for name in ["", ".", "a\\.b.com", "x\\000.com", "a..com", ".com", "com."] {
            #expect(parts(name) == nil, "\(name)")
        }
    }

    /// ASCII names are cut on their bytes (`cut(lowered:)`), others by
    /// Character: both must agree wherever both apply, and the JSON fields
    /// written from the bytes must say what `split` says (500 generated names).
    @Test func byteCutAgreesWithCharacterCut() throws {
        var names = ["", ".", "a\\.b.com", "a..com", ".com", "com.", "ck", "CK", "a.ck", "www.ck", "a.www.ck",
                     "kawasaki.jp", "x.kawasaki.jp", "city.kawasaki.jp", "a.city.kawasaki.jp", "UPPER.example",
                     "b.upper.example", "xn--55qx5d.cn", "a.xn--55qx5d.cn", "co.uk", "a.co.uk", "b.a.co.uk", "\"quoted\".com"]
        let labels = ["a", "ck", "www", "city", "kawasaki", "jp", "co", "uk", "com", "appspot", "Upper", "example", "x"]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<500 {
            var parts: [String] = []
            for _ in 0...(Int(seed % 5)) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                parts.append(labels[Int(seed >> 33) % labels.count])
            }
            names.append(parts.joined(separator: "."))
        }
        var lists = [try #require(Self.list)]
        if let system = PublicSuffixList.system { lists.append(system) }
        for list in lists {
            for name in names {
                let byBytes = list.split(name), byCharacter = list.splitByCharacter(name)
                #expect(byBytes == byCharacter, "\(name)")
                var json = JSONWriter()
                json.beginObject()
                json.write(reserving: 64) { list.appendParts(of: name, to: &$0) }
                json.endObject()
                var expected = JSONWriter()
                expected.beginObject()
                if let parts = byCharacter {
                    if let registered = parts.registeredDomain { expected.field("registered_domain", registered) }
                    expected.field("top_level_domain", parts.topLevelDomain)
                    if let subdomain = parts.subdomain { expected.field("subdomain", subdomain) }
                }
                expected.endObject()
                #expect(json.output == expected.output, "\(name)")
            }
        }
    }

    @Test func limitsAndMissingFiles() {
        let many = (0..<50).map { "r\($0).test" }.joined(separator: "\n")
        #expect(PublicSuffixList(parsing: many, maxNodes: 40) == nil)
        #expect(PublicSuffixList(parsing: many, maxNodes: 52)?.ruleCount == 50)
        #expect(PublicSuffixList(contentsOf: "/nonexistent/public_suffix_list.dat") == nil)
        #expect(PublicSuffixList(contentsOf: "/") == nil)  // a directory: read fails
        // A file past the size bound is refused rather than half read.
        let path = NSTemporaryDirectory() + "psl-\(getpid()).dat"
        _ = FileManager.default.createFile(atPath: path, contents: Data(count: PublicSuffixList.maxFileBytes + 1))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(PublicSuffixList(contentsOf: path) == nil)
    }

    @Test(.enabled(if: access(PublicSuffixList.defaultPath, R_OK) == 0, "publicsuffix is not installed"))
    func theRealList() throws {
        let system = try #require(PublicSuffixList.system)
        #expect(system.ruleCount > 5_000)
        #expect(parts("www.example.co.uk", system) == ["example.co.uk", "co.uk", "www"])
        #expect(parts("Mail.Example.COM", system) == ["example.com", "com", "mail"])
        #expect(parts("www.city.kawasaki.jp", system) == ["city.kawasaki.jp", "kawasaki.jp", "www"])
        #expect(parts("x.y.kawasaki.jp", system) == ["x.y.kawasaki.jp", "y.kawasaki.jp", nil])
        #expect(parts("project.github.io", system) == ["project.github.io", "github.io", nil])
        #expect(parts("a.b.xn--55qx5d.cn", system) == ["b.xn--55qx5d.cn", "xn--55qx5d.cn", "a"])
    }

    @Test func dnsEventCarriesTheQuestionsDomainParts() throws {
        let query = try DNSBuild.query(id: 7, "www.Shop.Example.CK", type: 1).withUnsafeBytes { try DNSParser.parse($0).get() }
        func fields(_ list: PublicSuffixList?) throws -> [String: Any] {
            var json = JSONWriter()
            json.beginObject()
            DNSTransaction(request: query, response: nil).appendFields(to: &json, suffixes: list)
            json.endObject()
            let object = try JSONSerialization.jsonObject(with: Data(json.output)) as? [String: Any]
            return try #require((object?["dns"] as? [String: Any])?["question"] as? [String: Any])
        }
        let question = try fields(Self.list)
        #expect(question["name"] as? String == "www.Shop.Example.CK")
        #expect(question["registered_domain"] as? String == "shop.example.ck")
        #expect(question["top_level_domain"] as? String == "example.ck")
        #expect(question["subdomain"] as? String == "www")
        // No list (the file is missing): the fields are left out, nothing fails.
        let bare = try fields(nil)
        #expect(bare["name"] as? String == "www.Shop.Example.CK" && bare.count == 3)
    }
}
