import ScopeDecode

/// One MySQL transaction: a command and the server's answer (one per
/// command, even for multi-statement queries: rows and affected rows are
/// summed over the results, `mysql.result_sets` says how many there were).
///
/// The two messages live in one immutable box: an event holds its details
/// as `any TransactionDetail`, whose inline buffer is three words, so the
/// two inline were copied into a new heap box and the originals destroyed
/// on every transaction; one reference fits.
public struct MySQLTransaction: Sendable, TransactionDetail {
    private let storage: Storage

    init(request: consuming MySQLRequest?, response: consuming MySQLResponse?) {
        storage = Storage(request: request, response: response)
    }

    var request: MySQLRequest? { _read { yield storage.request } }
    var response: MySQLResponse? { _read { yield storage.response } }

    private final class Storage: Sendable {
        let request: MySQLRequest?
        let response: MySQLResponse?

        init(request: consuming MySQLRequest?, response: consuming MySQLResponse?) {
            self.request = request
            self.response = response
        }
    }

    /// Commands the server never answers are complete without a response.
    public var isMatched: Bool {
        guard let request else { return false }
        return response != nil || request.command.hasNoResponse
    }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // The fixed part is under 512 bytes; the texts are written once.
        // More is asked for if it is needed.
        var room = 512
        if let request {
            room &+= request.method.utf8.count &+ request.query.utf8.count &+ (request.user?.utf8.count ?? 0)
            for param in request.params ?? [] { room &+= param.utf8.count &+ 4 }
        }
        if let response {
            room &+= (response.path?.utf8.count ?? 0) &+ (response.sqlState?.utf8.count ?? 0)
                &+ (response.errorMessage?.utf8.count ?? 0)
        }
        json.write(reserving: room) { appendFields(to: &$0) }
    }

    /// Written in one JSONCursor block with literal keys.
    private func appendFields(to json: inout JSONCursor) {
        if let request {
            json.field("method", request.method)
            json.field("query", request.query)
            if let params = request.params {
                json.key("params")
                json.beginArray()
                for param in params { json.string(param) }
                json.endArray()
            }
            if let user = request.user {
                json.beginObject("user")
                json.field("name", user)
                json.endObject()
            }
        }
        if let path = response?.path { json.field("path", path) }
        json.beginObject("mysql")
        defer { json.endObject() }
        if let request, request.command != MySQLCommand(rawValue: 0x0B) { json.field("command", request.command.name) }
        if let id = request?.statementID ?? response?.statementID { json.field("statement_id", UInt64(id)) }
        guard let response else { return }
        json.field("affected_rows", response.affectedRows)
        json.field("insert_id", response.insertID)
        json.field("num_rows", response.numRows)
        json.field("num_fields", response.numFields)
        if response.resultSets > 1 { json.field("result_sets", UInt64(response.resultSets)) }
        if response.statementID != nil { json.field("num_params", UInt64(response.paramCount)) }
        if let code = response.errorCode {
            json.field("error_code", UInt64(code))
            json.optional("sql_state", response.sqlState)
            json.optional("error_message", response.errorMessage)
        }
    }

    /// "SELECT * FROM t -> 3 rows", "INSERT ... -> OK 1 affected",
    /// "SELECT x -> ERR 1054" (either side may be "?").
    public var summary: String {
        let asked = request.map { String($0.query.prefix(80)) } ?? "?"
        guard let response else { return request?.command.hasNoResponse == true ? asked : "\(asked) -> ?" }
        let answered: String
        if response.isError {
            answered = "ERR \(response.errorCode.map { String($0) } ?? "?")"
        } else if response.resultSets > 0 {
            answered = "\(response.numRows) rows"
        } else if let id = response.statementID {
            answered = "statement \(id)"
        } else if response.numFields > 0 {
            answered = "\(response.numFields) fields"  // FIELD_LIST
        } else {
            answered = "OK \(response.affectedRows) affected"
        }
        return "\(asked) -> \(answered)"
    }
}

extension MySQLTransaction {
    public var methodName: String { request?.method ?? "?" }
    public func resourceName(endpoints: TransactionEndpoints) -> String { request?.query ?? "?" }
    public func outcomeName(status: TransactionStatus) -> String { response == nil ? "unanswered" : status.okOrError }
}
