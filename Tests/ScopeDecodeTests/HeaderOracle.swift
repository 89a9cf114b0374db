import Glibc
import Testing
@testable import ScopeDecode

/// Real captures and what tshark says about each of their packets, recorded
/// by Tests/Fixtures/captures/make-headers.sh into headers-oracle/*.tsv (the
/// exact tshark command is the first line of every table). The header tests
/// decode each packet and compare the decoder's fields with tshark's.
struct OracleCapture: Sendable {
    /// headers.pcap: every header kind the decoder handles; extra.pcap: a
    /// lossy download whose ACKs carry SACK blocks, fragments, VXLAN.
    static let all: [OracleCapture] = [
        OracleCapture(name: "headers", pcap: "Tests/Fixtures/captures/headers.pcap"),
        OracleCapture(name: "extra", pcap: "Tests/Fuzz/captures/extra.pcap"),
    ]

    let name: String
    let frames: [Int: OracleFrame]

    init(name: String, pcap: String) {
        self.name = name
        let captured = readCapture(pcap) ?? []
        let layers = OracleTable(capture: name, layer: "frames")
        var frames: [Int: OracleFrame] = [:]
        for (index, frame) in captured.enumerated() {
            let protocols = layers.rows[index + 1]?.values("frame.protocols").first ?? ""
            frames[index + 1] = OracleFrame(number: index + 1, bytes: frame.bytes, protocols: protocols)
        }
        self.frames = frames
    }

    /// Rows of one tshark table with their decoded frame (none when the table
    /// is missing: the tests' minimum row counts catch that). A row naming a
    /// frame the capture lacks fails the test.
    func rows(_ layer: String) -> [(row: OracleRow, frame: OracleFrame)] {
        let table = OracleTable(capture: name, layer: layer)
        return table.rows.keys.sorted().compactMap { number in
            guard let frame = frames[number], let row = table.rows[number] else {
                Issue.record("\(name) frame \(number) is in \(layer).tsv but not in the capture")
                return nil
            }
            return (row, frame)
        }
    }
}

/// One packet: its bytes, the decoder's view of them, and tshark's layer
/// path (frame.protocols without the "ethertype" pseudo-layers). The path
/// stops after the first ICMP header: what follows is a quoted datagram the
/// decoder does not open, so field occurrences are counted within the path.
struct OracleFrame: Sendable {
    let number: Int
    let bytes: [UInt8]
    let path: [String]
    let packet: DecodedPacket
    let error: DecodeError?

    init(number: Int, bytes: [UInt8], protocols: String) {
        self.number = number
        self.bytes = bytes
        var path: [String] = []
        for layer in protocols.split(separator: ":").map(String.init) where layer != "ethertype" {
            path.append(layer)
            if layer == "icmp" || layer == "icmpv6" { break }
        }
        self.path = path
        (packet, error, _) = decode(bytes)
    }

    /// Indices in `path` where `layer` occurs, outermost first.
    func positions(of layer: String) -> [Int] {
        path.indices.filter { path[$0] == layer }
    }

    /// How many IP layers precede `position`: 0 for the outermost IP header.
    /// Tunnel i sits inside IP layer i, so this is also the tunnel index.
    func ipLayerIndex(at position: Int) -> Int {
        path[..<position].filter { $0 == "ip" || $0 == "ipv6" }.count
    }

    /// Tunnels tshark decapsulated in this packet.
    var tunnelCount: Int { path.indices.filter { isTunnel(at: $0) }.count }

    /// Tunnels tshark decapsulated before `position` (GRE with a payload the
    /// decoder opens, VXLAN).
    func tunnelIndex(at position: Int) -> Int {
        path[..<position].indices.filter { isTunnel(at: $0) }.count
    }

    func isTunnel(at position: Int) -> Bool {
        guard position + 1 < path.count else { return false }
        switch path[position] {
        case "vxlan": return true
        case "gre": return ["eth", "ip", "ipv6"].contains(path[position + 1])
        default: return false
        }
    }

    var label: String { "frame \(number) (\(path.joined(separator: ":")))" }
}

/// One tshark -T fields table: rows by frame number, each field a list of
/// its occurrences (outermost first, as tshark prints them).
struct OracleTable {
    let command: String
    let rows: [Int: OracleRow]

    init(capture: String, layer: String) {
        let text = readRepositoryText("Tests/Fixtures/captures/headers-oracle/\(capture).\(layer).tsv") ?? ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        command = lines.first?.hasPrefix("# ") == true ? lines.removeFirst() : ""
        guard let header = lines.first?.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) else {
            rows = [:]
            return
        }
        var rows: [Int: OracleRow] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var fields: [String: [String]] = [:]
            for (name, cell) in zip(header, cells) where !cell.isEmpty {
                fields[name] = cell.split(separator: ",").map(String.init)
            }
            if let number = Int(cells.first ?? "") { rows[number] = OracleRow(fields: fields) }
        }
        self.rows = rows
    }
}

struct OracleRow: Sendable {
    let fields: [String: [String]]

    func values(_ field: String) -> [String] { fields[field] ?? [] }

    func string(_ field: String, _ occurrence: Int = 0) -> String? {
        let list = values(field)
        return occurrence < list.count ? list[occurrence] : nil
    }

    /// Decimal, or hexadecimal with a 0x prefix, as tshark prints integers.
    func int(_ field: String, _ occurrence: Int = 0) -> Int? {
        guard let text = string(field, occurrence) else { return nil }
        return text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }

    func address(_ field: String, _ occurrence: Int = 0) -> IPAddress? {
        string(field, occurrence).flatMap { IPAddress($0) }
    }

    /// "aa:bb:cc:dd:ee:ff" as the decoder's 48-bit value.
    func mac(_ field: String, _ occurrence: Int = 0) -> UInt64? {
        guard let text = string(field, occurrence) else { return nil }
        let octets = text.split(separator: ":").compactMap { UInt64($0, radix: 16) }
        return octets.count == 6 ? octets.reduce(0) { $0 << 8 | $1 } : nil
    }
}

/// A text file at `relativePath` from the repository root.
func readRepositoryText(_ relativePath: String) -> String? {
    // #filePath may run through the scratch package's symlink: resolve it.
    guard let resolved = realpath(#filePath, nil) else { return nil }
    defer { free(resolved) }
    var root = String(cString: resolved)
    for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
    guard let file = fopen(root + "/" + relativePath, "rb") else { return nil }
    defer { fclose(file) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while case let count = fread(&chunk, 1, chunk.count, file), count > 0 {
        data += chunk[0..<count]
    }
    return String(decoding: data, as: UTF8.self)
}
