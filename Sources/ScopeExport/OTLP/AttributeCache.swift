import Foundation
import SwiftProtobuf

extension OTLPEncoder {
    /// Attributes as serialized `KeyValue`s, each key and value serialized
    /// once and reused while it recurs: most of an event's fields (kind,
    /// dataset, transport, server, method, status) repeat from event to
    /// event, and SwiftProtobuf's per-attribute work was half of a log
    /// record's cost. Bounded: emptied when `capacity` entries are held.
    /// One per output thread (not shared).
    public final class AttributeCache {
        struct Entry: Hashable {
            let key: String
            let value: EventFields.Value
        }

        private var serialized: [Entry: Data] = [:]
        let capacity: Int

        public init(capacity: Int = 4096) { self.capacity = max(1, capacity) }

        var count: Int { serialized.count }

        func attribute(_ key: String, _ value: EventFields.Value) -> Data {
            let entry = Entry(key: key, value: value)
            if let bytes = serialized[entry] { return bytes }
            // A KeyValue has no required field: serializing cannot fail.
            let bytes: Data = (try? keyValue(key, value).serializedBytes()) ?? Data()
            if serialized.count >= capacity { serialized.removeAll(keepingCapacity: true) }
            serialized[entry] = bytes
            return bytes
        }
    }
}
