import Foundation
import Testing
@testable import ScopeAnalyzers
import ScopeTestSupport

/// pgsql.pcap (PostgreSQL 15 with psql and pgbench, see make-pgsql.sh)
/// against tshark's PostgreSQL dissector, message by message: tshark's JSON
/// keeps each message of a segment apart, which its `-T fields` lists do not.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct PgSQLOracleTests {
    /// One protocol message as tshark dissected it.
    struct Message {
        var stream: Int
        var frontend: Bool
        var type: String
        var fields: [String: Any]
        func text(_ name: String) -> String? { fields[name] as? String }
    }

    static func tsharkMessages() throws -> [Message] {
        let process = try Subprocess(["/usr/bin/tshark", "-r", CaptureOracle.path("pgsql.pcap"), "-Y", "pgsql",
                                      "-T", "json", "--no-duplicate-keys", "-j", "tcp pgsql"],
                                     environment: ["LC_ALL": "C"])
        guard process.wait(timeout: 120) == 0 else { throw OracleError(description: "tshark failed: \(process.stderr)") }
        let packets = try JSONSerialization.jsonObject(with: Data(process.stdout.utf8)) as? [[String: Any]] ?? []
        var messages: [Message] = []
        for packet in packets {
            let layers = (packet["_source"] as? [String: Any])?["layers"] as? [String: Any] ?? [:]
            let stream = Int((layers["tcp"] as? [String: Any])?["tcp.stream"] as? String ?? "") ?? -1
            let pgsql = layers["pgsql"]
            for object in (pgsql as? [[String: Any]]) ?? [pgsql as? [String: Any] ?? [:]] {
                messages.append(Message(stream: stream, frontend: object["pgsql.frontend"] as? String == "1",
                                        type: object["pgsql.type"] as? String ?? "", fields: object))
            }
        }
        return messages
    }

    /// What tshark says one stream asked and got.
    struct StreamView {
        /// Simple-query texts and, per Execute, the text of the Parse its portal was bound to.
        var requests: [String] = []
        /// Per result message: "tag", "ERROR code message", "empty".
        var results: [String] = []
        /// For each SELECT result: DataRows and the field count of the last RowDescription.
        var selects: [(rows: Int, fields: Int)] = []
        var passwords = 0
    }

    static func views(_ messages: [Message]) -> [Int: StreamView] {
        var views: [Int: StreamView] = [:]
        var statements: [Int: [String: String]] = [:], portals: [Int: [String: String]] = [:]
        var rows: [Int: Int] = [:], fields: [Int: Int] = [:]
        for message in messages {
            let stream = message.stream
            var view = views[stream] ?? StreamView()
            switch (message.frontend, message.type) {
            case (true, "Simple query"): view.requests.append(message.text("pgsql.query") ?? "")
            case (true, "Parse"):
                statements[stream, default: [:]][message.text("pgsql.statement") ?? ""] = message.text("pgsql.query")
            case (true, "Bind"):
                portals[stream, default: [:]][message.text("pgsql.portal") ?? ""] =
                    statements[stream]?[message.text("pgsql.statement") ?? ""]
            case (true, "Execute"): view.requests.append(portals[stream]?[message.text("pgsql.portal") ?? ""] ?? "?")
            case (true, "Password message"): view.passwords += 1
            case (false, "Row description"): fields[stream] = Int(message.text("pgsql.field.count") ?? "")
            case (false, "Data row"): rows[stream, default: 0] += 1
            case (false, "Command completion"):
                let tag = message.text("pgsql.tag") ?? ""
                view.results.append(tag)
                if tag.hasPrefix("SELECT") { view.selects.append((rows[stream] ?? 0, fields[stream] ?? 0)) }
                rows[stream] = 0
                fields[stream] = 0
            case (false, "Empty query"): view.results.append("empty")
            case (false, "Error"):
                view.results.append("\(message.text("pgsql.severity") ?? "") \(message.text("pgsql.code") ?? "") \(message.text("pgsql.message") ?? "")")
                rows[stream] = 0
            default: break
            }
            views[stream] = view
        }
        return views
    }

    /// Our events of one client port, oldest first.
    static func ours(_ events: [TransactionEvent]) -> [UInt16: [(event: TransactionEvent, pgsql: PgSQLTransaction)]] {
        var byPort: [UInt16: [(event: TransactionEvent, pgsql: PgSQLTransaction)]] = [:]
        for event in events {
            guard let pgsql = event.details as? PgSQLTransaction else { continue }
            byPort[event.endpoints.clientPort, default: []].append((event, pgsql))
        }
        return byPort
    }

    @Test func resultsAndQueriesEqualTshark() throws {
        let analysis = try CaptureOracle.analyze("pgsql.pcap")
        let views = Self.views(try Self.tsharkMessages())
        let streams = try CaptureOracle.tshark("pgsql.pcap", ["-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                                              "-e", "tcp.stream", "-e", "tcp.srcport"])
        let ours = Self.ours(analysis.events)
        // One connection (pgbench's first, before the pipeline run) only starts up and terminates.
        #expect(streams.count == 12 && ours.count == 11)
        #expect(views.values.filter { $0.results.isEmpty && $0.requests.isEmpty }.count == 1)
        var skippedStatements = 0, unexecuted = 0, passwordsOnWire = 0
        for row in streams {
            guard let stream = Int(row[0]), let port = UInt16(row[1]), let view = views[stream] else {
                Issue.record("stream \(row) unknown to tshark")
                continue
            }
            let events = ours[port] ?? []
            passwordsOnWire += view.passwords
            // Every result message tshark saw is one of our transactions, in order, with the same tag or error.
            let ourResults = events.filter { $0.pgsql.hasResponse }.map { pair -> String in
                if let error = pair.pgsql.error { return "\(error.severity ?? "") \(error.code ?? "") \(error.message ?? "")" }
                return pair.pgsql.commandTag ?? "empty"
            }
            #expect(ourResults == view.results, "stream \(stream)")
            // Rows and fields of every SELECT equal the DataRows and RowDescription tshark saw.
            let ourSelects = events.filter { $0.pgsql.commandTag?.hasPrefix("SELECT") == true }
            #expect(ourSelects.map { Int($0.pgsql.numRows) } == view.selects.map(\.rows), "stream \(stream)")
            #expect(ourSelects.map { Int($0.pgsql.numFields) } == view.selects.map(\.fields), "stream \(stream)")
            // Requests: one simple Query gives one transaction per statement (grouped back here by
            // their shared start); one Execute gives one transaction.
            var ourRequests: [String] = []
            var lastStart: UInt64?
            for (event, pgsql) in events where pgsql.hasRequest {
                if !pgsql.extended && event.start == lastStart, let last = ourRequests.popLast() {
                    ourRequests.append(last + "; " + (pgsql.query ?? ""))
                } else {
                    ourRequests.append(pgsql.query ?? "?")
                }
                lastStart = pgsql.extended ? nil : event.start
                if event.notes.contains(where: { $0.hasPrefix("not executed") }) { unexecuted += 1 }
            }
            // tshark shows texts as sent; our transactions carry statements as the server splits
            // them (trimmed, without the final ';'). Both sides are compared in that form.
            let theirs = view.requests.map(Self.statementForm)
            ourRequests = ourRequests.map(Self.statementForm)
            for (index, text) in theirs.enumerated() where index < ourRequests.count && ourRequests[index] != text {
                // Difference 1: the multi-statement Query's last statement ("SELECT 3") follows the
                // division by zero, so the server never ran it: no transaction, a note instead.
                #expect(ourRequests[index] + "; SELECT 3" == text, "stream \(stream)")
                #expect(events.contains { $0.event.notes.contains("1 later statement of the query not executed") })
                skippedStatements += 1
            }
            #expect(ourRequests.count == theirs.count, "stream \(stream)")
        }
        #expect(skippedStatements == 1)
        // Difference 2: the pipeline's third Execute follows the failed one before the Sync; the
        // server skipped it. It is our one request without a response, reported with a note.
        #expect(unexecuted == 1)
        let counters = analysis.counters(.pgsql)
        let results = views.values.reduce(0) { $0 + $1.results.count }
        #expect(Int(counters.transactions) == results + unexecuted)
        #expect(counters.unmatchedRequests == 1 && counters.unmatchedResponses == 1)  // the failed md5 login's FATAL
        #expect(counters.parseErrors == 0 && counters.skippedBytes == 0 && counters.oversized == 0 && counters.gaps == 0)
        #expect(passwordsOnWire == 2)  // md5 login, good and bad
    }

    static func statementForm(_ text: String) -> String {
        var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasSuffix(";") { trimmed.removeLast() }
        return trimmed.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func passwordsAndFeaturesInTheCapture() throws {
        let analysis = try CaptureOracle.analyze("pgsql.pcap")
        let hashes = try CaptureOracle.tshark("pgsql.pcap", ["-Y", "pgsql.password", "-e", "pgsql.password"]).map { $0[0] }
        #expect(hashes.count == 2 && hashes.allSatisfy { $0.hasPrefix("md5") })
        let json = analysis.events.map(\.json).joined(separator: "\n")
        for hash in hashes { #expect(!json.contains(hash)) }
        #expect(!json.contains("pgsql-secret-pw") && !json.contains("wrong-pw"))
        let byQuery = Dictionary(analysis.events.compactMap { event -> (String, TransactionEvent)? in
            guard let pgsql = event.details as? PgSQLTransaction, let query = pgsql.query else { return nil }
            return (query, event)
        }, uniquingKeysWith: { first, _ in first })
        let failed = try #require(byQuery["SELECT 1/0"])
        #expect(failed.status == .error && failed.json.contains("\"error_code\":\"22012\""))
        #expect(failed.json.contains("\"error_severity\":\"ERROR\"") && failed.json.contains("\"method\":\"SELECT\""))
        let copy = try #require(byQuery["COPY  items TO STDOUT"])
        if let pgsql = copy.details as? PgSQLTransaction { #expect(pgsql.numRows == 5 && copy.status == .ok) }
        let skipped = try #require(byQuery["SELECT 3 AS skipped;"])
        #expect(skipped.status == .error && skipped.notes == ["not executed: an earlier message of its pipeline failed"])
        let extended = analysis.events.filter { if let p = $0.details as? PgSQLTransaction { p.extended } else { false } }
        #expect(extended.count == 2 * 350 + 5 * 7 + 3)
    }
}
