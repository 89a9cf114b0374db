import Testing
@testable import ScopeCore

@Suite struct AttachPlanningTests {
    @Test func ealArgvAttachesAsSecondaryWithoutTelemetry() {
        let args = EALArguments(filePrefix: "tb", lcores: "2@0", logLevel: .error, pciArguments: ["--no-pci"], extra: ["-m", "64"])
        #expect(args.argv == ["dpdkscope", "--proc-type=secondary", "--file-prefix=tb", "--lcores=2@0",
                              "--log-level=4", "--no-telemetry", "--no-pci", "-m", "64"])
    }

    @Test func pciArgumentsMirrorThePrimary() {
        #expect(EALArguments.pciArguments(primaryCommandLine: ["app", "--no-pci"], boundDevices: ["0000:01:00.0"]) == ["--no-pci"])
        #expect(EALArguments.pciArguments(primaryCommandLine: ["app", "-a", "0000:01:00.0", "--allow=0000:02:00.0,x=1"], boundDevices: [])
                == ["-a", "0000:01:00.0", "-a", "0000:02:00.0,x=1"])
        #expect(EALArguments.pciArguments(primaryCommandLine: ["app", "-l", "0-1"], boundDevices: []) == ["--no-pci"])
        #expect(EALArguments.pciArguments(primaryCommandLine: ["app"], boundDevices: ["0000:01:00.0"]) == [])
    }

    @Test func ealWordsSplitLikeAShellAndGuardOwnedFlags() throws {
        #expect(try EALArguments.splitWords("  --socket-mem 64 --vdev 'net_null0,size=64' ") == ["--socket-mem", "64", "--vdev", "net_null0,size=64"])
        #expect(try EALArguments.splitWords("") == [])
        #expect(throws: ScopeError.self) { try EALArguments.splitWords("--file-prefix=x") }
        #expect(throws: ScopeError.self) { try EALArguments.splitWords("'unterminated") }
    }

    @Test func lcoreChoiceAvoidsBusyCPUsAndPrimaryLcoreIDs() {
        let threads = [
            PrimaryThread(name: "dpdk-testpmd", cpus: [0], cpuShare: 0.01),
            PrimaryThread(name: "eal-intr-thread", cpus: [0], cpuShare: 0),
            PrimaryThread(name: "rte-worker-1", cpus: [1], cpuShare: 0.99),
        ]
        let choice = LcoreChoice.choose(threads: threads, primaryCommandLine: ["dpdk-testpmd", "-l", "0-1"], allowedCPUs: [0, 1])
        #expect(choice == LcoreChoice(lcoreID: 2, cpu: 0, reason: choice.reason))
        #expect(choice.ealValue == "2@0")
    }

    @Test func lcoreChoiceWhenEveryCPUIsBusy() {
        let threads = [PrimaryThread(name: "app", cpus: [0], cpuShare: 0.97), PrimaryThread(name: "lcore-worker-3", cpus: [1], cpuShare: 0.2)]
        let choice = LcoreChoice.choose(threads: threads, primaryCommandLine: ["app", "--main-lcore", "0"], allowedCPUs: [0, 1])
        #expect(choice.cpu == 0)
        #expect(choice.lcoreID == 1)
        #expect(choice.reason.contains("busy"))
    }

    @Test func mainLcoreFromCommandLine() {
        #expect(LcoreChoice.mainLcore(commandLine: ["a", "-l", "3-5"]) == 3)
        #expect(LcoreChoice.mainLcore(commandLine: ["a", "-l2,4"]) == 2)
        #expect(LcoreChoice.mainLcore(commandLine: ["a", "--lcores", "(0-1)@0,4@2"]) == 0)
        #expect(LcoreChoice.mainLcore(commandLine: ["a", "-c", "0xc"]) == 2)
        #expect(LcoreChoice.mainLcore(commandLine: ["a", "-l", "0-3", "--main-lcore=2"]) == 2)
        #expect(LcoreChoice.mainLcore(commandLine: ["a"]) == 0)
    }

    @Test func cpuListsAndThreadCPUShare() {
        #expect(LcoreChoice.parseCPUList("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11])
        #expect(LcoreChoice.parseCPUList("5-2,x") == [])
        // 100 ticks/s; thread started at 10 s of uptime, now 20 s, used 9 s.
        let stat = "42 (rte-worker-1) R 1 1 1 0 -1 0 0 0 0 0 800 100 0 0 20 0 1 0 1000 0 0"
        #expect(abs(LcoreChoice.cpuShare(stat: stat, ticksPerSecond: 100, uptime: 20) - 0.9) < 1e-9)
        #expect(LcoreChoice.cpuShare(stat: "garbage", ticksPerSecond: 100, uptime: 20) == 0)
    }

    @Test func hugetlbfsMustBeMounted() throws {
        try AttachPreconditions.checkHugetlbfs(mounts: "nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n")
        #expect(throws: ScopeError.self) {
            try AttachPreconditions.checkHugetlbfs(mounts: "proc /proc proc rw 0 0\n/dev/vda / ext4 rw 0 0\n")
        }
    }

    @Test func versionCodesReadAsDPDKVersions() {
        #expect(PrimaryProcess.versionString(22 << 24 | 11 << 16 | 11 << 8 | 99) == "22.11.11")
        #expect(PrimaryProcess.versionString(23 << 24 | 3 << 16) == "23.03.0")
    }

    @Test func portSelectionByIdOrNameAndUnknownPortsRefused() throws {
        func port(_ id: UInt16, _ name: String) -> PortInfo {
            PortInfo(id: id, name: name, driver: "net_null", mac: "", linkUp: true, speedMbps: 10_000, fullDuplex: true,
                     rxQueues: 1, txQueues: 1, mtu: 1500, promiscuous: true, socket: 0)
        }
        let ports = [port(0, "net_null0"), port(1, "net_null1")]
        #expect(try PortSelection.resolve(["1", "net_null0", "1"], among: ports).map(\.id) == [1, 0])
        #expect(try PortSelection.resolve([], among: ports).count == 2)
        let error = #expect(throws: ScopeError.self) { try PortSelection.resolve(["net_tap0"], among: ports) }
        #expect(error?.status == .usageOrAttach)
        #expect(error?.message.contains("0 (net_null0), 1 (net_null1)") == true)
        #expect(ports[0].line == "0  net_null0  driver=net_null  mac=  link=up  speed=10 Gbps  rxq=1  txq=1")
    }

    @Test func configLockHolderIsFoundOrAbsent() throws {
        let path = "/tmp/dpdkscope-test-config-\(getpid())"
        #expect(PrimaryProcess.lockHolder(ofConfig: path) == nil) // no file
        let fd = open(path, O_CREAT | O_RDWR, 0o600)
        defer { close(fd); unlink(path) }
        #expect(PrimaryProcess.lockHolder(ofConfig: path) == nil) // nobody holds it
    }
}

#if canImport(Glibc)
import Glibc
#endif
