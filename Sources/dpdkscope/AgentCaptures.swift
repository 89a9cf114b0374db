import Logging
import ScopeConfig
import ScopeCore
import ScopeDPDK
import ScopeLive
import ScopePcap

/// The agent's captures: one session (ring, pool, filter, snaplen) per
/// `captures` entry and capture loop. One loop polls a session per entry;
/// with `attach.workers` each worker lcore's loop does so for its own
/// group of queues (WorkerAssignment over the tuples of every entry, so
/// queue q of every port lands on one worker whatever entry captures it).
final class AgentCaptures {
    /// Every session, loop by loop (each a list of one session per entry
    /// that has tuples in that loop's group).
    let loops: [[CaptureSession]]
    var sessions: [CaptureSession] { loops.flatMap { $0 } }
    /// Captured ports, in interface order (the dumpfile's IDBs).
    let ports: [PortInfo]
    private let filters: [PacketFilter]
    private let filterOfPort: [UInt16: String]
    /// Loops run on worker lcores (attach.workers), not the main one.
    let onWorkers: Bool

    /// - Parameter workers: worker lcores to spread the queues over; 0 for
    ///   the single loop on the main lcore.
    init(configuration: AgentConfiguration, attachment: Attachment, workers: Int, logger: Logger) throws {
        let known = Ports.all()
        var entries: [(tuples: [CaptureTuple], settings: CaptureSession.Settings, filter: PacketFilter?)] = []
        var filters: [PacketFilter] = []
        var claimed: [CaptureTuple: Int] = [:]
        var filterOfPort: [UInt16: String] = [:]
        let ring = configuration.ring
        var loops: [[CaptureSession]] = []
        var made: [CaptureSession] = []
        do {
            for (index, capture) in configuration.captures.enumerated() {
                let snaplen = try Snaplen.validate(capture.snaplen)
                let filter = try capture.filter.map { try PacketFilter(expression: $0, snaplen: snaplen) }
                if let filter { filters.append(filter) }
                try filter?.convert()
                let tuples = try CaptureSelection.tuples(for: capture.interfaces, among: known,
                                                         directions: capture.direction.directions)
                for tuple in tuples {
                    if let earlier = claimed[tuple] {
                        throw ScopeError(.usageOrAttach, "captures[\(index)] and captures[\(earlier)] both capture \(tuple)")
                    }
                    claimed[tuple] = index
                    if let expression = capture.filter, filterOfPort[tuple.port] == nil { filterOfPort[tuple.port] = expression }
                }
                let settings = CaptureSession.Settings(snaplen: snaplen, ringSize: UInt32(ring.size), mbufs: UInt32(ring.effectiveMbufs),
                                                       poolOps: ring.poolOps)
                entries.append((tuples, settings, filter))
            }
            let groups = workers == 0 ? [entries.flatMap(\.tuples)]
                : WorkerAssignment.assign(entries.flatMap(\.tuples), workers: workers)
            // Instance numbers keep every ring's shared-memory name apart;
            // the first (0) also reclaims what a killed run left behind.
            var instance = 0
            for group in groups {
                var loop: [CaptureSession] = []
                for (index, entry) in entries.enumerated() {
                    let tuples = group.filter { claimed[$0] == index }
                    guard !tuples.isEmpty else { continue }
                    let session = try CaptureSession(attachment: attachment, tuples: tuples, settings: entry.settings,
                                                     filter: entry.filter, takeover: configuration.attach.takeover,
                                                     logger: logger, instance: instance)
                    instance += 1
                    made.append(session)
                    loop.append(session)
                }
                loops.append(loop)
            }
        } catch {
            made.forEach { $0.release() }
            filters.forEach { $0.release() }
            throw error
        }
        self.loops = loops
        self.filters = filters
        self.filterOfPort = filterOfPort
        onWorkers = workers > 0
        ports = Self.portInfo(loops.joined().flatMap(\.tuples), among: known)
    }

    /// Enables every capture; on a failure the ones already enabled are
    /// disabled again by release(), so nothing is left half-enabled.
    func start() throws {
        for session in sessions { try session.start() }
    }

    func release() {
        sessions.forEach { $0.release() }
        filters.forEach { $0.release() }
    }

    /// The ports one loop captures, in its dumpfile's interface order.
    func ports(ofLoop index: Int) -> [PortInfo] {
        Self.portInfo(loops[index].flatMap(\.tuples), among: ports)
    }

    /// Packetbeat's `dumpfile`: the captured packets, rotated by size,
    /// keeping the newest files (Wireshark's ring-buffer naming). With
    /// workers, each loop writes its own (`live-w0.pcapng`, as `capture
    /// --multi` does): one shared file would need a lock per burst on the
    /// hot path and would interleave the workers' packets out of time
    /// order; per-worker files cost nothing and `mergecap` joins them.
    func makeDumpfile(_ settings: AgentConfiguration.Outputs.Dumpfile, loop: Int) throws -> CaptureFileWriter? {
        guard settings.enabled else { return nil }
        // Named per worker even when the queues fit one worker, so the names
        // do not depend on the traffic's queues.
        let path = onWorkers ? CaptureCommand.workerPath(settings.path, worker: loop) : settings.path
        try RotatingLineFile.makeParentDirectories(of: path)
        let rotation = RotationPolicy(fileSizeBytes: UInt64(settings.rotateBytes), maximumFiles: settings.keep + 1)
        let ports = ports(ofLoop: loop)
        return try CaptureCommand.makeWriter(
            path: path, format: .pcapng, snaplen: UInt32(settings.snaplen), groupReadable: false,
            comments: ["dpdkscope agent dumpfile"], ports: ports, filter: { self.filterOfPort[$0] },
            rotation: rotation, report: CaptureReport(sessions: loops[loop], ports: ports))
    }

    private static func portInfo(_ tuples: [CaptureTuple], among known: [PortInfo]) -> [PortInfo] {
        CaptureSelection.ports(of: tuples).compactMap { id in known.first { $0.id == id } }
    }
}
