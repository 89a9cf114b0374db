import Logging
import ScopeConfig
import ScopeCore
import ScopeDPDK
import ScopeLive
import ScopePcap

/// The agent's captures: one session (ring, pool, filter, snaplen) per
/// `captures` entry of the configuration, all polled by one loop.
final class AgentCaptures {
    let sessions: [CaptureSession]
    /// Captured ports, in interface order (the dumpfile's IDBs).
    let ports: [PortInfo]
    private let filters: [PacketFilter]
    private let filterOfPort: [UInt16: String]

    init(configuration: AgentConfiguration, attachment: Attachment, logger: Logger) throws {
        let known = Ports.all()
        var sessions: [CaptureSession] = [], filters: [PacketFilter] = []
        var claimed: [CaptureTuple: Int] = [:]
        var filterOfPort: [UInt16: String] = [:]
        let ring = configuration.ring
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
                let settings = CaptureSession.Settings(snaplen: snaplen, ringSize: UInt32(ring.size), mbufs: UInt32(ring.effectiveMbufs))
                sessions.append(try CaptureSession(attachment: attachment, tuples: tuples, settings: settings, filter: filter,
                                                   takeover: configuration.attach.takeover, logger: logger))
            }
        } catch {
            sessions.forEach { $0.release() }
            filters.forEach { $0.release() }
            throw error
        }
        self.sessions = sessions
        self.filters = filters
        self.filterOfPort = filterOfPort
        let ids = CaptureSelection.ports(of: sessions.flatMap(\.tuples))
        ports = ids.compactMap { id in known.first { $0.id == id } }
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

    /// Packetbeat's `dumpfile`: the captured packets, rotated by size,
    /// keeping the newest files (Wireshark's ring-buffer naming).
    func makeDumpfile(_ settings: AgentConfiguration.Outputs.Dumpfile) throws -> CaptureFileWriter? {
        guard settings.enabled else { return nil }
        try RotatingLineFile.makeParentDirectories(of: settings.path)
        let rotation = RotationPolicy(fileSizeBytes: UInt64(settings.rotateBytes), maximumFiles: settings.keep + 1)
        return try CaptureCommand.makeWriter(
            path: settings.path, format: .pcapng, snaplen: UInt32(settings.snaplen), groupReadable: false,
            comments: ["dpdkscope agent dumpfile"], ports: ports, filter: { self.filterOfPort[$0] },
            rotation: rotation, report: CaptureReport(sessions: sessions, ports: ports))
    }
}
