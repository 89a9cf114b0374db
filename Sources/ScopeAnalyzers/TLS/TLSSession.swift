import ScopeDecode

/// TLS on one TCP connection: a record reader per side and one event per
/// handshake. A handshake is established once both sides send encrypted
/// records after the ServerHello; its event then waits for the connection's
/// end (or the transaction timeout, while it stays open) so that it can say
/// when application data started in each direction and how many bytes came
/// before and after. A fatal alert in clear, an unanswered hello past the
/// timeout, or the end of the connection report it too. A TLS 1.3 alert is
/// encrypted; one from the client instead of its Finished is told by its
/// length (`encryptedAlert`). A connection whose capture starts after the
/// hellos is reported as TLS without a handshake when its records parse.
final class TLSSession: StreamAnalyzer {
    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) private var client: TLSRecordReader
    @exclusivity(unchecked) private var server: TLSRecordReader
    @exclusivity(unchecked) private var transaction = TLSTransaction()
    @exclusivity(unchecked) private var start: UInt64?
    @exclusivity(unchecked) private var bytes: (client: UInt64, server: UInt64) = (0, 0)
    @exclusivity(unchecked) private var reported = false
    /// Encrypted records each side sent after the ServerHello.
    @exclusivity(unchecked) private var encryptedRecords: (client: Int, server: Int) = (0, 0)
    @exclusivity(unchecked) private var establishedAt: UInt64?

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        let limit = min(context.configuration.maxMessageSize, 1 << 16)
        client = TLSRecordReader(limit: limit)
        server = TLSRecordReader(limit: limit, collectsCertificates: true)
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        guard !reported else { return }
        if start == nil { start = timestamp }
        if fromClient {
            self.bytes.client &+= UInt64(bytes.count)
            client.deliver(bytes, timestamp: timestamp) { handle($0, fromClient: true, at: timestamp) }
        } else {
            self.bytes.server &+= UInt64(bytes.count)
            server.deliver(bytes, timestamp: timestamp) { handle($0, fromClient: false, at: timestamp) }
        }
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.countGap(.tls, length: length)
        if fromClient { client.gap() } else { server.gap() }
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        if transaction.established { return report(at: establishedAt ?? timestamp, note: nil) }
        report(at: timestamp, note: transaction.serverHello == nil ? "no ServerHello before \(reason.phrase)"
               : "no application data before \(reason.phrase)")
    }

    func expire(now: UInt64) {
        guard !reported else { return }
        let timeout = context.configuration.transactionTimeout
        if let establishedAt {
            // Still open: the event goes out with the bytes so far.
            if now &- establishedAt >= timeout { report(at: establishedAt, note: "connection still open") }
            return
        }
        guard let hello = transaction.clientHello, transaction.serverHello == nil else { return }
        guard now &- hello.time >= timeout else { return }
        context.count(.tls) { $0.timeouts &+= 1 }
        report(at: now, note: "no ServerHello within \(timeout / 1_000_000) ms")
    }

    private func handle(_ output: TLSRecordReader.Output, fromClient: Bool, at time: UInt64) {
        switch output {
        case .clientHello(let hello):
            guard transaction.clientHello == nil else { return }
            transaction.clientHello = hello
            context.count(.tls) { $0.requests &+= 1 }
        case .serverHello(let hello):
            if hello.isRetryRequest {
                transaction.retryRequested = true
                return
            }
            transaction.serverHello = hello
            transaction.resumed = Self.resumed(client: transaction.clientHello, server: hello)
            context.count(.tls) { $0.responses &+= 1 }
        case .applicationData(let time, let length, let recordStart):
            encryptedRecord(fromClient: fromClient, time: time, length: length, start: recordStart)
        case .certificates(let body):
            let cache = context.shared(.tls) { TLSSharedState() }.certificates
            var chain: [TLSCertificate] = []
            transaction.certificatesOmitted = TLSCertificateMessage.forEach(body) { chain.append(cache.certificate($0)) } ?? 0
            transaction.certificates = chain
        case .certificatesDropped:
            transaction.certificatesDropped = true
            context.count(.tls) { $0.oversized &+= 1 }
        case .alert(let level, let description):
            transaction.alert = (level, description)
            if level == 2 { report(at: time, note: "alert: \(TLSNames.alert(description))") }
        }
    }

    /// An encrypted record. Established once both sides sent one after the
    /// ServerHello (in TLS 1.3 the first ones carry the rest of the
    /// handshake: the client's says it accepted the server's flight).
    /// Application data is, up to TLS 1.2, each side's first such record;
    /// in TLS 1.3 the client's second (after its Finished) and the server's
    /// first after the client's Finished (a NewSessionTicket counts too:
    /// its records look alike).
    private func encryptedRecord(fromClient: Bool, time: UInt64, length: Int, start recordStart: UInt64) {
        guard let serverHello = transaction.serverHello else { return }
        let isTLS13 = serverHello.version >= 0x0304
        if fromClient {
            if encryptedRecords.client == 0, isTLS13, Self.encryptedAlertLengths.contains(length),
               transaction.clientHello?.extensions.contains(Self.earlyDataExtension) != true {
                // The client's first encrypted record should be its Finished (at least 4 + 32 bytes
                // before encryption); an alert is 2. It rejected the server's flight. A client that
                // offered 0-RTT may still be sending early data here, any length: no telling.
                transaction.encryptedAlert = true
                return report(at: time, note: "encrypted alert from the client (TLS 1.3)")
            }
            encryptedRecords.client &+= 1
            if transaction.clientData == nil, !isTLS13 || encryptedRecords.client >= 2 {
                transaction.clientData = (time, recordStart)
            }
        } else {
            encryptedRecords.server &+= 1
            if transaction.serverData == nil, !isTLS13 || encryptedRecords.client >= 1 {
                transaction.serverData = (time, recordStart)
            }
        }
        if establishedAt == nil, encryptedRecords.client > 0, encryptedRecords.server > 0 {
            transaction.established = true
            establishedAt = time
        }
        // Both directions carry application data: nothing the event says changes but the byte counts.
    }

    /// A TLS 1.3 alert once encrypted: 2 bytes, the content type, and a
    /// 16-byte AEAD tag (8 with the CCM_8 suite).
    private static let encryptedAlertLengths = [2 + 1 + 16, 2 + 1 + 8]
    /// early_data (RFC 8446 §4.2.10).
    private static let earlyDataExtension: UInt16 = 42

    /// Resumption: the server echoes the session id the client offered
    /// (TLS ≤ 1.2, by id or ticket; 1.3 echoes it always, for middleboxes),
    /// or accepts a pre-shared key (TLS 1.3: extension 41).
    private static func resumed(client: TLSClientHello?, server: TLSServerHello) -> Bool {
        if server.extensions.contains(41) { return true }
        guard let client, server.version < 0x0304, !client.sessionID.isEmpty else { return false }
        return server.sessionID == client.sessionID
    }

    private func report(at time: UInt64, note: String?) {
        guard !reported else { return }
        reported = true
        transaction.bytes = bytes
        let seen = transaction.hellosSeen()
        var note = note
        if !seen.client && !seen.server {
            // No hello: TLS only if records from both sides parsed (a capture that began mid-connection).
            guard client.sawApplicationData, server.sawApplicationData, !client.lost, !server.lost else { return }
            transaction.handshakeMissing = true
            note = "no handshake seen (the capture started after it)"
        }
        let (request, response) = (seen.client, seen.server)
        context.count(.tls) {
            if request && response { $0.matched &+= 1 }
            if request && !response { $0.unmatchedRequests &+= 1 }
            if !request && response { $0.unmatchedResponses &+= 1 }
            $0.parseErrors &+= client.parseErrors &+ server.parseErrors
        }
        transaction.lookUpFields(in: context.shared(.tls) { TLSSharedState() }.hellos)
        let failed = !transaction.established && !transaction.handshakeMissing
        // Moved out, not copied: the session reports once, and a copy was a
        // retain and a release of each of the hellos' lists.
        var details = TLSTransaction()
        swap(&details, &transaction)
        context.emit(TransactionEvent(
            application: .tls, endpoints: endpoints, start: seen.clientTime ?? start ?? time,
            end: max(time, start ?? time), requestBytes: bytes.client, responseBytes: bytes.server,
            status: failed ? .error : .ok, notes: note.map { [$0] } ?? [], details: details))
    }
}

extension TLSTransaction {
    /// Which hellos were read, and when the ClientHello came: read in place
    /// (a mutating call on the session's stored transaction), each hello
    /// matched as a case. `clientHello != nil` copied the optional hello out
    /// and destroyed it again, arrays retained and released, even here
    /// (about 1k instructions per handshake in `report`, then 3k in all).
    mutating func hellosSeen() -> (client: Bool, server: Bool, clientTime: UInt64?) {
        var time: UInt64?
        if case .some(let hello) = clientHello { time = hello.time }
        return (time != nil, hasServerHello, time)
    }

    /// The hellos' fields from the engine's cache, looked up in place.
    mutating func lookUpFields(in cache: TLSHelloCache) {
        if case .some(let hello) = clientHello { clientFields = cache.client(hello) }
        if case .some(let hello) = serverHello { serverFields = cache.server(hello) }
    }
}
