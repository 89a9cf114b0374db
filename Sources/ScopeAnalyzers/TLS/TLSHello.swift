/// Record and handshake types the analyzer reads (RFC 8446, 5246).
enum TLSRecord {
    static let changeCipherSpec: UInt8 = 20
    static let alert: UInt8 = 21
    static let handshake: UInt8 = 22
    static let applicationData: UInt8 = 23
}

enum TLSHandshake {
    static let clientHello: UInt8 = 1
    static let serverHello: UInt8 = 2
    static let certificate: UInt8 = 11
    static let serverHelloDone: UInt8 = 14
}

/// What a ClientHello offers.
public struct TLSClientHello: Sendable, Equatable {
    public var legacyVersion: UInt16 = 0
    /// `supported_versions`, when present (TLS 1.3 clients), else empty.
    public var supportedVersions: [UInt16] = []
    public var cipherSuites: [UInt16] = []
    public var extensions: [UInt16] = []
    public var serverName: String?
    public var alpn: [String] = []
    /// The first ALPN value's bytes (JA4), nil without the extension.
    public var firstProtocol: [UInt8]?
    public var supportedGroups: [UInt16] = []
    /// `ec_point_formats` (JA3).
    public var pointFormats: [UInt8] = []
    public var signatureAlgorithms: [UInt16] = []
    public var sessionID: [UInt8] = []
    /// A `session_ticket` or `pre_shared_key` extension with data: resumption offered.
    public var offersTicket = false
    public var offersPSK = false
    public var time: UInt64 = 0

    /// The highest version offered, `supported_versions` first.
    public var offeredVersion: UInt16 {
        supportedVersions.filter { !TLSNames.isGrease($0) }.max() ?? legacyVersion
    }
}

/// What a ServerHello chose.
public struct TLSServerHello: Sendable, Equatable {
    public var legacyVersion: UInt16 = 0
    /// `supported_versions` (TLS 1.3), else nil.
    public var selectedVersion: UInt16?
    public var cipherSuite: UInt16 = 0
    public var extensions: [UInt16] = []
    public var alpn: String?
    /// The chosen ALPN value's bytes (JA4S).
    public var protocolBytes: [UInt8]?
    public var sessionID: [UInt8] = []
    /// A HelloRetryRequest: a ServerHello with the special random.
    public var isRetryRequest = false
    public var time: UInt64 = 0

    public var version: UInt16 { selectedVersion ?? legacyVersion }
}

/// Parses hello messages from a whole handshake message body. Every read
/// is bounds-checked; a malformed hello returns nil.
struct TLSHelloParser {
    private var reader: TLSBytes

    init(_ body: UnsafeRawBufferPointer) { reader = TLSBytes(body) }

    /// The random HelloRetryRequest carries (SHA-256 of "HelloRetryRequest").
    static let retryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    mutating func clientHello() -> TLSClientHello? {
        var hello = TLSClientHello()
        guard let version = reader.u16(), reader.skip(32), let sessionIDLength = reader.u8(),
              let sessionID = reader.bytes(Int(sessionIDLength)) else { return nil }
        hello.legacyVersion = version
        hello.sessionID = sessionID
        guard let suitesLength = reader.u16(), suitesLength % 2 == 0,
              let suites = reader.sub(Int(suitesLength)) else { return nil }
        hello.cipherSuites = suites.u16Values()
        guard let compression = reader.u8(), reader.skip(Int(compression)) else { return nil }
        // Room for as many extensions as the block can hold (4 bytes at
        // least each): appended one by one, the list grew by doubling.
        var peek = reader
        if let length = peek.u16() { hello.extensions.reserveCapacity(Int(length) / 4) }
        let whole = forEachExtension { type, data in
            hello.extensions.append(type)
            switch type {
            case 0: hello.serverName = Self.serverName(&data)
            case 10: hello.supportedGroups = Self.list16(&data, lengthBytes: 2)
            case 11: hello.pointFormats = Self.list8(&data)
            case 13: hello.signatureAlgorithms = Self.list16(&data, lengthBytes: 2)
            case 16:
                let values = Self.protocolValues(&data)
                hello.alpn = values.map { String(decoding: $0, as: UTF8.self) }
                hello.firstProtocol = values.first ?? []
            case 35: hello.offersTicket = data.remaining > 0
            case 41: hello.offersPSK = true
            case 43: hello.supportedVersions = Self.list16(&data, lengthBytes: 1)
            default: break
            }
        }
        return whole ? hello : nil
    }

