import Foundation
import ScopeAnalyzers
import ScopeTestSupport
import Testing
@testable import ScopeExport

/// JSONLineParser against Foundation's JSONDecoder (what EventFields read
/// with before): every event line of every fixture reads to the same
/// values (object members compared by key: JSONDecoder's order is its
/// dictionary's), and the corners of strings and numbers agree.
@Suite struct JSONLineParserTests {
    /// The canonical text of a value, objects' members sorted by key.
    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .object(let members):
            return "{" + members.sorted { $0.0 < $1.0 }.map { "\($0.0):\(canonical($0.1))" }.joined(separator: ",") + "}"
        case .array(let elements): return "[" + elements.map(canonical).joined(separator: ",") + "]"
        case .string(let text): return "s" + text.debugDescription
        case .int(let value): return "i\(value)"
        case .double(let value): return "d\(value)"
        case .bool(let value): return "b\(value)"
        case .null: return "null"
        }
    }

    static func reference(_ line: [UInt8]) -> String? {
        (try? JSONDecoder().decode(ReferenceJSON.self, from: Data(line))).map { canonical($0.value) }
    }

    static func parsed(_ line: [UInt8]) -> String? { JSONLineParser.parse(line).map(canonical) }

    @Test func everyFixtureEventReadsAsJSONDecoderReadsIt() throws {
        var compared = 0
        for fixture in ["http.pcap", "dns.pcap", "redis.pcap", "mysql.pcap", "pgsql.pcap", "memcache.pcap", "icmp.pcap",
                        "tls.pcap", "http2.pcap", "grpc.pcap", "dns-types.pcap", "http-edge.pcap"] {
            for event in try FixtureAnalysis.events(fixture) {
                let line = Array(event.json.utf8)
                let ours = Self.parsed(line)
                #expect(ours != nil && ours == Self.reference(line), "\(fixture): \(event.json)")
                compared += 1
            }
        }
        #expect(compared > 500)
    }

    @Test func stringsAndNumbersAtTheirCorners() {
        let lines = [
            #"{"a":"plain","b":"q\"b\\s\/n\n\r\t\b\f","c":"\u00e9\u4e2d\ud83d\ude00","d":""}"#,
            #"{"i":0,"j":-0,"k":9223372036854775807,"l":-9223372036854775808,"m":18446744073709551615}"#,
            #"{"x":1.5,"y":1.0,"z":1e2,"w":-2.5E-3,"v":123456789.125}"#,
            #"{"t":true,"f":false,"n":null,"e":[],"o":{},"nested":[{"k":"v","n":1},[1,"2",[true]]]}"#,
            " { \"spaced\" : [ 1 , 2 ] } \n",
            // Integers read without a String (up to 18 digits) and past them.
            #"{"a":123456789012345678,"b":-123456789012345678,"c":1234567890123456789,"d":-1234567890123456789,"e":7}"#,
            // Raw UTF-8 (not escaped): the line is not ASCII, strings are validated.
            #"{"é":"ç中😀","plain":"x","n":-12}"#,
        ]
        for line in lines.map({ Array($0.utf8) }) {
            #expect(Self.parsed(line) != nil && Self.parsed(line) == Self.reference(line), "\(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test func malformedLinesAreRefused() {
        for text in [#"{"a":1"#, #"{"a":}"#, #"{"a" 1}"#, #"{"a":"\x"}"#, #"{"a":"\ud83d"}"#, "{\"a\":\"\u{01}\"}",
                     #"{"a":tru}"#, #"{"a":1}x"#, "", "[" + String(repeating: "[", count: 100) + "]",
                     #"{"a":"\u12"}"#, #"{"a":1e400}"#] {
            #expect(JSONLineParser.parse(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(JSONLineParser.parse(Array("[1]".utf8)) != nil && EventFields(json: Array("[1]".utf8)) == nil)
        // Invalid UTF-8 inside a string, in a line that is otherwise ASCII or not.
        for bytes: [UInt8] in [Array(#"{"a":""#.utf8) + [0xC3] + Array(#""}"#.utf8),
                               Array(#"{"é":""#.utf8) + [0xFF, 0x41] + Array(#""}"#.utf8)] {
            #expect(JSONLineParser.parse(bytes) == nil, "\(bytes)")
        }
        #expect(JSONLineParser.parse(Array(#"{"a":-}"#.utf8)) == nil && JSONLineParser.parse(Array(#"{"a":--1}"#.utf8)) == nil)
    }
}

/// The old reading: JSONDecoder through Codable, trying each type in turn.
private struct ReferenceJSON: Decodable {
    var value: JSONValue

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            value = .object(try object.allKeys.map { ($0.stringValue, try object.decode(ReferenceJSON.self, forKey: $0).value) })
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !array.isAtEnd { values.append(try array.decode(ReferenceJSON.self).value) }
            value = .array(values)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            value = .null
        } else if let bool = try? single.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? single.decode(Int64.self) {
            value = .int(int)
        } else if let unsigned = try? single.decode(UInt64.self) {
            value = .int(Int64(bitPattern: unsigned))
        } else if let double = try? single.decode(Double.self) {
            value = .double(double)
        } else {
            value = .string(try single.decode(String.self))
        }
    }
}
