/// One event's ECS JSON object, flattened to dotted keys ("http.request.method")
/// with typed leaves: what both spans and log records are built from.
public struct EventFields: Sendable {
    public enum Value: Sendable, Hashable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case array([Value])
    }

    /// Sorted by key, so records are deterministic; looked up by binary
    /// search (a dictionary beside it cost a hash of every key per event,
    /// for the few keys a record reads).
    public private(set) var fields: [(key: String, value: Value)] = []

    /// Nil when the line is not a JSON object.
    public init?(json line: [UInt8]) {
        guard let root = JSONLineParser.parse(line), case .object(let members) = root else {
            return nil
        }
        fields.reserveCapacity(64)  // an HTTP transaction has about 40 leaves
        flatten(members, prefix: "")
        fields.sort { $0.key < $1.key }
    }

    /// The key's value; of a key repeated in the line, the last (the sort
    /// is stable).
    public subscript(key: String) -> Value? {
        var low = 0, high = fields.count  // first position whose key is greater
        while low < high {
            let middle = (low + high) / 2
            if key < fields[middle].key { high = middle } else { low = middle + 1 }
        }
        return low > 0 && fields[low - 1].key == key ? fields[low - 1].value : nil
    }

    public func string(_ key: String) -> String? {
        if case .string(let text) = self[key] { return text }
        return nil
    }

    public func int(_ key: String) -> Int64? {
        switch self[key] {
        case .int(let value): return value
        case .double(let value): return Int64(exactly: value.rounded())
        default: return nil
        }
    }

    private mutating func flatten(_ members: [(String, JSONValue)], prefix: String) {
        for (key, value) in members {
            var path = key
            if !prefix.isEmpty {  // one string built, not "prefix." then "prefix.key"
                path = prefix
                path.reserveCapacity(prefix.utf8.count + 1 + key.utf8.count)
                path += "."
                path += key
            }
            if case .object(let inner) = value {
                flatten(inner, prefix: path)
            } else if let leaf = value.leaf {
                fields.append((path, leaf))
            }
        }
    }
}

/// A JSON value as `JSONLineParser` reads it: integers exact, booleans
/// apart, object members in document order.
enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    var leaf: EventFields.Value? {
        switch self {
        case .string(let text): return .string(text)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .bool(let value): return .bool(value)
        case .array(let values): return .array(values.compactMap(\.leaf))
        case .object(let members):
            // Objects inside arrays (DNS answers): kept as their JSON text.
            let text = members.map { "\($0.0)=\($0.1.leaf.map(String.init(describing:)) ?? "")" }.joined(separator: ", ")
            return .string("{" + text + "}")
        case .null: return nil
        }
    }
}
