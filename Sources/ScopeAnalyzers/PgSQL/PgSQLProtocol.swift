/// PostgreSQL: simple and extended query protocol, paired per connection.
enum PgSQLProtocol {
    static let definition = ProtocolDefinition(
        name: "pgsql", title: "PostgreSQL", defaultPorts: [5432], transports: .tcp,
        detectStream: { PgSQLDetection.match($0) },
        streamSample: [0x51, 0, 0, 0, 13] + Array("SELECT 1".utf8) + [0],  // a simple Query
        makeStreamAnalyzer: { PgSQLSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let pgsql = ApplicationProtocol(registered: "pgsql")
}
