import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's listening socket, made here rather than by NIO so that it
/// is close-on-exec: NIO's sockets are inherited by any child process, and
/// a child still holding the socket would keep the port bound after
/// `stop()` (or after dpdkscope exits).
enum ListeningSocket {
    /// A bound (not yet listening) TCP socket; NIO sets it non-blocking and
    /// listens when it takes it over.
    static func bind(host: String, port: Int) throws -> CInt {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: CInt = address.protocol == .inet6 ? AF_INET6 : AF_INET
        #if os(Linux)
        let fd = socket(family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        #endif
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var on: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<CInt>.size))
        let rc = address.withSockAddr { pointer, size in systemBind(fd, pointer, socklen_t(size)) }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "bind")
        }
        return fd
    }
}

#if canImport(Glibc)
private let systemBind = Glibc.bind
#elseif canImport(Darwin)
private let systemBind = Darwin.bind
#endif
