import Foundation
import Logging
import ScopeCore
import ScopeDPDK
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

extension CaptureCommand {
    /// `--multi`: groups of queues on worker lcores, one file each
    /// (`out-wN.pcapng`), or merged into `out.pcapng` at the end.
    func runMulti(_ plan: CapturePlan, path: String, rotation: RotationPolicy, attachment: Attachment,
                  logger: Logger) throws -> CaptureResult {
        let started = Date()
        let workerCount = Int(attachment.lcores.split(separator: ",").count) - 1
        let groups = WorkerAssignment.assign(plan.tuples, workers: max(1, workerCount))
        let portInfo = { (ids: [UInt16]) in ids.compactMap { id in plan.captured.first { $0.id == id } } }
        let workerPaths = (0..<groups.count).map { merge ? Self.mergeInput(path, worker: $0) : Self.workerPath(path, worker: $0) }
        var reportSessions: [CaptureSession] = []
        let capture = try MultiCapture(
            attachment: attachment, groups: groups, settings: plan.settings, filter: plan.filter, takeover: takeover,
            limits: plan.limits, logger: logger
        ) { index, ports, session in
            reportSessions.append(session)
            let report = CaptureReport(sessions: [session], ports: portInfo(ports))
            return MultiCapture.Stage(writer: try makeWriter(path: workerPaths[index], ports: portInfo(ports),
                                                             rotation: merge ? RotationPolicy() : rotation, report: report))
        }
        defer { capture.workers.forEach { $0.session.release() } }
        let report = CaptureReport(sessions: reportSessions, ports: plan.captured)
        announce(plan, path: path)
        if !quiet {
            let layout = capture.workers.enumerated().map { "w\($0.offset)@lcore\($0.element.lcore): \($0.element.tuples.count) tuple(s)" }
            writeStderr("Workers: \(layout.joined(separator: ", "))\n")
        }
        CaptureLoop.prepare(packetLimit: plan.packetLimit)
        var previous = (packets: UInt64(0), time: 0.0)
        let live = !quiet && isatty(2) != 0
        try capture.run(progress: live ? {
            let accepted = capture.workers.reduce(UInt64(0)) { sum, worker in
                worker.tuples.reduce(sum) { $0 + worker.session.counters($1).accepted }
            }
            writeStderr(report.liveLine(written: accepted, previous: &previous, now: Date().timeIntervalSince1970))
        } : nil)
        if live { writeStderr("\r\u{1B}[K") }
        var writers = capture.workers.compactMap(\.writer)
        for writer in writers { try writer.close() }
        var outcome = CaptureLoop.Outcome.merged(capture.workers.compactMap(\.outcome))
        outcome.seconds = Date().timeIntervalSince(started)
        if merge {
            let merged = try makeWriter(path: path, ports: plan.captured, rotation: RotationPolicy(), report: report)
            let maps = capture.workers.map { worker in
                CaptureSelection.ports(of: worker.tuples).map { port in UInt32(plan.interfacePorts.firstIndex(of: port) ?? 0) }
            }
            try CaptureFileMerger.merge(workerPaths, interfaceMaps: maps, into: merged)
            try merged.close()
            workerPaths.forEach { unlink($0) }
            writers = [merged]
        }
        return CaptureResult(report: report, totals: .init(writers: writers), outcome: outcome)
    }

    /// out.pcapng → out-w0.pcapng (the extension stays last, for Wireshark).
    static func workerPath(_ path: String, worker: Int) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        guard let dot = path[slash...].lastIndex(of: "."), dot > slash else { return "\(path)-w\(worker)" }
        return "\(path[..<dot])-w\(worker)\(path[dot...])"
    }

    /// Hidden per-worker inputs next to the merged file.
    static func mergeInput(_ path: String, worker: Int) -> String {
        let target = path == "-" ? "/tmp/dpdkscope-stdout-\(getpid())" : path
        let slash = target.lastIndex(of: "/").map { target.index(after: $0) } ?? target.startIndex
        return "\(target[..<slash]).\(target[slash...]).w\(worker).part"
    }
}
