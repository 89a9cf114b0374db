import ScopeDecode

extension DNSTransaction: TransactionDetail {
    public var isMatched: Bool { request.isSome && response.isSome }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        appendFields(to: &json)
    }

    /// Packetbeat's DNS fields: header and flags from the response when
    /// there is one (else the query), question and op code from the query.
    /// `suffixes` cuts the question name into registered domain, top-level
    /// domain and subdomain; without a list those fields are left out.
    /// Written in one JSONCursor block with literal keys.
    func appendFields(to json: inout JSONWriter, suffixes: PublicSuffixList? = PublicSuffixList.system) {
        guard let main = response ?? request else { return }
        let asked = request ?? main
        // Names are at most 255 bytes (the question appears four times);
        // records bring their own text. More is asked for if it is needed.
        var room = 1536
        func add(_ records: [DNSRecord]) {
            for record in records { room &+= record.name.utf8.count &+ record.data.utf8.count &+ 96 }
        }
        if let response {
            add(response.answers)
            add(response.authorities)
            add(response.additionals)
        }
        json.write(reserving: room) { appendFields(to: &$0, main: main, asked: asked, suffixes: suffixes) }
    }

    private func appendFields(to json: inout JSONCursor, main: DNSMessage, asked: DNSMessage,
                              suffixes: PublicSuffixList?) {
        if let question = asked.question {
            json.field("method", DNSNames.opcode(asked.opcode))
            json.key("query")
            json.beginString()
            json.piece("class ")
            json.piece(DNSNames.recordClass(question.recordClass))
            json.piece(", type ")
            json.piece(DNSNames.type(question.type))
            json.piece(", ")
            json.piece(question.name)
            json.endString()
            json.field("resource", question.name)
        }
        json.beginObject("dns")
        json.field("type", response.isSome ? "answer" : "query")
        json.field("id", UInt64(main.id))
        json.field("op_code", DNSNames.opcode(asked.opcode))
        if let response { json.field("response_code", DNSNames.responseCode(response.responseCode)) }
        json.beginObject("flags")
        json.field("authoritative", main.authoritative)
        json.field("recursion_available", main.recursionAvailable)
        json.field("recursion_desired", asked.recursionDesired)
        json.field("authentic_data", main.authenticData)
        json.field("checking_disabled", asked.checkingDisabled)
        json.field("truncated_response", main.truncated)
        json.endObject()
        json.key("header_flags")
        json.beginArray()
        if main.authoritative { json.string("AA") }
        if main.truncated { json.string("TC") }
        if main.recursionDesired { json.string("RD") }
        if main.recursionAvailable { json.string("RA") }
        if main.authenticData { json.string("AD") }
        if main.checkingDisabled { json.string("CD") }
        json.endArray()
        if let question = asked.question {
            json.beginObject("question")
            json.field("name", question.name)
            json.field("type", DNSNames.type(question.type))
            json.field("class", DNSNames.recordClass(question.recordClass))
            suffixes?.appendParts(of: question.name, to: &json)
            json.endObject()
        }
        if let response {
            json.field("answers_count", UInt64(response.answerCount))
            Self.appendRecords("answers", response.answers, to: &json)
            json.field("authorities_count", UInt64(response.authorityCount))
            json.field("additionals_count", UInt64(response.additionalCount - (response.opt.isSome ? 1 : 0)))
            // Entries are present only when configured (the correlator drops them otherwise).
            Self.appendRecords("authorities", response.authorities, to: &json)
            Self.appendRecords("additionals", response.additionals, to: &json)
            if response.answers.contains(where: { $0.type == 1 || $0.type == 28 }) {
                json.key("resolved_ip")
                json.beginArray()
                for answer in response.answers where answer.type == 1 || answer.type == 28 { json.string(answer.data) }
                json.endArray()
            }
        }
        if let opt = main.opt ?? asked.opt {
            json.beginObject("opt")
            json.key("version")
            json.beginString()
            json.piece(UInt64(opt.version))
            json.endString()
            json.field("do", opt.dnssecOK)
            json.field("udp_size", UInt64(opt.udpSize))
            json.field("ext_rcode", DNSNames.responseCode(UInt16(opt.extendedResponseCode) << 4 | (main.responseCode & 0xF)))
            json.endObject()
        }
        json.endObject()
    }

    private static func appendRecords(_ name: StaticString, _ records: [DNSRecord], to json: inout JSONCursor) {
        guard !records.isEmpty else { return }
        json.key(name)
        json.beginArray()
        for record in records {
            json.beginObject()
            json.field("name", record.name)
            json.field("type", DNSNames.type(record.type))
            json.field("class", DNSNames.recordClass(record.recordClass))
            json.field("ttl", UInt64(record.ttl))
            json.field("data", record.data)
            json.endObject()
        }
        json.endArray()
    }

    /// "A host.test -> NOERROR 10.99.0.5" (either side may be "?").
    public var summary: String {
        let asked = (request ?? response)?.question.map { "\(DNSNames.type($0.type)) \($0.name)" } ?? "?"
        guard let response else { return "\(asked) -> ?" }
        let data = response.answers.prefix(3).map(\.data).joined(separator: ", ")
        return "\(asked) -> \(DNSNames.responseCode(response.responseCode))" + (data.isEmpty ? "" : " \(data)")
    }
}

extension DNSTransaction {
    /// The record type asked, from the response when the query was not seen.
    public var methodName: String { (request ?? response)?.question.map { DNSNames.type($0.type) } ?? "?" }

    public func resourceName(endpoints: TransactionEndpoints) -> String { (request ?? response)?.question?.name ?? "?" }

    /// The response code's name ("NOERROR", "NXDOMAIN").
    public func outcomeName(status: TransactionStatus) -> String {
        response.map { DNSNames.responseCode($0.responseCode) } ?? "unanswered"
    }

    /// The method is named from the response too, so it cannot tell.
    public func requestMissing(method: String) -> Bool { !request.isSome }
}
