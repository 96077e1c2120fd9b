import Foundation
import K8sClient
@testable import Reconcilers
import Testing

/// A ScheduledJob's status must stay far below etcd's 1.5 MiB object limit however long it
/// runs, or its status writes fail and it stops being tracked: 1,000 runs of an every-second
/// schedule with the largest history limits, each failure with the longest message, and
/// (Allow) runs that never end.
@Suite struct StatusStaysSmall {
    func simulate(finishing: Bool) throws -> (bytes: Int, active: Int, history: Int) {
        var sj = scheduledJob(schedule: "* * * * * *", created: at(-1)) {
            $0.successfulRunsHistoryLimit = SpecBounds.maxHistoryLimit
            $0.failedRunsHistoryLimit = SpecBounds.maxHistoryLimit
        }
        var world: [String: ObservedRun] = [:]
        let message = String(repeating: "m", count: 4096)  // more than status keeps
        for second in 0..<1_000 {
            let now = at(Double(second) + 0.5)
            if finishing {
                for (name, r) in world where r.state == .active {
                    world[name]?.state = .finished(second % 2 == 0 ? .failed : .succeeded, at: now, message: second % 2 == 0 ? message : nil)
                }
            }
            let plan = SchedulePlanner.plan(sj, runs: Array(world.values), now: now)
            for step in plan.steps {
                switch step {
                case .startRun(let r):
                    world[r.name] = ObservedRun(name: r.name, uid: "uid-\(r.name)", runID: r.runID, scheduledTime: r.scheduledTime, trigger: r.trigger,
                                                attempt: r.attempt, startTime: now, createdAt: now, state: .active)
                case .deleteRun(let name): world[name] = nil
                default: break
                }
            }
            sj.status = plan.status
        }
        let bytes = try KubernetesJSON.encode(sj.status).count
        print("status after 1,000 runs (finishing: \(finishing)): \(bytes) bytes, \(sj.status?.active?.count ?? 0) active, \(sj.status?.history?.count ?? 0) in history")
        return (bytes, sj.status?.active?.count ?? 0, sj.status?.history?.count ?? 0)
    }

    @Test func runsThatFinishKeepAtMostTheHistoryLimits() throws {
        let (bytes, _, history) = try simulate(finishing: true)
        #expect(history <= 2 * SpecBounds.maxHistoryLimit)
        #expect(bytes < 256 * 1024, "status is \(bytes) bytes")
    }

    @Test func runsThatNeverEndStopAtTheActiveRunsCap() throws {
        let (bytes, active, _) = try simulate(finishing: false)
        #expect(active == SpecBounds.maxActiveRuns)
        #expect(bytes < 256 * 1024, "status is \(bytes) bytes")
    }
}
