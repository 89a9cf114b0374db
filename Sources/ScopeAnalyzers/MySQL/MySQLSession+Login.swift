/// The connection phase: the handshake response gives the capabilities
/// (and maybe the start of TLS); the server's OK ends the log-in, its ERR
/// refuses it (the one log-in outcome reported: user name and error, never
/// the auth data).
extension MySQLSession {
    func handshakeResponse(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame, at time: UInt64) {
        phase = .login
        handshakeSeen = true
        guard let login = MySQLPackets.login(payload) else {
            context.count(.mysql) { $0.parseErrors &+= 1 }
            return
        }
        let shared = login.capabilities & (serverCapabilities ?? UInt32.max)
        responses.deprecateEOF = shared & MySQLFlags.clientDeprecateEOF != 0
        if login.startsTLS {
            context.count(.mysql) { $0.tlsSwitches &+= 1 }
            phase = .opaque  // encrypted from here on: counted as skipped bytes
            return
        }
        loginAttempt = MySQLRequest(login: login.user, frame: frame, end: time)
    }

    /// The server's side of the auth exchange: OK ends it, ERR refuses the
    /// log-in (reported), anything else (auth switch, more data) continues.
    func loggingIn(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame, at time: UInt64) {
        guard let first = payload.first, first == 0x00 || first == 0xFF else { return }
        phase = .command
        guard first == 0xFF, let attempt = loginAttempt else {
            loginAttempt = nil
            return
        }
        loginAttempt = nil
        var refusal = MySQLResponse(start: frame.start)
        MySQLPackets.error(payload, into: &refusal)
        refusal.bytes = UInt64(frame.wireBytes)
        refusal.end = time
        context.count(.mysql) {
            $0.requests &+= 1
            $0.responses &+= 1
        }
        emit(request: attempt, response: refusal)
    }
}
