/// MySQL and MariaDB: text and prepared-statement commands, paired in order.
enum MySQLProtocol {
    static let definition = ProtocolDefinition(
        name: "mysql", title: "MySQL", defaultPorts: [3306], transports: .tcp,
        detectStream: MySQLDetection.match,
        makeStreamAnalyzer: { MySQLSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let mysql = ApplicationProtocol(registered: "mysql")
}
