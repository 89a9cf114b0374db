import ScopeDecode

/// One TLS handshake: what the client offered, what the server chose,
/// whether application data followed (established) and any alert in clear.
public struct TLSTransaction: Sendable, TransactionDetail {
    public var clientHello: TLSClientHello?
    public var serverHello: TLSServerHello?
    public var established = false
    public var resumed = false
    /// The server answered the first ClientHello with a HelloRetryRequest.
    public var retryRequested = false
    public var alert: (level: UInt8, description: UInt8)?
    /// TLS 1.3: the client answered the server's flight with a record the
    /// size of an encrypted alert, not of a Finished message.
    public var encryptedAlert = false
    /// The server's chain in clear (TLS ≤ 1.2), leaf first; certificates
    /// past `TLSCertificateMessage.maximum` are only counted, and a Certificate
    /// message over the size limit is dropped whole.
    public var certificates: [TLSCertificate] = []
    public var certificatesOmitted = 0
    public var certificatesDropped = false
    /// Each direction's first application data (after its handshake): when,
    /// and where it starts in that side's bytes (so, handshake bytes).
    public var clientData: (time: UInt64, start: UInt64)?
    public var serverData: (time: UInt64, start: UInt64)?
    /// Bytes each side sent up to the event.
    public var bytes: (client: UInt64, server: UInt64) = (0, 0)
    /// Records from both sides but no hello: the capture began mid-connection.
    public var handshakeMissing = false
    /// The hellos' fields as JSON, looked up by the session in the engine's
    /// `TLSHelloCache`; rendered when the event is written if missing.
    var clientFields: TLSClientFields?
    var serverFields: TLSServerFields?

    public var isMatched: Bool { hasClientHello && hasServerHello }
    /// Whether each hello was read. Matched as a case: `!= nil` on these
    /// optionals copied the hello out (every array retained) and destroyed
    /// it again, about 500 instructions per test.
    var hasClientHello: Bool { if case .some = clientHello { true } else { false } }
    var hasServerHello: Bool { if case .some = serverHello { true } else { false } }

    /// The negotiated version, else the highest offered.
    var version: UInt16? { serverHello?.version ?? clientHello?.offeredVersion }

    public var summary: String {
        var parts: [String] = []
        if let version, let name = TLSNames.version(version) { parts.append("\(name.protocol.uppercased()) \(name.number)") }
        if let serverHello { parts.append(TLSNames.cipher(serverHello.cipherSuite)) }
        if let name = clientHello?.serverName { parts.append("sni=\(name)") }
        if let alpn = serverHello?.alpn { parts.append("alpn=\(alpn)") }
        if resumed { parts.append("resumed") }
        if retryRequested { parts.append("hello_retry_request") }
        if let alert { parts.append("alert=\(TLSNames.alert(alert.description))") }
        if encryptedAlert { parts.append("encrypted_alert") }
        parts.append(handshakeMissing ? "no handshake seen" : established ? "established" : "not established")
        return parts.joined(separator: " ")
    }

