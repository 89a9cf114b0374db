import Testing
@testable import ScopeAnalyzers
import ScopeDecode

/// The byte-level fast paths against the straightforward String code they
/// replaced (kept here as references): same answers, edge cases included.
struct ByteFastPathTests {
    /// The former `PgSQLCommandTag.rows`: split on spaces, parse the last word.
    static func referenceRows(_ tag: String) -> UInt64? {
        let words = tag.split(separator: " ")
        guard words.count >= 2, let last = words.last, let count = UInt64(last) else { return nil }
        switch words[0] {
        case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "FETCH", "MOVE", "COPY": return count
        default: return nil
        }
    }

    @Test(arguments: [
        "SELECT 3", "INSERT 0 1", "UPDATE 10", "DELETE 0", "MERGE 2", "FETCH 5", "MOVE 1", "COPY 7", "BEGIN",
        "SELECT", "SELECT ", " SELECT 3 ", "SELECT  4", "SELECT +5", "SELECT -0", "SELECT -00", "SELECT -1", "SELECT +",
        "SELECT 18446744073709551615", "SELECT 18446744073709551616", "SELECT 3a", "select 3", "CREATE TABLE",
        "SELECT é", "SÉLECT 1", "SELECT 1\u{301}", "", " ", "INSERT 0 01",
    ])
    func commandTagRows(tag: String) {
        #expect(PgSQLCommandTag.rows(tag) == Self.referenceRows(tag), "\(tag)")
    }

    @Test(arguments: [
        ("select 1", "SELECT"), ("  (SELECT 1)", "SELECT"), ("-- c\nwith x as (select 1) select 2", "WITH"),
        ("/* a /* nested */ */ insert into t values (1)", "INSERT"), ("übersicht", "ÜBERSICHT"), ("$1", nil),
        ("", nil), ("vacuum_analyze now", "VACUUM_ANALYZE"),
    ] as [(String, String?)])
    func statementMethod(statement: String, method: String?) {
        #expect(PgSQLStatements.method(statement) == method)
    }

    @Test func passwordsAreRedactedOnlyWhereTheyAre() {
        #expect(PgSQLStatements.redactingPasswords("ALTER ROLE a PASSWORD 'x'") == "ALTER ROLE a PASSWORD '<redacted>'")
        #expect(PgSQLStatements.redactingPasswords("alter role a password  'it''s'") == "alter role a password  '<redacted>'")
        #expect(PgSQLStatements.redactingPasswords("SELECT 1") == "SELECT 1")
        #expect(PgSQLStatements.redactingPasswords("SELECT mypassword FROM t") == "SELECT mypassword FROM t")
        #expect(PgSQLStatements.redactingPasswords("password") == "password")
    }

    @Test func statementsSplitAndKeepTheirText() {
        #expect(PgSQLStatements.split("SELECT 1") == ["SELECT 1"])
        #expect(PgSQLStatements.split(" BEGIN ;UPDATE t SET a = ';';  COMMIT; ") == ["BEGIN", "UPDATE t SET a = ';'", "COMMIT"])
        #expect(PgSQLStatements.split("-- only a comment\n;  ;") == [])
        #expect(PgSQLStatements.split("SELECT $x$;$x$; SELECT 2") == ["SELECT $x$;$x$", "SELECT 2"])
    }

    @Test(arguments: ["GET", "get", "Get", "sEt", "ÿes", "", "CLIENT", "hello"])
    func redisCommandNamesUppercase(word: String) {
        #expect(RedisCommand.uppercased(word) == word.uppercased())
    }

    @Test func redisQueriesJoinTheirWords() {
        for words in [[], ["PING"], ["SET", "k", "v"], ["SET", "ключ", "", "значение"], Array(repeating: "x", count: 70)] {
            #expect(RedisCommand.joined(words) == words.joined(separator: " "))
        }
    }

    @Test func lineFeedsAreFoundAtEveryOffset() {
        for length in 0..<40 {
            for position in 0...length {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                if position < length { bytes[position] = 0x0A }
                for start in 0...min(length, 9) {
                    let found = bytes.withUnsafeBytes { StreamBuffer.lineFeed(in: $0, from: start) }
                    let expected = bytes[start...].firstIndex(of: 0x0A) ?? length
                    #expect(found == expected, "length \(length) LF at \(position) from \(start)")
                }
            }
        }
    }

    /// Host-header ports read in place against `UInt16(String)`, hostile
    /// text included (signs, overflow, non-digits, invalid UTF-8, empty).
    @Test(arguments: [
        "80", "8080", "0", "00080", "65535", "65536", "99999", "123456", "", "+", "-", "+80", "-0", "-1", "8o",
        " 80", "80 ", "٣", "\u{FF10}", "0x50", "1e3",
    ])
    func hostPortsParseAsTheStringDoes(text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            #expect(HTTPURL.port(raw[...]) == UInt16(text), "\(text)")
        }
    }

    @Test func hostPortsOfInvalidUTF8ParseAsTheRepairedStringDoes() {
        for bytes: [UInt8] in [[0xFF], [0x38, 0xFF], [0x38, 0x30, 0xC0], [0x31, 0x00], [0xE2, 0x82]] {
            bytes.withUnsafeBytes { raw in
                #expect(HTTPURL.port(raw[...]) == UInt16(String(decoding: bytes, as: UTF8.self)), "\(bytes)")
            }
        }
    }

    /// Domain labels cut on bytes against the Character-wise split they
    /// replaced: same labels, same String indices, odd names included.
    @Test(arguments: [
        "www.example.co.uk", "a", "", ".", "..", "a..b", ".a", "a.", "host1.bench.test", "x\r\n.y", "\r\n.\r\n",
        "a.\u{301}b", "é.fr", "a.b\u{301}.c", "\u{FFFD}.x", "xn--bcher-kva.example", "a\u{0}.b", String(repeating: "a.", count: 200),
    ])
    func domainLabelsSplitAsCharactersDo(name: String) {
        let fast = PublicSuffixList.labels(of: name)
        let reference = name.split(separator: ".", omittingEmptySubsequences: false)
        #expect(fast == reference, "\(name)")
        #expect(fast.map(\.startIndex) == reference.map(\.startIndex) && fast.map(\.endIndex) == reference.map(\.endIndex))
    }
}
