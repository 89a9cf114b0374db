/// Content detection for TLS: a handshake record (type 22, version 3.x, a
/// length a record may have) whose first message is a ClientHello (from
/// the client) or a ServerHello (from the server). SSL 2 hellos are not
/// claimed.
enum TLSDetection {
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        let expected: [(UInt8) -> Bool] = [
            { $0 == TLSRecord.handshake }, { $0 == 3 }, { $0 <= 4 }, { $0 <= 0x48 }, { _ in true },
            { $0 == TLSHandshake.clientHello || $0 == TLSHandshake.serverHello }, { $0 == 0 },
        ]
        for (index, check) in expected.enumerated() {
            guard index < bytes.count else { return .needMore }
            guard check(bytes[index]) else { return .no }
        }
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        guard length >= 4 else { return .no }
        return bytes[5] == TLSHandshake.clientHello ? .fromClient : .fromServer
    }
}
