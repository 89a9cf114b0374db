import ScopeDecode

/// One ICMP or ICMPv6 message as the correlator keeps it.
public struct ICMPMessage: Sendable, Equatable {
    public var type: UInt8
    public var code: UInt8
    /// Echo (and v4 timestamp/information/mask) identifier and sequence.
    public var identifier: UInt16?
    public var sequence: UInt16?
    /// ICMP header and data.
    public var bytes: UInt64
    public var time: UInt64
}

/// One ICMP transaction: an echo request and its reply (or either alone),
/// or an error message with the flow it quotes.
public struct ICMPTransaction: Sendable, TransactionDetail {
    public var version: UInt8
    public var request: ICMPMessage?
    public var response: ICMPMessage?
    /// For errors (unreachable, time exceeded, …): the offending datagram's flow.
    public var original: ICMPQuotedFlow?

    public var isMatched: Bool { request != nil && response != nil }

    /// Packetbeat's `icmp.*` plus `path` (the address asked), and for
    /// errors `icmp.original.{source,destination}.{ip,port}`,
    /// `icmp.original.{transport,community_id}`: the flow the error is about.
    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // One block with literal keys for the fixed part (a short estimate
        // only costs a retry), no array of (name, message) pairs per event.
        json.write(reserving: 384) { object in
            object.field("path", endpoints.server.description)
            object.beginObject("icmp")
            object.field("version", UInt64(version))
            if let request { append(request, as: "request", to: &object) }
            if let response { append(response, as: "response", to: &object) }
        }
        if let original, response == nil { json.object("original") { original.append(to: &$0) } }
        json.endObject()
    }

    private func append(_ message: ICMPMessage, as name: StaticString, to object: inout JSONCursor) {
        object.beginObject(name)
        object.field("type", UInt64(message.type))
        object.field("code", UInt64(message.code))
        object.field("message", ICMPNames.message(type: message.type, code: message.code, version: version))
        if let identifier = message.identifier { object.field("id", UInt64(identifier)) }
        if let sequence = message.sequence { object.field("seq", UInt64(sequence)) }
        object.endObject()
    }

    /// "Echo Request seq 3 -> Echo Reply", "Destination Unreachable (port)
    /// for udp 10.0.0.2:5000 -> 10.0.0.1:9".
    public var summary: String {
        func text(_ message: ICMPMessage?) -> String {
            guard let message else { return "?" }
            let base = ICMPNames.message(type: message.type, code: message.code, version: version)
            return message.sequence.map { "\(base) seq \($0)" } ?? base
        }
        if let original, response == nil {
            let ports = original.sourcePort != nil && original.ipProtocol != 1 && original.ipProtocol != 58
            let from = ports ? "\(original.source):\(original.sourcePort!)" : original.source.description
            let to = ports ? "\(original.destination):\(original.destinationPort!)" : original.destination.description
            return "\(text(request)) for \(original.transportName) \(from) -> \(to)"
        }
        return "\(text(request)) -> \(text(response))"
    }
}

extension ICMPQuotedFlow {
    fileprivate func append(to object: inout JSONWriter) {
        object.object("source") { side in
            side.field("ip", source.description)
            if let sourcePort { side.field("port", UInt64(sourcePort)) }
        }
        object.object("destination") { side in
            side.field("ip", destination.description)
            if let destinationPort { side.field("port", UInt64(destinationPort)) }
        }
        object.field("transport", transportName)
        if let endpoints {
            var id: [UInt8] = []
            CommunityID.append(endpoints.communityID, to: &id)
            object.key("community_id")
            object.string(utf8: id)
        }
    }
}

/// Names for types and codes (IANA registries).
enum ICMPNames {
    static func message(type: UInt8, code: UInt8, version: UInt8) -> String {
        version == 6 ? v6(type, code) : v4(type, code)
    }

    private static func v4(_ type: UInt8, _ code: UInt8) -> String {
        switch type {
        case 0: return "Echo Reply"
        case 3:
            let reasons = ["net unreachable", "host unreachable", "protocol unreachable", "port unreachable",
                           "fragmentation needed", "source route failed", "destination network unknown",
                           "destination host unknown", "source host isolated", "network administratively prohibited",
                           "host administratively prohibited", "network unreachable for TOS",
                           "host unreachable for TOS", "communication administratively prohibited",
                           "host precedence violation", "precedence cutoff in effect"]
            return "Destination Unreachable (\(Int(code) < reasons.count ? reasons[Int(code)] : "code \(code)"))"
        case 4: return "Source Quench"
        case 5: return "Redirect"
        case 8: return "Echo Request"
        case 9: return "Router Advertisement"
        case 10: return "Router Solicitation"
        case 11: return code == 0 ? "Time Exceeded (TTL exceeded in transit)" : "Time Exceeded (fragment reassembly time exceeded)"
        case 12: return "Parameter Problem"
        case 13: return "Timestamp Request"
        case 14: return "Timestamp Reply"
        case 15: return "Information Request"
        case 16: return "Information Reply"
        case 17: return "Address Mask Request"
        case 18: return "Address Mask Reply"
        default: return "Type \(type) code \(code)"
        }
    }

    private static func v6(_ type: UInt8, _ code: UInt8) -> String {
        switch type {
        case 1:
            let reasons = ["no route to destination", "administratively prohibited", "beyond scope of source address",
                           "address unreachable", "port unreachable", "source address failed policy",
                           "reject route to destination"]
            return "Destination Unreachable (\(Int(code) < reasons.count ? reasons[Int(code)] : "code \(code)"))"
        case 2: return "Packet Too Big"
        case 3: return code == 0 ? "Time Exceeded (hop limit exceeded in transit)" : "Time Exceeded (fragment reassembly time exceeded)"
        case 4: return "Parameter Problem"
        case 128: return "Echo Request"
        case 129: return "Echo Reply"
        case 133: return "Router Solicitation"
        case 134: return "Router Advertisement"
        case 135: return "Neighbor Solicitation"
        case 136: return "Neighbor Advertisement"
        case 137: return "Redirect"
        default: return "Type \(type) code \(code)"
        }
    }
}

extension ICMPTransaction {
    /// The request's message name, from the response when it came alone.
    public var methodName: String {
        (request ?? response).map { ICMPNames.message(type: $0.type, code: $0.code, version: version) } ?? "?"
    }

    /// The address pinged.
    public func resourceName(endpoints: TransactionEndpoints) -> String { endpoints.server.description }

    /// An error quoting another flow counts as answered.
    public func outcomeName(status: TransactionStatus) -> String {
        response == nil && original == nil ? "unanswered" : status.okOrError
    }

    /// An error quoting another flow is not a reply to anything.
    public func requestMissing(method: String) -> Bool { request == nil && original == nil }
}
