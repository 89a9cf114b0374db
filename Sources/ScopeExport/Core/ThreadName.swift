#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's name as the kernel shows it (`top -H`, `perf`,
/// /proc/PID/task/TID/comm): `Foundation.Thread.name` stays inside
/// Foundation. Written through /proc/thread-self/comm (Glibc's module has
/// no pthread_setname_np, and prctl is variadic); Linux keeps 15 bytes.
enum ThreadName {
    static func setCurrent(_ name: String) {
        #if canImport(Glibc)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        #endif
    }
}
