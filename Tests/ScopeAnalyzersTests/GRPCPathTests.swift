@testable import ScopeAnalyzers
import Testing

/// `rpc.service` and `rpc.method` from `:path`: split by characters, as the
/// event has always had them, whether the path is ASCII (split as bytes) or not.
@Suite struct GRPCPathTests {
    /// The split by characters, written out here as the reference.
    static func characters(_ path: String) -> (String, String) {
        guard path.hasPrefix("/") else { return ("", "") }
        let rest = path.dropFirst()
        guard let slash = rest.firstIndex(of: "/") else { return (String(rest), "") }
        return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
    }

    @Test func pathsSplitAsByCharacters() {
        #expect(GRPCCall(path: "/demo.Echo/Say").service == "demo.Echo" && GRPCCall(path: "/demo.Echo/Say").method == "Say")
        let paths = ["/demo.Echo/Say", "/a/b/c", "/only", "nope", "", "/", "//x", "/x/", "\r\n/a/b", "/a\r\n/b",
                     "/sérvice/mé", "/\u{301}a/b", "/a/\u{301}b", "/a\u{301}/b", "x/a/b", "/grpc.health.v1.Health/Check"]
        for path in paths {
            let call = GRPCCall(path: path)
            let expected = Self.characters(path)
            #expect(call.service == expected.0 && call.method == expected.1, "\(path.debugDescription)")
        }
    }
}
