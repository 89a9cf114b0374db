#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a config file with plain POSIX calls, for errno's own words
/// ("No such file or directory") in the error.
enum ConfigFile {
    struct ReadError: Error {
        var message: String
    }

    /// Far above any real configuration; refuses to slurp a wrong path such as a disk image.
    static let maximumBytes = 4 << 20

    static func read(_ path: String) throws(ReadError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadError(message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            throw ReadError(message: "cannot read: is a directory")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { readSome(descriptor, $0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(message: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk.prefix(count)
            if bytes.count > maximumBytes { throw ReadError(message: "larger than \(maximumBytes >> 20) MiB: not a configuration file") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(message: "not UTF-8 text")
        }
        return text
    }
}

/// At file scope, where `read` is the C function, not `ConfigFile.read`.
private func readSome(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(descriptor, buffer.baseAddress, buffer.count)
}
