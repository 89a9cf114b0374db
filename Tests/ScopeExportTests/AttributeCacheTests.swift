import Foundation
import Testing
@testable import ScopeExport

/// `AttributeCache` is bounded in bytes as well as entries: a stream of
/// distinct long values (every query different) cannot fill its 4,096
/// entries with megabytes each.
@Suite struct AttributeCacheTests {
    typealias Cache = OTLPEncoder.AttributeCache

    @Test func distinctLongValuesStayWithinTheByteBound() {
        let cache = Cache()
        let key = "db.query.text", padding = String(repeating: "x", count: 8 * 1024)
        var most = 0
        for index in 0..<2_000 {
            let value = "SELECT \(index) FROM t WHERE c = '\(padding)'"
            #expect(cache.attribute(key, .string(value)).count > value.utf8.count)
            // Each entry holds its key and value at least twice: as the
            // entry, and serialized.
            most = max(most, cache.count * 2 * (key.utf8.count + value.utf8.count))
        }
        #expect(most <= Cache.defaultMaxBytes, "held \(most) bytes")
        #expect(cache.bytes <= Cache.defaultMaxBytes && cache.count > 1)
    }

    @Test func aValuePastTheBoundIsServedButNotKept() {
        let cache = Cache(maxBytes: 1_024)
        let short = cache.attribute("http.request.method", .string("GET"))
        let long = String(repeating: "q", count: 2_000)
        let bytes = cache.attribute("db.query.text", .string(long))
        #expect(bytes == cache.attribute("db.query.text", .string(long)))
        #expect(bytes.count > 2_000)
        #expect(cache.count == 1, "the short one stays, the long one is not kept")
        #expect(cache.attribute("http.request.method", .string("GET")) == short)
    }

    @Test func emptiedWhenTheNextWouldPassTheBound() {
        let cache = Cache(maxBytes: 1_000)
        let value = String(repeating: "v", count: 100)
        for index in 0..<20 {
            _ = cache.attribute("k\(index)", .string(value))
            #expect(cache.bytes <= 1_000)
        }
        // About 2 × 106 bytes an entry: four fit, the fifth empties the cache.
        #expect(cache.count >= 1 && cache.count <= 4)
    }
}
