import ArgumentParser
import ScopeCore
import ScopeDPDK

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the primary's ports: id, device, driver, MAC, link, speed, queues.")

    @OptionGroup var attach: AttachArguments
    @Flag(help: "Print JSON instead of one line per port.") var json = false
    @Flag(help: "Also list the memzones in the primary's shared memory (to spot leaked rings and pools).")
    var memzones = false

    struct Report: Encodable {
        struct Primary: Encodable {
            var pid: Int32
            var filePrefix: String
            var dpdkVersion: String
            var pdumpAvailable: Bool
        }
        var primary: Primary
        var ports: [PortInfo]
        var memzones: [String]?
    }

    func run() throws {
        let logger = attach.makeLogger()
        let attachment = try attach.attach(requirePdump: false, logger: logger)
        defer { attachment.detach() }
        let primary = attachment.primary
        let report = Report(
            primary: .init(pid: primary.pid, filePrefix: primary.prefix,
                           dpdkVersion: PrimaryProcess.versionString(primary.version),
                           pdumpAvailable: attachment.pdumpAvailable),
            ports: Ports.all(),
            memzones: memzones ? CaptureResources.memzoneNames().sorted() : nil)
        if json {
            try JSONOutput.print(report)
            return
        }
        print("primary pid=\(primary.pid) file-prefix=\(primary.prefix) dpdk=\(report.primary.dpdkVersion) pdump=\(attachment.pdumpAvailable ? "ready" : "not initialised") ports=\(report.ports.count)")
        for port in report.ports { print(port.line) }
        for zone in report.memzones ?? [] { print("memzone \(zone)") }
    }
}
