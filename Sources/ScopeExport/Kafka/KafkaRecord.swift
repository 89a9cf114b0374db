/// One event on its way to Kafka, as the exporter's queue and spool keep
/// it: the topic and key chosen when it was taken (so a replay after a
/// restart lands where the first attempt would have), then the JSON line.
///
/// Layout: topic length (UInt16 LE), topic, key length (UInt16 LE), key, value.
public struct KafkaRecord: Equatable, Sendable {
    public var topic: String
    /// The event's Community ID: a flow's events and transactions share it,
    /// so they land in one partition, in order. Empty: no key.
    public var key: [UInt8]
    public var value: [UInt8]

    public init(topic: String, key: [UInt8], value: [UInt8]) {
        self.topic = topic
        self.key = key
        self.value = value
    }

    /// `topic` may contain `{dataset}`, replaced by the event's
    /// `event.dataset` ("http", "dns", "flow" …; "unknown" when absent).
    public init(json line: [UInt8], topic template: String) {
        if template.contains("{dataset}") {
            let dataset = Self.stringField("dataset", in: line).map(Self.topicSafe) ?? "unknown"
            topic = template.replacingOccurrences(of: "{dataset}", with: dataset.isEmpty ? "unknown" : dataset)
        } else {
            topic = template
        }
        key = Self.stringField("community_id", in: line).map { Array($0.utf8) } ?? []
        value = line
    }

    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        let topicBytes = Array(topic.utf8.prefix(Int(UInt16.max)))
        bytes.reserveCapacity(4 + topicBytes.count + key.count + value.count)
        Self.appendLength(topicBytes.count, to: &bytes)
        bytes.append(contentsOf: topicBytes)
        Self.appendLength(min(key.count, Int(UInt16.max)), to: &bytes)
        bytes.append(contentsOf: key.prefix(Int(UInt16.max)))
        bytes.append(contentsOf: value)
        return bytes
    }

    /// Nil when the bytes are not a record (a damaged spool file).
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 4 else { return nil }
        let topicLength = Int(bytes[0]) | Int(bytes[1]) << 8
        guard bytes.count >= 4 + topicLength else { return nil }
        let keyAt = 2 + topicLength
        let keyLength = Int(bytes[keyAt]) | Int(bytes[keyAt + 1]) << 8
        guard bytes.count >= keyAt + 2 + keyLength else { return nil }
        topic = String(decoding: bytes[2..<keyAt], as: UTF8.self)
        key = Array(bytes[(keyAt + 2)..<(keyAt + 2 + keyLength)])
        value = Array(bytes[(keyAt + 2 + keyLength)...])
    }

    private static func appendLength(_ length: Int, to bytes: inout [UInt8]) {
        bytes.append(UInt8(length & 0xFF))
        bytes.append(UInt8(length >> 8 & 0xFF))
    }

    /// The first `"name":"…"` of the line. Inside a JSON string the quotes
    /// around such a sequence would be escaped, so the first unescaped match
    /// is the key itself (ECS puts `event` and `network` before any field
    /// that carries captured text).
    static func stringField(_ name: String, in line: [UInt8]) -> String? {
        let pattern = Array("\"\(name)\":\"".utf8)
        guard line.count > pattern.count else { return nil }
        var index = 0
        let last = line.count - pattern.count
        while index <= last {
            if line[index] == pattern[0] && line[index..<index + pattern.count].elementsEqual(pattern) {
                let start = index + pattern.count
                var end = start
                while end < line.count && line[end] != UInt8(ascii: "\"") && line[end] != UInt8(ascii: "\\") { end += 1 }
                guard end < line.count, line[end] == UInt8(ascii: "\"") else { return nil }
                return String(decoding: line[start..<end], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }

    /// Kafka topic names allow [a-zA-Z0-9._-] only.
    static func topicSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(100).map {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-") ? $0 : "_"
        }))
    }
}
