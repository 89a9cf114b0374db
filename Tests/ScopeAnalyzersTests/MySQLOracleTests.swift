import Testing
@testable import ScopeAnalyzers

/// mysql.pcap (MariaDB 10.11 + mariadb client, mysqlslap and a binary-
/// protocol python client, see make-mysql.sh) against tshark's MySQL
/// dissector, per TCP connection (keyed by the client's port).
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct MySQLOracleTests {
    /// Several values of one field in a frame are joined with "|" (queries contain commas).
    static func tshark(_ filter: String, _ fields: [String]) throws -> [[String]] {
        try CaptureOracle.tshark("mysql.pcap", ["-E", "aggregator=|", "-Y", filter] + fields.flatMap { ["-e", $0] })
    }

    static func values(_ cell: String) -> [String] { cell.isEmpty ? [] : cell.split(separator: "|").map(String.init) }

    @Test func commandsAndQueriesEqualTshark() throws {
        let analysis = try CaptureOracle.analyze("mysql.pcap")
        // tshark: every command, in order, per client port; the text for COM_QUERY (3) and COM_STMT_PREPARE (22).
        var expected: [String: [String]] = [:]
        for row in try Self.tshark("mysql.command", ["tcp.srcport", "mysql.command", "mysql.query"]) {
            var queries = Self.values(row[2])[...]
            for command in Self.values(row[1]) {
                let text = command == "3" || command == "22" ? queries.popFirst() ?? "?" : ""
                expected[row[0], default: []].append("\(command) \(text)")
            }
        }
        // Ours: every transaction but the refused log-in (tshark calls it a
        // "Login Request", not a command; it is checked with the errors).
        var ours: [String: [String]] = [:]
        for event in analysis.events.sorted(by: { $0.start < $1.start }) {
            guard let request = event.mysql?.request, request.method != "LOGIN" else { continue }
            let command = request.command
            let text = command == .query || command == .stmtPrepare ? request.query : ""
            ours[String(event.endpoints.clientPort), default: []].append("\(command.rawValue) \(text)")
        }
        #expect(ours == expected)
        #expect(expected.count == 13 && expected.values.map(\.count).reduce(0, +) == analysis.events.count - 1)

        let counters = analysis.counters(.mysql)
        #expect(counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0 && counters.parseErrors == 0)
        #expect(counters.gaps == 0 && counters.skippedBytes == 0 && counters.oversized == 0)
        #expect(counters.detectedByPort == 14 && counters.transactions == UInt64(analysis.events.count))
        #expect(analysis.events.allSatisfy { $0.isMatched })
    }

    @Test func responsesEqualTshark() throws {
        let events = try CaptureOracle.analyze("mysql.pcap").events
        var expectedErrors: [String: [String]] = [:], expectedAffected: [String: UInt64] = [:]
        var expectedFields: [String: [String]] = [:]
        for row in try Self.tshark("tcp.srcport == 3306 and (mysql.error_code or mysql.affected_rows or mysql.num_fields)",
                                   ["tcp.dstport", "mysql.error_code", "mysql.affected_rows", "mysql.num_fields",
                                    "mysql.num_params"]) {
            expectedErrors[row[0], default: []] += Self.values(row[1])
            expectedAffected[row[0], default: 0] += Self.values(row[2]).compactMap { UInt64($0) }.reduce(0, +)
            // A prepare OK also carries num_fields (with num_params): not a result set.
            if row[4].isEmpty { expectedFields[row[0], default: []] += Self.values(row[3]) }
        }
        var errors: [String: [String]] = [:], affected: [String: UInt64] = [:], fields: [String: [String]] = [:]
        for event in events.sorted(by: { $0.start < $1.start }) {
            let port = String(event.endpoints.clientPort)
            guard let response = event.mysql?.response else { continue }
            if let code = response.errorCode { errors[port, default: []].append(String(code)) }
            affected[port, default: 0] += response.affectedRows
            // tshark lists each result set's column count; an event holds the
            // first one and the number of result sets. The one multi-result
            // response here ("SELECT 1; SELECT 2") has one column in both.
            fields[port, default: []] += Array(repeating: String(response.numFields), count: response.resultSets)
        }
        #expect(errors.filter { !$0.value.isEmpty } == expectedErrors.filter { !$0.value.isEmpty })
        #expect(errors.values.joined().sorted() == ["1045", "1146"])
        // tshark also reads the log-in OK (0 rows affected), so per-port sums agree.
        #expect(affected.filter { $0.value > 0 } == expectedAffected.filter { $0.value > 0 })
        #expect(fields.filter { !$0.value.isEmpty } == expectedFields.filter { !$0.value.isEmpty })
    }

    @Test func executeParametersEqualTshark() throws {
        let events = try CaptureOracle.analyze("mysql.pcap").events
        let executes = events.filter { $0.mysql?.request?.command == .stmtExecute }.sorted { $0.start < $1.start }
        let rows = try Self.tshark("mysql.command == 23", ["mysql.exec.field.string", "mysql.exec.field.longlong",
                                                           "mysql.exec.field.double", "mysql.exec.field.year",
                                                           "mysql.exec.field.month", "mysql.exec.field.day"])
        try #require(rows.count == executes.count && executes.count == 8)
        for (row, event) in zip(rows, executes) {
            let params = event.mysql?.request?.params ?? []
            var expected = Self.values(row[0]) + Self.values(row[1]) + Self.values(row[2])
            if let year = Int(row[3]), let month = Int(row[4]), let day = Int(row[5]) {
                expected.append("\(year)-\(MySQLParams.padded(month, 2))-\(MySQLParams.padded(day, 2))")
            }
            if expected.isEmpty {
                // Difference: the second execute of the SELECT sends no types
                // (new_params_bound_flag 0, reusing the first execute's);
                // tshark 4.0 does not remember them and decodes nothing,
                // dpdkscope does.
                #expect(params == ["0", "sprocket"])
                continue
            }
            // tshark 4.0 gives a NULL parameter no field (only the bitmap bit).
            #expect(params.filter { $0 != "NULL" }.sorted() == expected.sorted())
        }
        let decoded = executes.compactMap { $0.mysql?.request?.params }
        #expect(decoded.contains(["widget", "0.75", "-3", "NULL"]))
    }

    @Test func featuresSeenInTheCapture() throws {
        let events = try CaptureOracle.analyze("mysql.pcap").events
        func find(_ query: String) -> [MySQLTransaction] { events.compactMap(\.mysql).filter { $0.request?.query == query } }
        #expect(find("SELECT id, name, qty FROM items ORDER BY id").first?.response?.numRows == 3)
        #expect(find("SELECT id, name, qty FROM items ORDER BY id").first?.response?.path == "shop.items")
        let multi = try #require(find("SELECT 1; SELECT 2").first?.response)
        #expect(multi.resultSets == 2 && multi.numRows == 2 && multi.numFields == 1)
        #expect(find("UPDATE items SET qty = qty + 1 WHERE qty < 15").first?.response?.affectedRows == 2)
        let refused = try #require(events.first { $0.mysql?.request?.method == "LOGIN" })
        #expect(refused.status == .error && refused.mysql?.response?.errorCode == 1045 && refused.mysql?.request?.user == "scope")
        #expect(find("SELECT * FROM no_such_table").first?.response?.sqlState == "42S02")
        // Pipelined queries pair in order; both DEPRECATE_EOF and classic EOF result sets count rows.
        #expect(find("SELECT COUNT(*) FROM gadgets").allSatisfy { $0.response?.numRows == 1 })
        #expect(find("SELECT name FROM gadgets ORDER BY id").map { $0.response?.numRows } == [2, 4])
        #expect(events.filter { $0.mysql?.request?.method == "QUIT" }.count == 13)  // every connection but the refused one
        #expect(events.allSatisfy { !$0.json.contains("Sc0pe-secret") && !$0.json.contains("wrong-password") })
    }
}

extension TransactionEvent {
    var mysql: MySQLTransaction? {
        if let mysql = details as? MySQLTransaction { return mysql }
        return nil
    }
}
