import Foundation
import K8sClient
@testable import Reconcilers
import Testing

/// `fold` turns what the steps answered into the status to write, without any I/O.
@Suite struct PlanFold {
    let tick = "sj-\(unix(t0))"

    @Test func aStartedRunGetsItsUIDAndStartTimeAndTheWriteMayWaitForTheRequeue() throws {
        let sj = scheduledJob(created: at(-5))
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.25))
        let request = try #require(plan.startedRuns.first)
        let (status, write) = SchedulePlanner.fold(plan, [.started(request, .created(uid: "u-1", startTime: at(0.5)))], for: sj, now: at(0.6))
        #expect(status.active?.map(\.uid) == ["u-1"])
        #expect(status.active?.first?.startTime == at(0.5))
        #expect(write == .afterRequeue)
        // Found rather than created (an earlier attempt's): written at once, so nothing loops.
        #expect(SchedulePlanner.fold(plan, [.started(request, .alreadyExisted(uid: "u-1"))], for: sj, now: at(0.6)).write == .now)
    }

    @Test func aRefusedStartIsAFailedRunWithReadyFalseWrittenAtOnce() throws {
        let sj = scheduledJob(created: at(-5))
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.25))
        let request = try #require(plan.startedRuns.first)
        let (status, write) = SchedulePlanner.fold(plan, [.rejected(request, message: "the API server rejected Job \(tick): bad")], for: sj, now: at(0.6))
        #expect(status.active == nil && status.activeRuns == 0)
        #expect(status.history?.first?.name == tick && status.history?.first?.result == .failed)
        #expect(status.history?.first?.completionTime == at(0.6))
        let ready = try #require(status.conditions?[type: "Ready"])
        #expect(ready.status == "False" && ready.reason == SchedulePlanner.runStartFailedReason && ready.message.hasSuffix(": bad"))
        #expect(status.conditions?[type: "Stalled"]?.status == "True")
        #expect(write == .now)
        // The next plan keeps the reason until the spec changes or a run starts.
        var after = sj
        after.status = status
        #expect(SchedulePlanner.plan(after, runs: [], now: at(1)).status.conditions?[type: "Ready"]?.reason == SchedulePlanner.runStartFailedReason)
    }

    @Test func aStopsSavepointAndNoteGoToTheStoppedRunsHistoryEntry() throws {
        let sj = scheduledJob(status: status(lastSchedule: at(-10))) { $0.concurrencyPolicy = "Replace" }
        let old = "sj-\(unix(at(-10)))"
        let plan = SchedulePlanner.plan(sj, runs: [run(old, scheduled: at(-10))], now: at(0.25))
        #expect(plan.stopped == [old])
        let outcomes: [StepOutcome] = [.stopped(name: old, StopOutcome(savepointPath: "s3://sp/1", note: "savepoint taken"))]
        let (status, write) = SchedulePlanner.fold(plan, outcomes, for: sj, now: at(0.6))
        let entry = try #require(status.history?.first { $0.name == old })
        #expect(entry.savepointPath == "s3://sp/1")
        #expect(entry.message?.hasSuffix("; savepoint taken") == true)
        #expect(write == .now)
    }

    @Test func nothingChangedMeansNoWrite() {
        let sj = scheduledJob(created: at(-5))
        var settled = sj
        settled.status = SchedulePlanner.plan(sj, runs: [], now: at(-4)).status
        let plan = SchedulePlanner.plan(settled, runs: [], now: at(-4))
        #expect(plan.steps.isEmpty)
        #expect(SchedulePlanner.fold(plan, [], for: settled, now: at(-4)).write == .none)
    }
}
