/// Hand-built DNS messages for the parser tests.
enum DNSBuild {
    static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func u32(_ value: Int) -> [UInt8] { u16(value >> 16) + u16(value & 0xFFFF) }

    static func name(_ text: String) -> [UInt8] { labels(text) + [0] }

    /// Labels without the root: to be followed by a compression pointer.
    static func labels(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }

    static func header(id: Int, flags: Int, questions: Int = 1, answers: Int = 0, authorities: Int = 0,
                       additionals: Int = 0) -> [UInt8] {
        u16(id) + u16(flags) + u16(questions) + u16(answers) + u16(authorities) + u16(additionals)
    }

    static func question(_ name: [UInt8], type: Int, recordClass: Int = 1) -> [UInt8] {
        name + u16(type) + u16(recordClass)
    }

    static func record(_ name: [UInt8], type: Int, ttl: Int = 300, data: [UInt8], recordClass: Int = 1) -> [UInt8] {
        name + u16(type) + u16(recordClass) + u32(ttl) + u16(data.count) + data
    }

    /// Pointer to `offset` (compression).
    static func pointer(_ offset: Int) -> [UInt8] { [UInt8(0xC0 | offset >> 8), UInt8(offset & 0xFF)] }

    static func opt(udpSize: Int = 1232, dnssecOK: Bool = false) -> [UInt8] {
        [0] + u16(41) + u16(udpSize) + [0, 0] + u16(dnssecOK ? 0x8000 : 0) + u16(0)
    }

    /// A query for `name`/`type` with EDNS.
    static func query(id: Int, _ qname: String, type: Int) -> [UInt8] {
        header(id: id, flags: 0x0120, additionals: 1) + question(name(qname), type: type) + opt()
    }

    /// A response to `host.test` A carrying one record of every kind the
    /// renderer knows, names compressed against the question at offset 12.
    static func richResponse(id: Int) -> [UInt8] {
        let host = pointer(12)
        var records: [[UInt8]] = []
        records.append(record(host, type: 1, data: [10, 99, 0, 5]))
        records.append(record(host, type: 28, data: [0xfd, 0, 0, 0x99] + Array(repeating: 0, count: 11) + [5]))
        records.append(record(host, type: 5, data: labels("alias") + pointer(17)))  // alias.test
        records.append(record(host, type: 15, data: u16(10) + labels("mail") + pointer(17)))
        records.append(record(host, type: 16, data: [11] + Array("hello world".utf8) + [3] + Array("two".utf8)))
        records.append(record(host, type: 33, data: u16(0) + u16(5) + u16(80) + host))
        records.append(record(host, type: 12, data: host))
        records.append(record(host, type: 99, data: [1, 2, 0xab]))
        let soa = record(pointer(17), type: 6, data: labels("ns") + pointer(17) + labels("admin") + pointer(17)
                         + u32(2024) + u32(3600) + u32(600) + u32(86400) + u32(60))
        return header(id: id, flags: 0x8580, answers: records.count, authorities: 1, additionals: 1)
            + question(name("host.test"), type: 1) + records.flatMap { $0 } + soa + opt(dnssecOK: true)
    }
}
