/// A handshake's hello fields (`TLSClientFields`, `TLSServerFields`: the
/// fingerprints, cipher names, versions and extensions as rendered JSON)
/// looked up by everything they are made from, shared by an engine's TLS
/// sessions: a client sends the same ClientHello lists on every connection
/// and a server answers them alike. Building the fingerprint texts and
/// finding their digests was a fifth of a TLS 1.3 handshake's analysis even
/// with every digest memoised, rendering the lists about 8 %
/// (BENCHMARKS.md, issue 16). A miss computes the digests through `digests`
/// (which still hits for a client that reorders its extensions: JA4 sorts
/// them). Bounded in entries and bytes; when full it starts over.
final class TLSHelloCache {
    static let maxEntries = 1024
    static let maxBytes = 1 << 20

    let digests = TLSDigestCache()
    private var clients: [ClientKey: TLSClientFields] = [:]
    private var servers: [ServerKey: TLSServerFields] = [:]
    private(set) var bytes = 0
    var count: Int { clients.count &+ servers.count }

    func client(_ hello: TLSClientHello) -> TLSClientFields {
        let key = ClientKey(hello)
        if let known = clients[key] { return known }
        let fields = TLSClientFields(hello, digests: digests)
        if makeRoom(for: key.byteCount &+ fields.byteCount) { clients[key] = fields }
        return fields
    }

    func server(_ hello: TLSServerHello) -> TLSServerFields {
        let key = ServerKey(hello)
        if let known = servers[key] { return known }
        let fields = TLSServerFields(hello, digests: digests)
        if makeRoom(for: key.byteCount &+ fields.byteCount) { servers[key] = fields }
        return fields
    }

    /// Whether an entry of `size` bytes (its lists and its fields) is kept;
    /// empties the cache first when it would go over a bound.
    private func makeRoom(for size: Int) -> Bool {
        guard size <= Self.maxBytes / 4 else { return false }
        if count >= Self.maxEntries || bytes &+ size > Self.maxBytes {
            clients.removeAll(keepingCapacity: true)
            servers.removeAll(keepingCapacity: true)
            bytes = 0
        }
        bytes &+= size
        return true
    }

    /// What `TLSClientFields` reads of a ClientHello (GREASE values
    /// included: equal lists give equal fields, whatever is left out of them).
    private struct ClientKey: Hashable {
        let legacyVersion: UInt16
        let supportedVersions, cipherSuites, extensions, supportedGroups, signatureAlgorithms: [UInt16]
        let pointFormats: [UInt8]
        let firstProtocol: [UInt8]?

        init(_ hello: TLSClientHello) {
            legacyVersion = hello.legacyVersion
            supportedVersions = hello.supportedVersions
            cipherSuites = hello.cipherSuites
            extensions = hello.extensions
            supportedGroups = hello.supportedGroups
            signatureAlgorithms = hello.signatureAlgorithms
            pointFormats = hello.pointFormats
            firstProtocol = hello.firstProtocol
        }

        /// The lists' bytes.
        var byteCount: Int {
            2 &* (supportedVersions.count &+ cipherSuites.count &+ extensions.count &+ supportedGroups.count
                  &+ signatureAlgorithms.count) &+ pointFormats.count &+ (firstProtocol?.count ?? 0) &+ 32
        }

        // Each list hashed as its count and its bytes in one call: the
        // synthesised hash combines element by element.
        func hash(into hasher: inout Hasher) {
            hasher.combine(legacyVersion)
            combine(supportedVersions, &hasher)
            combine(cipherSuites, &hasher)
            combine(extensions, &hasher)
            combine(supportedGroups, &hasher)
            combine(signatureAlgorithms, &hasher)
            combine(pointFormats, &hasher)
            hasher.combine(firstProtocol != nil)
            if let firstProtocol { combine(firstProtocol, &hasher) }
        }
    }

    /// What `TLSServerFields` reads of a ServerHello.
    private struct ServerKey: Hashable {
        let legacyVersion: UInt16
        let selectedVersion: UInt16?
        let cipherSuite: UInt16
        let extensions: [UInt16]
        let protocolBytes: [UInt8]?

        init(_ hello: TLSServerHello) {
            legacyVersion = hello.legacyVersion
            selectedVersion = hello.selectedVersion
            cipherSuite = hello.cipherSuite
            extensions = hello.extensions
            protocolBytes = hello.protocolBytes
        }

        var byteCount: Int { 2 &* extensions.count &+ (protocolBytes?.count ?? 0) &+ 32 }

        func hash(into hasher: inout Hasher) {
            hasher.combine(legacyVersion)
            hasher.combine(selectedVersion)
            hasher.combine(cipherSuite)
            combine(extensions, &hasher)
            hasher.combine(protocolBytes != nil)
            if let protocolBytes { combine(protocolBytes, &hasher) }
        }
    }
}

private func combine<Element>(_ list: [Element], _ hasher: inout Hasher) {
    hasher.combine(list.count)
    list.withUnsafeBytes { hasher.combine(bytes: $0) }
}
