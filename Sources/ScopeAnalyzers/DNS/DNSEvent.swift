import ScopeDecode

extension DNSTransaction {
    /// Packetbeat's DNS fields: header and flags from the response when
    /// there is one (else the query), question and op code from the query.
    /// `suffixes` cuts the question name into registered domain, top-level
    /// domain and subdomain; without a list those fields are left out.
    func appendFields(to json: inout JSONWriter, suffixes: PublicSuffixList? = PublicSuffixList.system) {
        guard let main = response ?? request else { return }
        let asked = request ?? main
        if let question = asked.question {
            json.field("method", DNSNames.opcode(asked.opcode))
            json.field("query", "class \(DNSNames.recordClass(question.recordClass)), type \(DNSNames.type(question.type)), \(question.name)")
            json.field("resource", question.name)
        }
        json.object("dns") { dns in
            dns.field("type", response != nil ? "answer" : "query")
            dns.field("id", UInt64(main.id))
            dns.field("op_code", DNSNames.opcode(asked.opcode))
            if let response { dns.field("response_code", DNSNames.responseCode(response.responseCode)) }
            dns.object("flags") { flags in
                flags.field("authoritative", main.authoritative)
                flags.field("recursion_available", main.recursionAvailable)
                flags.field("recursion_desired", asked.recursionDesired)
                flags.field("authentic_data", main.authenticData)
                flags.field("checking_disabled", asked.checkingDisabled)
                flags.field("truncated_response", main.truncated)
            }
            dns.strings("header_flags", headerFlags(main))
            if let question = asked.question {
                dns.object("question") { object in
                    object.field("name", question.name)
                    object.field("type", DNSNames.type(question.type))
                    object.field("class", DNSNames.recordClass(question.recordClass))
                    if let parts = suffixes?.split(question.name) {
                        if let registered = parts.registeredDomain { object.field("registered_domain", registered) }
                        object.field("top_level_domain", parts.topLevelDomain)
                        if let subdomain = parts.subdomain { object.field("subdomain", subdomain) }
                    }
                }
            }
            if let response {
                dns.field("answers_count", UInt64(response.answerCount))
                Self.appendRecords("answers", response.answers, to: &dns)
                dns.field("authorities_count", UInt64(response.authorityCount))
                dns.field("additionals_count", UInt64(response.additionalCount - (response.opt == nil ? 0 : 1)))
                // Entries are present only when configured (the correlator drops them otherwise).
                Self.appendRecords("authorities", response.authorities, to: &dns)
                Self.appendRecords("additionals", response.additionals, to: &dns)
                let addresses = response.answers.filter { $0.type == 1 || $0.type == 28 }.map(\.data)
                if !addresses.isEmpty { dns.strings("resolved_ip", addresses) }
            }
            if let opt = main.opt ?? asked.opt {
                dns.object("opt") { object in
                    object.field("version", String(opt.version))
                    object.field("do", opt.dnssecOK)
                    object.field("udp_size", UInt64(opt.udpSize))
                    object.field("ext_rcode", DNSNames.responseCode(UInt16(opt.extendedResponseCode) << 4 | (main.responseCode & 0xF)))
                }
            }
        }
    }

    private func headerFlags(_ message: DNSMessage) -> [String] {
        [("AA", message.authoritative), ("TC", message.truncated), ("RD", message.recursionDesired),
         ("RA", message.recursionAvailable), ("AD", message.authenticData), ("CD", message.checkingDisabled)]
            .filter(\.1).map(\.0)
    }

    private static func appendRecords(_ name: String, _ records: [DNSRecord], to json: inout JSONWriter) {
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
    var summary: String {
        let asked = (request ?? response)?.question.map { "\(DNSNames.type($0.type)) \($0.name)" } ?? "?"
        guard let response else { return "\(asked) -> ?" }
        let data = response.answers.prefix(3).map(\.data).joined(separator: ", ")
        return "\(asked) -> \(DNSNames.responseCode(response.responseCode))" + (data.isEmpty ? "" : " \(data)")
    }
}
