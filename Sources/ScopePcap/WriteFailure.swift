#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// The reader of our output (`-w -` into a pipe) went away: EPIPE. Not a
/// ScopeError because it is not a failure to report; the caller stops the
/// capture quietly, like tcpdump piped into `head`. The process must ignore
/// SIGPIPE for this error to be seen instead of the signal killing it.
public struct OutputPipeClosed: Error, Sendable, CustomStringConvertible {
    public var destination: String
    public var description: String { "\(destination): reader closed the pipe" }
}

/// One-line, user-facing text for a failed write, open or close.
enum WriteFailure {
    static func error(writing destination: String, errno code: Int32) -> any Error {
        switch code {
        case EPIPE: OutputPipeClosed(destination: destination)
        case ENOSPC: ScopeError(.failure, "disk full while writing \(destination)")
        case EDQUOT: ScopeError(.failure, "disk quota exceeded while writing \(destination)")
        case EFBIG: ScopeError(.failure, "file too large for the file system while writing \(destination)")
        case EIO: ScopeError(.failure, "I/O error while writing \(destination)")
        default: ScopeError(.failure, "cannot write \(destination): \(describe(code))")
        }
    }

    static func error(opening path: String, errno code: Int32) -> ScopeError {
        ScopeError(.failure, "cannot create capture file \(path): \(describe(code))")
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
