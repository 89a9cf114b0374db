import Foundation
import Testing
@testable import ScopeDecode

@Suite("JSON, timestamps and address text")
struct JSONTests {
    @Test(arguments: [
        (UInt64(0), "1970-01-01T00:00:00.000000000Z"),
        (951_782_400_000_000_001, "2000-02-29T00:00:00.000000001Z"),
        (951_868_799_999_999_999, "2000-02-29T23:59:59.999999999Z"),
        (4_102_444_800_000_000_000, "2100-01-01T00:00:00.000000000Z"),
        (1_700_000_000_123_456_000, "2023-11-14T22:13:20.123456000Z"),
        (UInt64.max, "2554-07-21T23:34:33.709551615Z"),
    ])
    func rfc3339(nanoseconds: UInt64, text: String) {
        #expect(Timestamp.rfc3339(nanoseconds) == text)
    }

    @Test func escaping() {
        var writer = JSONWriter()
        writer.string("q\"b\\s/n\nr\rt\tb\u{08}f\u{0C}z\u{00}e\u{1F}d\u{7F}é☃")
        let text = String(decoding: writer.output, as: UTF8.self)
        #expect(text == "\"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\fz\\u0000e\\u001fd\u{7F}é☃\"")
    }

    @Test func escapedStringsRoundTripThroughAJSONParser() throws {
        let nasty = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) }.map(String.init).joined() + "😀\u{2028}"
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("k\"ey", nasty)
        writer.key("list")
        writer.beginArray(); writer.number(1); writer.bool(false); writer.null(); writer.endArray()
        writer.endObject()
        let parsed = try JSONSerialization.jsonObject(with: Data(writer.output)) as? [String: Any]
        #expect(parsed?["k\"ey"] as? String == nasty)
        #expect((parsed?["list"] as? [Any])?.count == 3)
    }

    @Test func invalidUTF8BytesAreRepaired() {
        var writer = JSONWriter()
        writer.string(utf8: [0x61, 0xFF, 0x62])
        #expect(String(decoding: writer.output, as: UTF8.self) == "\"a\u{FFFD}b\"")
    }

    @Test(arguments: [
        "0.0.0.0", "255.255.255.255", "2001:db8::1", "::", "::1", "fe80::200:86ff:fe05:80da",
        "2001:db8:0:1:1:1:1:1", "2001:db8::1:0:0:1", "1::", "ff02::2",
    ])
    func addressTextRoundTrips(text: String) {
        #expect(ip(text).description == text)
    }

    @Test func addressParsing() {
        #expect(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description == "2001:db8::1")
        #expect(IPAddress("::ffff:192.0.2.1")?.low == 0x0000_FFFF_C000_0201)
        #expect(IPAddress("1.2.3") == nil)
        #expect(IPAddress("1.2.3.256") == nil)
        #expect(IPAddress("1::2::3") == nil)
        #expect(IPAddress("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPAddress("12345::") == nil)
        #expect(ip("10.0.0.1") < ip("10.0.0.2"))
        #expect(ip("9.255.255.255") < ip("10.0.0.0"))
    }

    static func sampleEvent() -> FlowEvent {
        FlowEvent(
            timestamp: 1_700_000_010_000_000_000, flowID: 0x0123_4567_89AB_CDEF, isFinal: true, endReason: .closed,
            start: 1_700_000_000_000_000_000, end: 1_700_000_004_500_000_000,
            source: ip("128.232.110.120"), sourcePort: 34855, sourceBytes: 262, sourcePackets: 3,
            destination: ip("66.35.250.204"), destinationPort: 80, destinationBytes: 1108, destinationPackets: 2,
            ipProtocol: 6, vlanID: 42,
            communityID: CommunityID.digest(source: ip("128.232.110.120"), destination: ip("66.35.250.204"),
                                            ipProtocol: 6, sourcePort: 34855, destinationPort: 80),
            tcpState: [.syn, .synAck])
    }

    @Test func flowEventJSON() {
        let expected = """
        {"@timestamp":"2023-11-14T22:13:30.000000000Z","type":"flow",\
        "event":{"kind":"event","category":["network"],"type":["connection"],"action":"network_flow",\
        "dataset":"flow","start":"2023-11-14T22:13:20.000000000Z","end":"2023-11-14T22:13:24.500000000Z",\
        "duration":4500000000},\
        "flow":{"id":"0123456789abcdef","final":true},\
        "source":{"ip":"128.232.110.120","port":34855,"bytes":262,"packets":3},\
        "destination":{"ip":"66.35.250.204","port":80,"bytes":1108,"packets":2},\
        "network":{"transport":"tcp","type":"ipv4","community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg=",\
        "bytes":1370,"packets":5,"vlan":{"id":"42"}}}
        """
        #expect(JSONTests.sampleEvent().json == expected)
    }

    @Test func flowEventJSONForICMPv6WithoutVLAN() throws {
        var event = JSONTests.sampleEvent()
        event.source = ip("fe80::1")
        event.destination = ip("ff02::1")
        event.ipProtocol = 58
        event.vlanID = 0
        event.isFinal = false
        var output: [UInt8] = Array("prefix ".utf8)
        event.appendJSON(to: &output)
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasPrefix("prefix {\"@timestamp\""))
        let parsed = try JSONSerialization.jsonObject(with: Data(output.dropFirst(7))) as? [String: Any]
        let network = parsed?["network"] as? [String: Any]
        #expect(network?["transport"] as? String == "ipv6-icmp")
        #expect(network?["type"] as? String == "ipv6")
        #expect(network?["vlan"] == nil)
        let source = parsed?["source"] as? [String: Any]
        #expect(source?["ip"] as? String == "fe80::1")
        #expect(source?["port"] == nil)
        #expect((parsed?["flow"] as? [String: Any])?["final"] as? Bool == false)
    }
}
