import Testing
@testable import ScopeAnalyzers
import ScopeDecode

/// `TransactionEvent.line`, the human output of `read` and `watch`: fixed
/// columns, rendered straight into bytes.
struct EventLineTests {
    static func event(client: String, server: String, duration: UInt64, query: String?,
                      notes: [String] = [], status: TransactionStatus = .ok) -> TransactionEvent {
        var detail = PgSQLTransaction(query: query, method: nil, hasRequest: true, hasResponse: true, extended: false)
        detail.commandTag = "SELECT 1"
        let start: UInt64 = 1_700_000_000_123_456_789
        return TransactionEvent(
            application: .pgsql,
            endpoints: TransactionEndpoints(client: IPAddress(client)!, clientPort: 40000, server: IPAddress(server)!,
                                            serverPort: 5432, transport: .tcp),
            start: start, end: start + duration, requestBytes: 10, responseBytes: 20, status: status, notes: notes,
            details: detail)
    }

    /// The client column is 21 wide: "10.0.0.1:40000" and 7 spaces.
    @Test func ipv4ColumnsAndMilliseconds() {
        let line = Self.event(client: "10.0.0.1", server: "10.0.0.2", duration: 1_234_567, query: "SELECT 1").line
        #expect(line == "2023-11-14T22:13:20.123456789Z pgsql 10.0.0.1:40000        -> 10.0.0.2:5432 tcp OK    1.234ms    SELECT 1 -> SELECT 1")
    }

    @Test func ipv6InBracketsAndNotes() {
        let line = Self.event(client: "2001:db8::1", server: "2001:db8::2", duration: 5_000, query: "SELECT 1",
                              notes: ["a", "b"], status: .error).line
        #expect(line == "2023-11-14T22:13:20.123456789Z pgsql [2001:db8::1]:40000   -> [2001:db8::2]:5432 tcp Error 0.005ms    SELECT 1 -> SELECT 1 [a; b]")
    }

    @Test func longDurationsAreNotPadded() {
        let line = Self.event(client: "10.0.0.1", server: "10.0.0.2", duration: 98_765_432_100, query: "SELECT 1").line
        #expect(line.contains(" OK    98765.432ms SELECT 1"))
    }

    @Test func queriesOnOneLineOfAtMost80Characters() {
        #expect(PgSQLTransaction.oneLine("SELECT 1") == "SELECT 1")
        #expect(PgSQLTransaction.oneLine("SELECT\n1\tFROM\r\nt") == "SELECT 1 FROM t")
        #expect(PgSQLTransaction.oneLine("SELECT 'é'\u{2028}") == "SELECT 'é' ")
        let long = "SELECT " + String(repeating: "x", count: 100)
        #expect(PgSQLTransaction.oneLine(long) == String(long.prefix(77)) + "...")
        let exactly80 = String(repeating: "y", count: 80)
        #expect(PgSQLTransaction.oneLine(exactly80) == exactly80)
        let accents = String(repeating: "é", count: 80)
        #expect(PgSQLTransaction.oneLine(accents) == accents)
    }

    /// The JSON shares its repeated parts by copying; a TCP session's cached
    /// community ID text is the same as the one hashed per event, and
    /// endpoints changed after caching are hashed afresh.
    @Test func sharedJSONWithAndWithoutACachedCommunityID() {
        var event = Self.event(client: "2001:db8::1", server: "10.0.0.2", duration: 1_500_000_000, query: "SELECT 1",
                               notes: ["a \"b\""], status: .error)
        event.endpoints.vlanID = 7
        let hashed = event.json
        let communityID = CommunityID.string(event.endpoints.communityID)
        #expect(hashed.hasPrefix(#"{"@timestamp":"2023-11-14T22:13:20.123456789Z","type":"pgsql","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"pgsql","start":"2023-11-14T22:13:20.123456789Z","end":"2023-11-14T22:13:21.623456789Z","duration":1500000000},"status":"Error","error":{"message":"a \"b\""},"source":{"ip":"2001:db8::1","port":40000,"bytes":10},"destination":{"ip":"10.0.0.2","port":5432,"bytes":20},"client":{"ip":"2001:db8::1","port":40000,"bytes":10},"server":{"ip":"10.0.0.2","port":5432,"bytes":20},"network":{"transport":"tcp","type":"ipv6","protocol":"pgsql","community_id":""#
            + communityID + #"","bytes":30,"vlan":{"id":"7"}},"#))
        event.endpoints.cacheCommunityID()
        #expect(event.json == hashed)
        event.endpoints.serverPort = 5433
        let moved = CommunityID.string(event.endpoints.communityID)
        #expect(moved != communityID && event.json.contains(#""community_id":""# + moved + #"""#))
    }
}
