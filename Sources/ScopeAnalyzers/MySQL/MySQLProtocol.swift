/// MySQL and MariaDB: text and prepared-statement commands, paired in order.
enum MySQLProtocol {
    static let definition = ProtocolDefinition(
        name: "mysql", title: "MySQL", defaultPorts: [3306], transports: .tcp,
        detectStream: { MySQLDetection.match($0) },
        streamSample: [9, 0, 0, 0, 3] + Array("SELECT 1".utf8),  // COM_QUERY, sequence 0
        makeStreamAnalyzer: { MySQLSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let mysql = ApplicationProtocol(registered: "mysql")
}
