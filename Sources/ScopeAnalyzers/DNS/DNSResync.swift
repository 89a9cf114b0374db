/// Finding the next DNS-over-TCP message start in bytes of unknown
/// framing: a length prefix of at least a header and a question, then a
/// header that fits the side (`DNSDetection.plausibleHeader`: a query from
/// the client, a response from the server) and, when the whole message is
/// at hand, a message that parses soundly to exactly that length. Random
/// bytes pass the header test rarely (it wants one question, a known
/// opcode and a zero Z bit); the parse rules out most of the rest.
enum DNSResync {
    /// Prefix and header: what it takes to judge a candidate start.
    static let window = 14

    /// The offset of the first plausible start, or nil and how many bytes
    /// at the end could not be judged yet (to hold for the next delivery).
    static func findStart(_ bytes: UnsafeRawBufferPointer, fromClient: Bool) -> (start: Int?, undecided: Int) {
        let wanted: ContentMatch = fromClient ? .fromClient : .fromServer
        var offset = 0
        while offset &+ window <= bytes.count {
            defer { offset &+= 1 }
            let length = Int(DNSParser.u16(bytes, offset))
            guard length >= 17, DNSDetection.plausibleHeader(bytes, at: offset &+ 2) == wanted else { continue }
            let end = offset &+ 2 &+ length
            guard end <= bytes.count else { return (offset, 0) }
            guard case .success(let message) = DNSParser.parse(UnsafeRawBufferPointer(rebasing: bytes[(offset &+ 2)..<end])),
                  !message.partial.isSome, message.trailingBytes == 0 else { continue }
            return (offset, 0)
        }
        return (nil, bytes.count &- offset)
    }
}
