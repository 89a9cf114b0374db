#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The values a connection's streams sent last for the header fields
/// events keep, one per field: a client sends the same `:method`, `:path`,
/// `:authority`, user-agent and content-type stream after stream (h2load,
/// a gRPC channel), a server the same content-type. A value whose bytes
/// are the last one's is that `String` again (a retain) instead of a new
/// one (validated, often allocated, later freed): the `String` a hit gives
/// is the one decoding the bytes gives, as they are its UTF-8.
/// A class held by the session, so that the field callback can use it
/// while the decoder (another part of the session) runs.
final class HTTP2RecentValues {
    struct Value {
        var text = ""

        /// `bytes` as a `String`, the last one when they are its bytes.
        @inline(__always)
        mutating func text(_ bytes: UnsafeRawBufferPointer) -> String {
            if !matches(bytes) { text = String(decoding: bytes, as: UTF8.self) }
            return text
        }

        @inline(__always)
        func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
            let utf8 = text.utf8
            guard utf8.count == bytes.count else { return false }
            guard let base = bytes.baseAddress else { return true }
            return utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, bytes.count) == 0 } ?? false
        }
    }

    // Unchecked exclusivity: one session, one thread (see AnalyzerContext).
    @exclusivity(unchecked) var method = Value()
    @exclusivity(unchecked) var path = Value()
    @exclusivity(unchecked) var authority = Value()
    @exclusivity(unchecked) var host = Value()
    @exclusivity(unchecked) var userAgent = Value()
    @exclusivity(unchecked) var requestType = Value()
    @exclusivity(unchecked) var responseType = Value()
    @exclusivity(unchecked) var timeout = Value()
    @exclusivity(unchecked) var requestEncoding = Value()
    @exclusivity(unchecked) var responseEncoding = Value()
    @exclusivity(unchecked) var grpcMessage = Value()
    /// The request content-type last seen, and whether it is gRPC's.
    @exclusivity(unchecked) private var grpcType: (text: String, isGRPC: Bool) = ("", false)
    /// The last gRPC call's path split into service and method.
    @exclusivity(unchecked) private var call: (path: String, service: String, method: String)?

    /// Whether a request content-type makes the stream a gRPC call.
    func isGRPC(_ type: String) -> Bool {
        if type != grpcType.text { grpcType = (type, type.hasPrefix("application/grpc")) }
        return grpcType.isGRPC
    }

    /// A gRPC call for `path`, split as `GRPCCall(path:)` does (once per path in a row).
    func grpcCall(path: String) -> GRPCCall {
        if let call, call.path == path { return GRPCCall(service: call.service, method: call.method) }
        let made = GRPCCall(path: path)
        call = (path, made.service, made.method)
        return made
    }
}
