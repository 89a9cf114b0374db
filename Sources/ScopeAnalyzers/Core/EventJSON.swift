import ScopeDecode

/// Nested-object helpers over ScopeDecode's streaming JSON writer.
extension JSONWriter {
    mutating func object(_ name: String, _ body: (inout JSONWriter) -> Void) {
        key(name)
        beginObject()
        body(&self)
        endObject()
    }

    mutating func timestamp(_ name: String, _ nanoseconds: UInt64) {
        key(name)
        timestamp(nanoseconds)
    }

    /// An address as text, rendered straight into the output.
    mutating func field(_ name: String, _ address: IPAddress) {
        key(name)
        self.address(address)
    }

    mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// Fields that are absent stay absent (never `null`).
    mutating func optional(_ name: String, _ value: String?) {
        if let value { field(name, value) }
    }
}

extension JSONCursor {
    /// `text.lowercased()` as a string value; ASCII (nearly always) is
    /// lowered on the way out instead of through a new String.
    mutating func lowercased(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { lowercased(ascii: $0) ?? string(text.lowercased()) }
        if done == nil { string(text.lowercased()) }
    }

    /// Lowered ASCII bytes as a string value; nil (nothing written) when
    /// they are not all ASCII.
    mutating func lowercased(ascii bytes: UnsafeBufferPointer<UInt8>) -> Void? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { lower in
            for index in bytes.indices {
                let byte = bytes[index]
                lower[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            }
            string(utf8: UnsafeRawBufferPointer(lower))
        }
        return ()
    }

    /// One side of the exchange as an object: `{"ip":…,"port":…,"bytes":…}`.
    @inline(__always)
    mutating func side(_ address: IPAddress, _ port: UInt16, _ bytes: UInt64) {
        verbatim(#"{"ip":"#)
        self.address(address)
        verbatim(#""port":"#)
        number(UInt64(port))
        verbatim(#""bytes":"#)
        number(bytes)
        verbatim("}")
    }
}

/// A protocol's name as JSON text, quotes included, when that fits 16
/// bytes and needs no escaping (every registered name): built once per
/// protocol, so an event copies it instead of reading a String.
struct QuotedProtocolName {
    var text: (UInt64, UInt64) = (0, 0)
    /// 0 when the name does not fit: it is written with `string` then.
    var count = 0

    init(_ name: String) {
        let utf8 = Array(name.utf8)
        guard utf8.count <= 14, utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != 0x22 && $0 != 0x5C }) else { return }
        let quoted = [0x22] + utf8 + [0x22]
        withUnsafeMutableBytes(of: &text) { $0.copyBytes(from: quoted) }
        count = quoted.count
    }

    /// Indexed like `ProtocolRegistry.definitions`.
    static let all = ApplicationProtocol.allCases.map { QuotedProtocolName($0.rawValue) }
}

extension TransactionEvent {
    /// Appends the event as one ECS/Packetbeat JSON object, no newline.
    public func appendJSON(to output: inout [UInt8]) {
        var json = JSONWriter(continuing: &output)
        defer { swap(&json.output, &output) }
        // The shared part in one block: at most about 800 bytes plus the notes.
        var room = 1024
        for note in notes { room &+= note.utf8.count &+ 2 }
        json.write(reserving: room) { appendShared(to: &$0) }
        details.appendFields(to: &json, endpoints: endpoints)
        json.endObject()
    }

