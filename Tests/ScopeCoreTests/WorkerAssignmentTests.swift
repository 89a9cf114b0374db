import Testing
@testable import ScopeCore

@Suite struct WorkerAssignmentTests {
    func tuples(ports: [UInt16], queues: UInt16) -> [CaptureTuple] {
        ports.flatMap { port in
            (0..<queues).flatMap { queue in
                CaptureDirection.allCases.map { CaptureTuple(port: port, portName: "p\(port)", queue: queue, direction: $0) }
            }
        }
    }

    @Test func sameQueueIndexMeetsInOneWorker() {
        // Two ports × 4 queues × rx/tx over 2 workers: each worker owns whole
        // queue indices, across both ports and both directions.
        let groups = WorkerAssignment.assign(tuples(ports: [0, 1], queues: 4), workers: 2)
        #expect(groups.count == 2)
        #expect(groups.map(\.count) == [8, 8])
        for group in groups {
            let queues = Set(group.map(\.queue))
            for queue in queues { #expect(group.filter { $0.queue == queue }.count == 4) }
        }
        #expect(Set(groups.flatMap { $0 }).count == 16)
    }

    @Test func fewerWorkersThanGroupsShareAndMoreWorkersStayIdle() {
        let all = tuples(ports: [0], queues: 3)
        let one = WorkerAssignment.assign(all, workers: 1)
        #expect(one.count == 1 && one[0].count == 6)
        let many = WorkerAssignment.assign(all, workers: 8)
        #expect(many.count == 3) // one per queue index, no idle workers
        #expect(WorkerAssignment.assign(all, workers: 0).isEmpty)
    }

    @Test func lcoresForWorkersAvoidThePrimaryAndBusyCPUs() {
        let threads = [PrimaryThread(name: "dpdk-testpmd", cpus: [0], cpuShare: 0.01),
                       PrimaryThread(name: "rte-worker-1", cpus: [1], cpuShare: 0.99)]
        let choices = LcoreChoice.chooseMany(workers: 2, threads: threads, primaryCommandLine: ["x", "-l", "0-1"], allowedCPUs: [0, 1])
        #expect(LcoreChoice.ealValue(choices) == "2@0,3@0,4@0")
        #expect(LcoreChoice.idleCPUCount(threads: threads, allowedCPUs: [0, 1]) == 1)
        #expect(LcoreChoice.ealValue(LcoreChoice.chooseMany(workers: 0, threads: threads, primaryCommandLine: ["x"], allowedCPUs: [0, 1])) == "2@0")
    }
}