    /// ECS `tls.*` as Packetbeat writes them, plus the hellos' details.
    /// Members and object keys go out in reserved `JSONCursor` blocks with
    /// literal keys, the hellos' fields as rendered once (a `JSONWriter`
    /// call per member, each key escaped, was about 5k instructions per
    /// event); the rare members keep the plain calls.
    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // The hellos are read through optional chaining and `has…Hello`
        // only: binding one (`if let`, `map`) copied it, arrays retained.
        let clientFields = hasClientHello ? self.clientFields ?? TLSClientFields(clientHello!, digests: nil) : nil
        let serverFields = hasServerHello ? self.serverFields ?? TLSServerFields(serverHello!, digests: nil) : nil
        let text = (clientHello?.serverName?.utf8.count ?? 0) &+ (serverHello?.alpn?.utf8.count ?? 0)
        json.write(reserving: 256 &+ text &* 6) { tls in
            tls.beginObject("tls")
            if let version, let name = TLSNames.version(version) {
                tls.field("version", name.number)
                tls.field("version_protocol", name.protocol)
            }
            if let suite = serverHello?.cipherSuite { tls.field("cipher", TLSNames.cipher(suite)) }
            tls.field("established", established)
            tls.field("resumed", resumed)
            if let alpn = serverHello?.alpn { tls.field("next_protocol", alpn) }
            if hasClientHello {
                tls.beginObject("client")
                tls.optional("server_name", clientHello?.serverName)
            }
        }
        if let clientFields {
            json.rendered(clientFields.lists)
            json.endObject()
        }
        if hasServerHello || !certificates.isEmpty {
            json.write(reserving: 16) { $0.beginObject("server") }
            if let serverFields { json.rendered(serverFields.fingerprints) }
            if let leaf = certificates.first { TLSCertificateFields.appendLeaf(leaf, to: &json) }
            json.endObject()
        }
        json.write(reserving: 48) { detailed in
            detailed.beginObject("detailed")
            if clientFields != nil { detailed.beginObject("client_hello") }
        }
        if hasClientHello, let clientFields {
            json.rendered(clientFields.helloHead)
            if let alpn = clientHello?.alpn, !alpn.isEmpty { json.strings("alpn", alpn) }
            json.rendered(clientFields.helloExtensions)
            json.endObject()
        }
        if let serverFields {
            json.write(reserving: 24) { $0.beginObject("server_hello") }
            json.rendered(serverFields.hello)
            json.endObject()
        }
        if certificates.count > 1 {
            json.key("server_certificate_chain")
            json.beginArray()
            for certificate in certificates.dropFirst() { TLSCertificateFields.appendChainEntry(certificate, to: &json) }
            json.endArray()
        }
        if encryptedAlert { json.field("encrypted_alert", true) }
        if handshakeMissing { json.field("handshake_missing", true) }
        appendTiming(to: &json)
        if certificatesOmitted > 0 { json.field("server_certificates_omitted", UInt64(certificatesOmitted)) }
        if certificatesDropped { json.field("server_certificate_dropped", true) }
        if retryRequested { json.field("hello_retry_request", true) }
        if let alert {
            json.object("alert") { object in
                object.field("level", alert.level == 2 ? "fatal" : "warning")
                object.field("description", TLSNames.alert(alert.description))
            }
        }
        json.write(reserving: 2) { object in
            object.endObject()  // detailed
            object.endObject()  // tls
        }
    }

    /// ClientHello to the first application data of each side (ns), and
    /// each side's bytes before it (handshake) and from it on (data).
    /// Written in one reserved block (a `JSONWriter` call per member cost
    /// about 4k instructions per event).
    private func appendTiming(to detailed: inout JSONWriter) {
        guard hasClientHello || hasServerHello else { return }
        detailed.write(reserving: 320) { json in
            if let hello = clientHello?.time, clientData != nil || serverData != nil {
                json.beginObject("time_to_data")
                if let clientData { json.field("client", clientData.time &- min(hello, clientData.time)) }
                if let serverData { json.field("server", serverData.time &- min(hello, serverData.time)) }
                json.endObject()
            }
            let client = min(clientData?.start ?? bytes.client, bytes.client)
            let server = min(serverData?.start ?? bytes.server, bytes.server)
            json.beginObject("bytes")
            json.field("client_handshake", client)
            json.field("client_data", bytes.client &- client)
            json.field("server_handshake", server)
            json.field("server_data", bytes.server &- server)
            json.endObject()
        }
    }

    /// The negotiated cipher's IANA name, nil without a ServerHello.
    public var cipherName: String? { serverHello.map { TLSNames.cipher($0.cipherSuite) } }

    /// The alert's description ("unknown_ca"), "encrypted" for a TLS 1.3
    /// client's encrypted alert, nil without an alert.
    public var alertName: String? { alert.map { TLSNames.alert($0.description) } ?? (encryptedAlert ? "encrypted" : nil) }

    /// The version as a label ("1.3"), "?" when no hello was read.
    public var methodName: String { version.flatMap { TLSNames.version($0)?.number } ?? "?" }

    /// The server name asked for, else the server's address.
    public func resourceName(endpoints: TransactionEndpoints) -> String {
        clientHello?.serverName ?? endpoints.server.description
    }

    /// "established", "unanswered" (no ServerHello), "failed", or
    /// "no_handshake" (the capture began after it).
    public func outcomeName(status: TransactionStatus) -> String {
        handshakeMissing ? "no_handshake" : established ? "established" : serverHello == nil ? "unanswered" : "failed"
    }

    public func requestMissing(method: String) -> Bool { clientHello == nil && !handshakeMissing }
}

extension TLSTransaction: Equatable {
    public static func == (lhs: TLSTransaction, rhs: TLSTransaction) -> Bool {
        lhs.clientHello == rhs.clientHello && lhs.serverHello == rhs.serverHello && lhs.established == rhs.established
            && lhs.resumed == rhs.resumed && lhs.retryRequested == rhs.retryRequested
            && lhs.alert?.level == rhs.alert?.level && lhs.alert?.description == rhs.alert?.description
            && lhs.certificates == rhs.certificates && lhs.certificatesOmitted == rhs.certificatesOmitted
            && lhs.certificatesDropped == rhs.certificatesDropped && lhs.encryptedAlert == rhs.encryptedAlert
            && lhs.handshakeMissing == rhs.handshakeMissing
    }
}
