/// PostgreSQL: simple and extended query protocol, paired per connection.
enum PgSQLProtocol {
    static let definition = ProtocolDefinition(
        name: "pgsql", title: "PostgreSQL", defaultPorts: [5432], transports: .tcp,
        detectStream: PgSQLDetection.match,
        makeStreamAnalyzer: { PgSQLSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let pgsql = ApplicationProtocol(registered: "pgsql")
}