    mutating func serverHello() -> TLSServerHello? {
        var hello = TLSServerHello()
        guard let version = reader.u16(), let random = reader.bytes(32), let sessionIDLength = reader.u8(),
              let sessionID = reader.bytes(Int(sessionIDLength)), let suite = reader.u16(), reader.skip(1) else {
            return nil
        }
        hello.legacyVersion = version
        hello.isRetryRequest = random == Self.retryRandom
        hello.sessionID = sessionID
        hello.cipherSuite = suite
        let whole = forEachExtension { type, data in
            hello.extensions.append(type)
            switch type {
            case 16:
                hello.protocolBytes = Self.protocolValues(&data).first
                hello.alpn = hello.protocolBytes.map { String(decoding: $0, as: UTF8.self) }
            case 43: hello.selectedVersion = data.u16()
            default: break
            }
        }
        return whole ? hello : nil
    }

    /// The extensions block, if any (old clients send none), one extension
    /// at a time; false when it does not add up.
    private mutating func forEachExtension(_ body: (UInt16, inout TLSBytes) -> Void) -> Bool {
        guard reader.remaining > 0 else { return true }
        guard let length = reader.u16(), var extensions = reader.sub(Int(length)) else { return false }
        while extensions.remaining > 0 {
            guard let type = extensions.u16(), let size = extensions.u16(), var data = extensions.sub(Int(size)) else {
                return false
            }
            body(type, &data)
        }
        return true
    }

    /// `server_name`: the first host_name entry.
    private static func serverName(_ data: inout TLSBytes) -> String? {
        guard let listLength = data.u16(), var list = data.sub(Int(listLength)) else { return nil }
        while let kind = list.u8(), let length = list.u16(), let name = list.slice(Int(length)) {
            if kind == 0 { return String(decoding: name, as: UTF8.self) }
        }
        return nil
    }

    /// ALPN protocol names, as bytes.
    private static func protocolValues(_ data: inout TLSBytes) -> [[UInt8]] {
        guard let listLength = data.u16(), var list = data.sub(Int(listLength)) else { return [] }
        var names: [[UInt8]] = []
        while let length = list.u8(), let name = list.bytes(Int(length)) { names.append(name) }
        return names
    }

    /// A vector of bytes behind a 1-byte length.
    private static func list8(_ data: inout TLSBytes) -> [UInt8] {
        guard let length = data.u8() else { return [] }
        return data.bytes(Int(length)) ?? []
    }

    /// A vector of 16-bit values behind a 1- or 2-byte length.
    private static func list16(_ data: inout TLSBytes, lengthBytes: Int) -> [UInt16] {
        let length = lengthBytes == 1 ? data.u8().map(Int.init) : data.u16().map(Int.init)
        guard let length, let list = data.sub(length) else { return [] }
        return list.u16Values()
    }
}

/// A bounds-checked cursor over bytes the parser owns for the call.
struct TLSBytes {
    private let base: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { base = bytes }

    var remaining: Int { base.count &- offset }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset &+= 1 }
        return base[offset]
    }

    mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { offset &+= 2 }
        return UInt16(base[offset]) << 8 | UInt16(base[offset &+ 1])
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        offset &+= count
        return true
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset &+= count }
        return Array(base[offset..<(offset &+ count)])
    }

    /// The rest as big-endian 16-bit values (an odd last byte left out),
    /// written into one allocation: appended one at a time, a list of
    /// cipher suites was a reallocation per doubling and a capacity check
    /// per value (BENCHMARKS.md, issue 16).
    func u16Values() -> [UInt16] {
        let count = remaining / 2
        guard count > 0 else { return [] }
        return [UInt16](unsafeUninitializedCapacity: count) { values, initialized in
            for index in 0..<count {
                let at = offset &+ index &* 2
                values[index] = UInt16(base[at]) << 8 | UInt16(base[at &+ 1])
            }
            initialized = count
        }
    }

    /// The next `count` bytes as their own cursor.
    mutating func sub(_ count: Int) -> TLSBytes? { slice(count).map(TLSBytes.init) }

    /// The next `count` bytes where they lie (no copy).
    mutating func slice(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset &+= count }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset &+ count)])
    }
}
