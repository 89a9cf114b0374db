@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// The encrypted-alert rule of TLS 1.3 (a client's first encrypted record
/// after the ServerHello of an alert's size rejects the server's flight)
/// holds unless the client offered 0-RTT: then that record may be early
/// data of any length.
@Suite struct TLSEarlyDataTests {
    static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func u24(_ value: Int) -> [UInt8] { [0] + u16(value) }

    static func handshakeRecord(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        let message = [type] + u24(body.count) + body
        return [0x16, 0x03, 0x01] + u16(message.count) + message
    }

    static func clientHello(earlyData: Bool) -> [UInt8] {
        var extensions = [0x00, 0x2B] + u16(3) + [0x02, 0x03, 0x04]  // supported_versions: TLS 1.3
        if earlyData { extensions += [0x00, 0x2A, 0x00, 0x00] }
        let body = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0x00] + u16(2) + [0x13, 0x01] + [0x01, 0x00]
            + u16(extensions.count) + extensions
        return handshakeRecord(1, body)
    }

    static let serverHello: [UInt8] = {
        let extensions: [UInt8] = [0x00, 0x2B] + u16(2) + [0x03, 0x04]
        let body = [0x03, 0x03] + [UInt8](repeating: 9, count: 32) + [0x00] + [0x13, 0x01] + [0x00]
            + u16(extensions.count) + extensions
        return handshakeRecord(2, body)
    }()

    /// An application-data record of `length` encrypted bytes.
    static func encrypted(_ length: Int) -> [UInt8] { [0x17, 0x03, 0x03] + u16(length) + [UInt8](repeating: 0xA5, count: length) }

    static func run(earlyData: Bool) -> TLSTransaction? {
        let (events, _) = Conversation(steps: [
            .client(clientHello(earlyData: earlyData), at: 1),
            .server(serverHello + encrypted(40), at: 2),
            .client(encrypted(19), at: 3),
            .client(encrypted(53), at: 4),
            .server(encrypted(300), at: 5),
        ]).run(.tls)
        return events.first?.details as? TLSTransaction
    }

    @Test func anAlertSizedRecordRejectsTheFlightWithoutZeroRTT() throws {
        let tls = try #require(Self.run(earlyData: false))
        #expect(tls.encryptedAlert && !tls.established)
    }

    @Test func withZeroRTTOfferedItMayBeEarlyData() throws {
        let tls = try #require(Self.run(earlyData: true))
        #expect(!tls.encryptedAlert && tls.established)
        #expect(tls.clientHello?.extensions.contains(42) == true)
    }
}
