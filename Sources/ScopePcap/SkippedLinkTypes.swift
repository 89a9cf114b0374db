import ScopeCore

/// Packets a reader skipped because the decoder has no use for their link
/// type, by link type. Reading does not stop for them (a pcapng file may
/// mix interfaces), but the user must hear about it once, at the end: a
/// capture that silently yields nothing looks like a capture of nothing.
public struct SkippedLinkTypes: Sendable, Equatable {
    /// (link type, packets), in the order the link types were first seen.
    public private(set) var counts: [(linkType: UInt16, packets: UInt64)] = []

    public init() {}

    public var total: UInt64 { counts.reduce(0) { $0 &+ $1.packets } }

    public mutating func record(_ linkType: UInt16) {
        // A linear search: files carry a handful of link types at most.
        if let index = counts.firstIndex(where: { $0.linkType == linkType }) {
            counts[index].packets &+= 1
        } else {
            counts.append((linkType, 1))
        }
    }

    /// The end-of-read verdict over `packets` read in all. Nothing skipped:
    /// nil. Some packets decodable: a one-line warning to print. None at
    /// all: an error (exit 1), since an empty result would look like a
    /// successful read of an empty capture.
    public func verdict(packets: Int) throws -> String? {
        guard !counts.isEmpty else { return nil }
        if UInt64(max(packets, 0)) <= total {
            throw ScopeError(.failure, "no packet could be decoded: all \(total) have \(listing)")
        }
        return "warning: skipped \(total) packets with \(listing)"
    }

    /// "unsupported link type 105 (IEEE802_11)", or with several types
    /// "unsupported link types 105 (IEEE802_11): 12, 127 (IEEE802_11_RADIOTAP): 3".
    private var listing: String {
        if counts.count == 1 { return "unsupported link type \(LinkTypeNames.describe(counts[0].linkType))" }
        let each = counts.map { "\(LinkTypeNames.describe($0.linkType)): \($0.packets)" }
        return "unsupported link types " + each.joined(separator: ", ")
    }

    public static func == (lhs: SkippedLinkTypes, rhs: SkippedLinkTypes) -> Bool {
        lhs.counts.elementsEqual(rhs.counts) { $0.linkType == $1.linkType && $0.packets == $1.packets }
    }
}
