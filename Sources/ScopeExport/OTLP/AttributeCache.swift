import Foundation
import SwiftProtobuf

extension OTLPEncoder {
    /// Attributes as serialized `KeyValue`s, each key and value serialized
    /// once and reused while it recurs: most of an event's fields (kind,
    /// dataset, transport, server, method, status) repeat from event to
    /// event, and SwiftProtobuf's per-attribute work was half of a log
    /// record's cost. Bounded in entries and in bytes: emptied when it holds
    /// `capacity` entries, or when the next would take it past `maxBytes`.
    /// One per output thread (not shared).
    public final class AttributeCache {
        struct Entry: Hashable {
            let key: String
            let value: EventFields.Value
        }

        /// The default byte bound. 4,096 typical attributes (tens of bytes
        /// each) take a few hundred KiB, well inside it; 4,096 distinct long
        /// values (`db.query.text` of kilobytes) would take tens of MiB with
        /// the entry bound alone.
        public static let defaultMaxBytes = 4 << 20

        private var serialized: [Entry: Data] = [:]
        /// What the entries hold in keys and values, as `attribute` counts it.
        private(set) var bytes = 0
        let capacity: Int
        let maxBytes: Int

        public init(capacity: Int = 4096, maxBytes: Int = AttributeCache.defaultMaxBytes) {
            self.capacity = max(1, capacity)
            self.maxBytes = max(1, maxBytes)
        }

        var count: Int { serialized.count }

        func attribute(_ key: String, _ value: EventFields.Value) -> Data {
            let entry = Entry(key: key, value: value)
            if let bytes = serialized[entry] { return bytes }
            // A KeyValue has no required field: serializing cannot fail.
            let bytes: Data = (try? keyValue(key, value).serializedBytes()) ?? Data()
            // An entry holds its key and value twice, as the dictionary's
            // key and serialized; the serialized form is their bytes and a
            // few of framing, so twice its size counts both.
            let size = 2 * bytes.count
            // One that alone would pass the bound is not kept: it would
            // empty the cache of everything that recurs.
            guard size <= maxBytes else { return bytes }
            if serialized.count >= capacity || self.bytes + size > maxBytes {
                serialized.removeAll(keepingCapacity: true)
                self.bytes = 0
            }
            serialized[entry] = bytes
            self.bytes += size
            return bytes
        }
    }
}
