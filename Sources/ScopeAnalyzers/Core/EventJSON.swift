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
    mutating func lowercased(_ text: some StringProtocol) {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return string(text.lowercased()) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.utf8.count) { buffer in
            for (index, byte) in text.utf8.enumerated() { buffer[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
            string(utf8: UnsafeRawBufferPointer(buffer))
        }
    }

    /// One side of the exchange: `"name":{"ip":…,"port":…,"bytes":…}`.
    mutating func side(_ name: StaticString, _ address: IPAddress, _ port: UInt16, _ bytes: UInt64) {
        beginObject(name)
        key("ip")
        self.address(address)
        field("port", UInt64(port))
        field("bytes", bytes)
        endObject()
    }
}

extension TransactionEvent {
    /// Appends the event as one ECS/Packetbeat JSON object, no newline.
    public func appendJSON(to output: inout [UInt8]) {
        var json = JSONWriter(reservingCapacity: 0)
        swap(&json.output, &output)
        defer { swap(&json.output, &output) }
        // The shared part in one block: at most about 800 bytes plus the notes.
        var room = 1024
        for note in notes { room &+= note.utf8.count &+ 2 }
        json.write(reserving: room) { appendShared(to: &$0) }
        details.appendFields(to: &json, endpoints: endpoints)
        json.endObject()
    }

    /// Everything but the protocol's own fields (and the closing brace).
    private func appendShared(to json: inout JSONCursor) {
        json.beginObject()
        json.key("@timestamp")
        json.timestamp(start)
        json.field("type", application.rawValue)
        json.beginObject("event")
        json.field("kind", "event")
        json.key("category")
        json.raw(#"["network"]"#)
        json.key("type")
        json.raw(#"["connection","protocol"]"#)
        json.field("dataset", application.rawValue)
        json.key("start")
        json.timestamp(start)
        json.key("end")
        json.timestamp(end)
        json.field("duration", duration)
        json.endObject()
        json.field("status", status.rawValue)
        if !notes.isEmpty {
            json.beginObject("error")
            json.key("message")
            json.beginString()
            for (index, note) in notes.enumerated() {
                if index > 0 { json.piece("; ") }
                json.piece(note)
            }
            json.endString()
            json.endObject()
        }
        let ends = endpoints
        json.side("source", ends.client, ends.clientPort, requestBytes)
        json.side("destination", ends.server, ends.serverPort, responseBytes)
        json.side("client", ends.client, ends.clientPort, requestBytes)
        json.side("server", ends.server, ends.serverPort, responseBytes)
        json.beginObject("network")
        // Packetbeat/ECS name ICMPv6 "ipv6-icmp".
        json.field("transport", ends.transport == .icmp && ends.client.family == .ipv6 ? "ipv6-icmp" : ends.transport.name)
        json.field("type", ends.client.family == .ipv4 ? "ipv4" : "ipv6")
        json.field("protocol", application.rawValue)
        json.key("community_id")
        json.communityID(ends.communityID)
        json.field("bytes", requestBytes &+ responseBytes)
        if ends.vlanID != 0 {
            json.beginObject("vlan")
            json.key("id")
            json.beginString()
            json.piece(UInt64(ends.vlanID))
            json.endString()
            json.endObject()
        }
        json.endObject()
    }

    public var json: String {
        var output: [UInt8] = []
        appendJSON(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// One human-readable line: time, protocol, client → server, status,
    /// duration, then what the protocol says about the exchange.
    public var line: String {
        func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
            address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
        let micros = duration / 1000
        let time = "\(micros / 1000).\(String(repeating: "0", count: 3 - String(micros % 1000).count))\(micros % 1000)ms"
        let summary = details.summary
        var text = "\(Timestamp.rfc3339(start)) \(application.rawValue.padded(4)) \(ends: endpoint(endpoints.client, endpoints.clientPort)) -> \(endpoint(endpoints.server, endpoints.serverPort))"
        text += " \(endpoints.transport.name) \(status.rawValue.padded(5)) \(time.padded(10)) \(summary)"
        if !notes.isEmpty { text += " [\(notes.joined(separator: "; "))]" }
        return text
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

extension DefaultStringInterpolation {
    fileprivate mutating func appendInterpolation(ends text: String) { appendLiteral(text.padded(21)) }
}