    /// Everything but the protocol's own fields (and the closing brace).
    /// Runs of constant members go out as verbatim text, in this shape:
    /// `{"@timestamp":…,"type":…,"event":{"kind":"event","category":["network"],
    /// "type":["connection","protocol"],"dataset":…,"start":…,"end":…,"duration":…},
    /// "status":…,["error":{"message":…},]"source":{"ip":…,"port":…,"bytes":…},
    /// "destination":{…},"client":{…},"server":{…},"network":{"transport":…,
    /// "type":…,"protocol":…,"community_id":…,"bytes":…[,"vlan":{"id":…}]}`.
    ///
    /// What the event repeats is rendered once and copied after
    /// (`JSONCursor.repeatValue`): the protocol name (type, dataset,
    /// protocol), the start time (@timestamp, start) and each side's object
    /// (source is client, destination is server).
    private func appendShared(to json: inout JSONCursor) {
        json.verbatim(#"{"@timestamp":"#)
        let startTime = json.mark
        json.timestamp(start)
        let startTimeEnd = json.mark
        json.verbatim(#""type":"#)
        let name = json.mark
        let quotedName = QuotedProtocolName.all[application.index]
        if quotedName.count > 0 {
            withUnsafeBytes(of: quotedName.text) { json.rendered(UnsafeRawBufferPointer(rebasing: $0[..<quotedName.count])) }
        } else {
            json.string(application.rawValue)
        }
        let nameEnd = json.mark
        json.verbatim(#","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"#)
        json.repeatValue(from: name, to: nameEnd)
        json.verbatim(#","start":"#)
        json.repeatValue(from: startTime, to: startTimeEnd)
        json.verbatim(#","end":"#)
        json.timestamp(end)
        json.verbatim(#","duration":"#)
        json.number(duration)
        switch status {
        case .ok: json.verbatim(#"},"status":"OK""#)
        case .error: json.verbatim(#"},"status":"Error""#)
        }
        if !notes.isEmpty {
            json.verbatim(#""error":{"message":"#)
            json.beginString()
            for (index, note) in notes.enumerated() {
                if index > 0 { json.piece("; ") }
                json.piece(note)
            }
            json.endString()
            json.verbatim("}")
        }
        json.verbatim(#""source":"#)
        let client = json.mark
        json.side(endpoints.client, endpoints.clientPort, requestBytes)
        let clientEnd = json.mark
        json.verbatim(#","destination":"#)
        let server = json.mark
        json.side(endpoints.server, endpoints.serverPort, responseBytes)
        let serverEnd = json.mark
        json.verbatim(#","client":"#)
        json.repeatValue(from: client, to: clientEnd)
        json.verbatim(#","server":"#)
        json.repeatValue(from: server, to: serverEnd)
        let ipv4 = endpoints.client.family == .ipv4
        switch endpoints.transport {
        case .tcp: json.verbatim(#""network":{"transport":"tcp""#)
        case .udp: json.verbatim(#""network":{"transport":"udp""#)
        // Packetbeat/ECS name ICMPv6 "ipv6-icmp".
        case .icmp: json.verbatim(ipv4 ? #""network":{"transport":"icmp""# : #""network":{"transport":"ipv6-icmp""#)
        }
        json.verbatim(ipv4 ? #""type":"ipv4""# : #""type":"ipv6""#)
        json.verbatim(#","protocol":"#)
        json.repeatValue(from: name, to: nameEnd)
        json.verbatim(#","community_id":"#)
        if let text = endpoints.cachedCommunityID {
            json.communityID(text)
        } else {
            json.communityID(endpoints.communityID)
        }
        json.verbatim(#""bytes":"#)
        json.number(requestBytes &+ responseBytes)
        if endpoints.vlanID != 0 {
            json.verbatim(#""vlan":{"id":"#)
            json.beginString()
            json.piece(UInt64(endpoints.vlanID))
            json.endString()
            json.verbatim("}")
        }
        json.verbatim("}")
    }

    public var json: String {
        var output: [UInt8] = []
        appendJSON(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// One human-readable line: time, protocol, client → server, status,
    /// duration, then what the protocol says about the exchange.
    public var line: String {
        var output: [UInt8] = []
        appendLine(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// `line`, appended as UTF-8 bytes (no newline): rendered in place, with
    /// no intermediate Strings but the protocol's summary.
    public func appendLine(to output: inout [UInt8]) {
        func pad(from start: Int, to width: Int) {
            let written = output.count &- start
            if written < width { output.append(contentsOf: repeatElement(0x20, count: width &- written)) }
        }
        func endpoint(_ address: IPAddress, _ port: UInt16) {
            let ipv6 = address.family == .ipv6
            if ipv6 { output.append(0x5B) }
            address.appendText(to: &output)
            if ipv6 { output.append(0x5D) }
            output.append(0x3A)
            output += String(port).utf8
        }
        Timestamp.appendRFC3339(start, to: &output)
        output.append(0x20)
        var column = output.count
        output += application.rawValue.utf8
        pad(from: column, to: 4)
        output.append(0x20)
        column = output.count
        endpoint(endpoints.client, endpoints.clientPort)
        pad(from: column, to: 21)
        output += " -> ".utf8
        endpoint(endpoints.server, endpoints.serverPort)
        output.append(0x20)
        output += endpoints.transport.name.utf8
        output.append(0x20)
        column = output.count
        output += status.rawValue.utf8
        pad(from: column, to: 5)
        output.append(0x20)
        // Milliseconds with three decimals ("12.345ms"), padded to 10.
        column = output.count
        let micros = duration / 1000
        output += String(micros / 1000).utf8
        output.append(0x2E)
        let fraction = micros % 1000
        if fraction < 100 { output.append(0x30) }
        if fraction < 10 { output.append(0x30) }
        output += String(fraction).utf8
        output += "ms".utf8
        pad(from: column, to: 10)
        output.append(0x20)
        output += details.summary.utf8
        if !notes.isEmpty {
            output += " [".utf8
            for (index, note) in notes.enumerated() {
                if index > 0 { output += "; ".utf8 }
                output += note.utf8
            }
            output.append(0x5D)
        }
    }
}
