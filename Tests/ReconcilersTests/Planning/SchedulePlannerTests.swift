import Foundation
import K8sClient
import Reconcilers
import Testing

@Suite struct ScheduledTicks {
    @Test func theDueTickStartsOneRunNamedAfterItsScheduledTime() {
        let sj = scheduledJob(created: at(-5))
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.3))
        #expect(plan.startedRuns == [RunRequest(name: "sj-\(unix(t0))", runID: "\(unix(t0))", scheduledTime: t0, trigger: .schedule, attempt: 1)])
        #expect(plan.status.lastScheduleTime == t0)
        #expect(plan.status.nextScheduleTime == at(10))
        #expect(abs((plan.requeueAfter ?? 0) - 9.7) < 0.001)
        #expect(plan.status.phase == "Running")
        #expect(plan.status.activeRuns == 1)
        #expect(plan.status.active?.first?.trigger == .schedule)
        #expect(plan.status.conditions?[type: "Ready"]?.status == "True")
        #expect(plan.status.conditions?[type: "Running"]?.status == "True")
        #expect(plan.status.observedGeneration == 1)
    }

    @Test func nothingIsDueBeforeTheFirstTickAfterCreation() {
        let plan = SchedulePlanner.plan(scheduledJob(created: at(-5)), runs: [], now: at(-0.5))
        #expect(plan.steps.isEmpty)
        #expect(plan.status.phase == "Scheduled")
        #expect(plan.status.nextScheduleTime == t0)
        #expect(abs((plan.requeueAfter ?? 0) - 0.5) < 0.001)
    }

    @Test func theSameTickIsNeverStartedTwice() {
        let first = SchedulePlanner.plan(scheduledJob(created: at(-5)), runs: [], now: at(0.1))
        let again = SchedulePlanner.plan(scheduledJob(created: at(-5), status: first.status), runs: [run("sj-\(unix(t0))", scheduled: t0)], now: at(0.2))
        #expect(again.startedRuns.isEmpty)
    }

    @Test func afterDowntimeOnlyTheMostRecentTickStartsAndTheRestAreCountedMissed() {
        let sj = scheduledJob(schedule: "0 * * * * *", status: status(lastSchedule: at(-3600)))
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(30))
        #expect(plan.startedRuns.map(\.scheduledTime) == [t0])
        #expect(plan.status.missedRuns == 59)
        #expect(plan.eventReasons.contains("MissedSchedule"))
        #expect(plan.status.lastScheduleTime == t0)
    }

    @Test func aWeekOfPerSecondTicksStillStartsExactlyOneRun() {
        let sj = scheduledJob(schedule: "* * * * * *", status: status(lastSchedule: at(-7 * 86400)))
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        #expect(plan.startedRuns.map(\.scheduledTime) == [t0])
        #expect(plan.events.first { $0.reason == "MissedSchedule" }?.message.contains("more than 1000") == true)
    }

    @Test(arguments: [(5.0, true), (10.0, true), (30.0, false)])
    func startingDeadlineDecidesWhetherALateTickStillStarts(lateBy: TimeInterval, starts: Bool) {
        let sj = scheduledJob(schedule: "0 * * * * *", status: status(lastSchedule: at(-60))) { $0.startingDeadlineSeconds = 10 }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(lateBy))
        #expect(plan.startedRuns.isEmpty == !starts)
        #expect(plan.status.lastScheduleTime == t0)
        if !starts {
            #expect(plan.status.missedRuns == 1)
            #expect(plan.events.contains { $0.reason == "MissedSchedule" && $0.kind == .warning && $0.message.contains("startingDeadlineSeconds=10") })
        }
    }

    @Test func timeZoneShiftsTheTick() {
        // 12:00 in Berlin (CEST, +2) is 10:00Z.
        let sj = scheduledJob(schedule: "0 12 * * *", created: at(-86400)) { $0.timeZone = "Europe/Berlin" }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(1))
        #expect(plan.startedRuns.map(\.scheduledTime) == [t0])
    }

    @Test func suspendStartsNothingButLeavesActiveRunsAlone() {
        let active = run("sj-1", scheduled: at(-20))
        let sj = scheduledJob(status: status(lastSchedule: at(-20))) { $0.suspend = true }
        let plan = SchedulePlanner.plan(sj, runs: [active], now: at(1))
        #expect(plan.steps.isEmpty)
        #expect(plan.status.nextScheduleTime == nil)
        #expect(plan.status.phase == "Running")
        let idle = SchedulePlanner.plan(sj, runs: [], now: at(1))
        #expect(idle.status.phase == "Suspended")
        #expect(idle.requeueAfter == nil)
    }
}

@Suite struct ConcurrencyPolicies {
    let active = run("sj-old", scheduled: at(-10))

    @Test func allowStartsBesideAnActiveRun() {
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-10))), runs: [active], now: at(0.1))
        #expect(plan.startedRuns.count == 1)
        #expect(plan.stopped.isEmpty)
        #expect(plan.status.activeRuns == 2)
    }

    @Test func forbidSkipsTheTickAndCountsItMissed() {
        let sj = scheduledJob(status: status(lastSchedule: at(-10))) { $0.concurrencyPolicy = "Forbid" }
        let plan = SchedulePlanner.plan(sj, runs: [active], now: at(0.1))
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.missedRuns == 1)
        #expect(plan.status.lastScheduleTime == t0)
        #expect(plan.events.contains { $0.reason == "RunSkipped" && $0.message.contains("sj-old") })
    }

    @Test func replaceStopsTheActiveRunThenStartsTheNewOne() {
        let sj = scheduledJob(status: status(lastSchedule: at(-10))) { $0.concurrencyPolicy = "Replace" }
        let plan = SchedulePlanner.plan(sj, runs: [active], now: at(0.1))
        #expect(plan.steps.prefix(1) == [.stopRun(name: "sj-old", result: .cancelled)])
        #expect(plan.startedRuns.map(\.name) == ["sj-\(unix(t0))"])
        #expect(plan.status.history?.first?.result == .cancelled)
        #expect(plan.status.history?.first?.message?.contains("replaced by sj-\(unix(t0))") == true)
        #expect(plan.status.active?.map(\.name) == ["sj-\(unix(t0))"])
    }
}

@Suite struct HistoryAndResults {
    func finished(_ i: Int, _ result: RunResult) -> ObservedRun {
        run("sj-\(i)", scheduled: at(Double(-100 + i)), state: .finished(result, at: at(Double(-90 + i)), message: result == .succeeded ? nil : "BackoffLimitExceeded: Job has reached the specified backoff limit"))
    }

    @Test func finishedRunsAreRecordedNewestFirstAndTheOldestBeyondTheLimitDeleted() {
        let runs = (1...5).map { finished($0, .succeeded) }
        let sj = scheduledJob(status: status(lastSchedule: at(-1)))
        let plan = SchedulePlanner.plan(sj, runs: runs, now: at(0.5))
        #expect(plan.status.history?.map(\.name) == ["sj-5", "sj-4", "sj-3"])
        #expect(plan.deleted == ["sj-1", "sj-2"])
        #expect(plan.status.lastSuccessfulTime == at(-85))
        #expect(plan.eventReasons.filter { $0 == "RunSucceeded" }.count == 5)
        #expect(plan.eventReasons.contains("HistoryCleaned"))
        // Recorded runs are not announced again.
        let again = SchedulePlanner.plan(scheduledJob(status: plan.status), runs: Array(runs.suffix(3)), now: at(0.6))
        #expect(!again.eventReasons.contains("RunSucceeded"))
        #expect(again.deleted.isEmpty)
    }

    @Test func failedRunsKeepTheirOwnLimitAndMessage() {
        let runs = [finished(1, .failed), finished(2, .failed), finished(3, .succeeded)]
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-1))), runs: runs, now: at(0.5))
        #expect(plan.status.history?.map(\.name) == ["sj-3", "sj-2"])
        #expect(plan.deleted == ["sj-1"])
        #expect(plan.status.history?.last?.message == "BackoffLimitExceeded: Job has reached the specified backoff limit")
        #expect(plan.events.contains { $0.reason == "RunFailed" && $0.kind == .warning && $0.message.contains("backoff limit") })
    }

    @Test func zeroLimitsDeleteEveryFinishedRun() {
        let sj = scheduledJob(status: status(lastSchedule: at(-1))) {
            $0.successfulRunsHistoryLimit = 0
            $0.failedRunsHistoryLimit = 0
        }
        let plan = SchedulePlanner.plan(sj, runs: [finished(1, .succeeded), finished(2, .failed)], now: at(0.5))
        #expect(plan.status.history == nil)
        #expect(plan.deleted == ["sj-1", "sj-2"])
    }
}

@Suite struct RetriesAndTimeouts {
    @Test func aFailedRunIsRetriedAfterExponentialBackoffUpToTheLimit() {
        let configure: (inout ScheduledJobSpec) -> Void = { $0.retry = RetrySpec(limit: 2, backoffSeconds: 10, maxBackoffSeconds: 15) }
        let tick = at(-20)
        let id = RunNaming.scheduledRunID(tick)
        let failed1 = run("sj-\(id)", scheduled: tick, state: .finished(.failed, at: at(-5), message: "boom"))
        let p1 = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: t0), configure: configure), runs: [failed1], now: at(0.5))
        #expect(p1.status.pendingRetries == [PendingRetry(scheduledTime: tick, attempt: 2, notBefore: at(5), runID: id, trigger: .schedule)])
        #expect(abs((p1.requeueAfter ?? 0) - 4.5) < 0.001)
        #expect(p1.startedRuns.isEmpty)

        let p2 = SchedulePlanner.plan(scheduledJob(status: p1.status, configure: configure), runs: [failed1], now: at(5))
        #expect(p2.startedRuns == [RunRequest(name: "sj-\(id)-r2", runID: id, scheduledTime: tick, trigger: .retry, attempt: 2)])
        #expect(p2.status.pendingRetries == nil)

        let failed2 = run("sj-\(id)-r2", scheduled: tick, trigger: .retry, attempt: 2, started: at(5), state: .finished(.failed, at: at(6), message: "boom"), runID: id)
        let p3 = SchedulePlanner.plan(scheduledJob(status: p2.status, configure: configure), runs: [failed1, failed2], now: at(6))
        #expect(p3.status.pendingRetries?.first?.attempt == 3)
        #expect(p3.status.pendingRetries?.first?.notBefore == at(21))  // 10·2 = 20, capped at 15

        let failed3 = run("sj-\(id)-r3", scheduled: tick, trigger: .retry, attempt: 3, started: at(21), state: .finished(.failed, at: at(22), message: "boom"), runID: id)
        let p4 = SchedulePlanner.plan(scheduledJob(status: p3.status, configure: configure), runs: [failed2, failed3], now: at(22))
        #expect(p4.status.pendingRetries == nil)  // three attempts in all: no more
        #expect(!p4.eventReasons.contains("RetryScheduled"))
    }

    @Test func aRunPastItsTimeoutIsStoppedAndRecordedTimedOut() {
        let sj = scheduledJob(status: status(lastSchedule: at(-1))) { $0.runTimeoutSeconds = 60 }
        let old = run("sj-old", scheduled: at(-61), started: at(-61))
        let young = run("sj-young", scheduled: at(-30), started: at(-30))
        let plan = SchedulePlanner.plan(sj, runs: [old, young], now: at(0.5))
        #expect(plan.stopped == ["sj-old"])
        #expect(plan.status.history?.first?.result == .timedOut)
        #expect(plan.eventReasons.contains("RunTimedOut"))
        #expect(plan.status.active?.map(\.name) == ["sj-young", "sj-\(unix(t0))"])
        // Woken for the next tick (9.5 s) before the young run's deadline (29.5 s).
        #expect(abs((plan.requeueAfter ?? 0) - 9.5) < 0.001)
    }

    @Test func aJobKilledByItsActiveDeadlineCountsAsTimedOut() {
        let job = Job(
            metadata: ObjectMeta(name: "sj-1", annotations: ["sked.dev/scheduled-time": "2016-05-19T10:00:00Z", "sked.dev/run-id": "1463652000"]),
            status: JobStatus(conditions: [JobCondition(type: "Failed", status: "True", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline", lastTransitionTime: at(60))]))
        let observed = JobTarget.observedRun(of: job)
        #expect(observed?.state == .finished(.timedOut, at: at(60), message: "DeadlineExceeded: Job was active longer than specified deadline"))
        #expect(observed?.scheduledTime == t0)
    }
}

@Suite struct ImperativeAnnotations {
    @Test func eachNewRunNowTokenStartsOneManualRunEvenWhileSuspended() {
        let sj = scheduledJob(status: status(lastSchedule: at(-1)), annotations: ["sked.dev/run-now": "t1"]) { $0.suspend = true }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        let expected = RunNaming.runName(scheduledJob: "sj", runID: RunNaming.manualRunID(token: "t1"), attempt: 1)
        #expect(plan.startedRuns.map(\.name) == [expected])
        #expect(plan.startedRuns.first?.trigger == .manual)
        #expect(plan.status.lastRunNowToken == "t1")
        let again = SchedulePlanner.plan(scheduledJob(status: plan.status, annotations: ["sked.dev/run-now": "t1"]) { $0.suspend = true }, runs: [], now: at(1))
        #expect(again.startedRuns.isEmpty)
    }

    @Test func runNowRespectsForbid() {
        let sj = scheduledJob(status: status(lastSchedule: at(-1)), annotations: ["sked.dev/run-now": "t2"]) { $0.concurrencyPolicy = "Forbid" }
        let plan = SchedulePlanner.plan(sj, runs: [run("sj-a", scheduled: at(-1))], now: at(0.5))
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.lastRunNowToken == "t2")
        #expect(plan.eventReasons.contains("RunSkipped"))
    }

    @Test func aNewStopTokenStopsEveryActiveRunAndPendingRetry() {
        let sj = scheduledJob(status: status(lastSchedule: at(-1)) {
            $0.pendingRetries = [PendingRetry(scheduledTime: at(-30), attempt: 2, notBefore: at(100), runID: "x", trigger: .schedule)]
        }, annotations: ["sked.dev/stop": "s1"])
        let plan = SchedulePlanner.plan(sj, runs: [run("sj-a", scheduled: at(-20)), run("sj-b", scheduled: at(-10))], now: at(0.5))
        #expect(Set(plan.stopped) == ["sj-a", "sj-b"])
        #expect(plan.status.history?.allSatisfy { $0.result == .cancelled } == true)
        #expect(plan.status.lastStopToken == "s1")
        #expect(plan.status.pendingRetries == nil)
        #expect(plan.eventReasons.contains("Stopped"))
        // The tick that is due still starts (stop is not suspend).
        #expect(plan.startedRuns.count == 1)
    }
}

@Suite struct StopRacingAHeldBackStatusWrite {
    // The reconcile that started these runs left its status write to a requeue, so the token
    // and the tick are not recorded yet when a stop token arrives: the stopped runs must not
    // be started again under the same names (found by the fault-injection suite).
    @Test func aRunNowRunStoppedBeforeItsTokenWasRecordedIsNotStartedAgain() {
        let runID = RunNaming.manualRunID(token: "t1")
        let name = RunNaming.runName(scheduledJob: "sj", runID: runID, attempt: 1)
        let sj = scheduledJob(status: status(lastSchedule: at(-1)), annotations: ["sked.dev/run-now": "t1", "sked.dev/stop": "s1"]) { $0.suspend = true }
        let plan = SchedulePlanner.plan(sj, runs: [run(name, scheduled: at(0.2), trigger: .manual, runID: runID)], now: at(0.5))
        #expect(plan.stopped == [name])
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.lastRunNowToken == "t1" && plan.status.lastStopToken == "s1")
    }

    @Test func aLongStopTokenIsShownAbbreviated() {
        let token = String(repeating: "s", count: 10 * 1024)
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-1)), annotations: ["sked.dev/stop": token]), runs: [run("sj-a", scheduled: at(-10))], now: at(0.5))
        #expect(plan.status.lastStopToken == token)
        #expect(plan.status.history?.first?.message == "stopped by sked.dev/stop=" + String(repeating: "s", count: 64) + "…")
    }

    @Test func aScheduledRunStoppedBeforeItsTickWasRecordedIsNotStartedAgain() {
        let tickRun = run("sj-tick0", scheduled: t0)
        let sj = scheduledJob(status: status(lastSchedule: at(-1)), annotations: ["sked.dev/stop": "s1"])
        let plan = SchedulePlanner.plan(sj, runs: [tickRun], now: at(0.5))
        #expect(plan.stopped == ["sj-tick0"])
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.lastScheduleTime == t0)
        #expect(plan.status.missedRuns ?? 0 == 0)
    }
}

@Suite struct OneShotRuns {
    @Test func aScheduledJobWithoutScheduleRunsOnceWhenCreated() {
        let sj = scheduledJob(schedule: nil, created: at(-1))
        let plan = SchedulePlanner.plan(sj, runs: [], now: t0)
        #expect(plan.startedRuns == [RunRequest(name: "sj-once", runID: "once", scheduledTime: at(-1), trigger: .once, attempt: 1)])
        #expect(plan.requeueAfter == nil)
        let later = SchedulePlanner.plan(scheduledJob(schedule: nil, created: at(-1), status: plan.status), runs: [], now: at(100))
        #expect(later.startedRuns.isEmpty)
    }

    @Test(arguments: [(RunResult.succeeded, "Succeeded"), (.failed, "Failed")])
    func itsPhaseFollowsTheRunsResult(result: RunResult, phase: String) {
        let sj = scheduledJob(schedule: nil, created: at(-10), status: status(lastSchedule: at(-10)))
        let done = run("sj-once", scheduled: at(-10), trigger: .once, state: .finished(result, at: at(-1), message: nil), runID: "once")
        #expect(SchedulePlanner.plan(sj, runs: [done], now: t0).status.phase == phase)
    }
}

@Suite struct InvalidSpecs {
    @Test(arguments: [
        ("61 * * * *", nil as String?, "InvalidSchedule", "minute"),
        ("TZ=Europe/Berlin 0 * * * *", nil, "InvalidSchedule", "timeZone"),
        ("0 * * * *", "Mars/Olympus", "InvalidTimeZone", "Mars/Olympus"),
    ])
    func aBadScheduleOrZoneIsAConditionAndAnEventNotACrash(schedule: String, zone: String?, reason: String, mentions: String) {
        let sj = scheduledJob(schedule: schedule) { $0.timeZone = zone }
        let plan = SchedulePlanner.plan(sj, runs: [], now: t0)
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.phase == "Invalid")
        let ready = plan.status.conditions?[type: "Ready"]
        #expect(ready?.status == "False")
        #expect(ready?.reason == reason)
        #expect(ready?.message.contains(mentions) == true)
        #expect(plan.events.map(\.reason) == [reason])
        // Announced once, not on every reconcile.
        #expect(SchedulePlanner.plan(scheduledJob(schedule: schedule, status: plan.status) { $0.timeZone = zone }, runs: [], now: at(5)).events.isEmpty)
    }

    @Test func zeroOrTwoTargetsAreInvalidSpec() {
        let none = scheduledJob { $0.jobTemplate = nil }
        #expect(SchedulePlanner.plan(none, runs: [], now: t0).status.conditions?[type: "Ready"]?.message.contains("none is set") == true)
        let both = scheduledJob { $0.flinkJob = FlinkJobSpec(jobManagerURL: "http://jm:8081", jarURL: "http://x/job.jar") }
        #expect(SchedulePlanner.plan(both, runs: [], now: t0).status.conditions?[type: "Ready"]?.reason == "InvalidSpec")
    }

    @Test func finishedRunsAreStillRecordedWhileTheSpecIsInvalid() {
        let sj = scheduledJob(schedule: "bad", status: status(lastSchedule: at(-20)))
        let plan = SchedulePlanner.plan(sj, runs: [run("sj-1", scheduled: at(-20), state: .finished(.succeeded, at: at(-2), message: nil))], now: t0)
        #expect(plan.status.history?.map(\.name) == ["sj-1"])
    }
}

@Suite struct Naming {
    @Test func longScheduledJobNamesGiveDeterministicJobNamesThatFit() {
        let long = String(repeating: "a", count: 60) + "-x"
        let n1 = RunNaming.runName(scheduledJob: long, runID: "1463652000", attempt: 1)
        let n2 = RunNaming.runName(scheduledJob: long, runID: "1463652010", attempt: 1)
        let r = RunNaming.runName(scheduledJob: long, runID: "1463652000", attempt: 3)
        #expect([n1, n2, r].allSatisfy { $0.count <= 63 })
        #expect(n1 != n2 && n1 != r)
        #expect(n1.hasSuffix("-1463652000"))
        #expect(r.hasSuffix("-1463652000-r3"))
        #expect(RunNaming.runName(scheduledJob: long, runID: "1463652000", attempt: 1) == n1)
        // Two long names that share a prefix still differ.
        #expect(RunNaming.runName(scheduledJob: long + "y", runID: "1", attempt: 1) != RunNaming.runName(scheduledJob: long + "z", runID: "1", attempt: 1))
        #expect(RunNaming.labelValue(scheduledJob: long + long).count <= 63)
        #expect(RunNaming.labelValue(scheduledJob: "short") == "short")
    }

    @Test func shortNamesAreReadable() {
        #expect(RunNaming.runName(scheduledJob: "backup", runID: "1463652000", attempt: 1) == "backup-1463652000")
        #expect(RunNaming.runName(scheduledJob: "backup", runID: "once", attempt: 2) == "backup-once-r2")
    }
}

@Suite struct TakeoverAccounting {
    @Test func ticksStartedByAPreviousOperatorAreNeitherRestartedNorCountedMissed() {
        // The previous leader created the Job for t0-2 and t0 but died before writing status.
        let sj = scheduledJob(schedule: "*/2 * * * * *", status: status(lastSchedule: at(-4)))
        let runs = [run("sj-\(unix(at(-2)))", scheduled: at(-2)), run("sj-\(unix(t0))", scheduled: t0)]
        let plan = SchedulePlanner.plan(sj, runs: runs, now: at(0.5))
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.missedRuns == nil)
        #expect(plan.status.lastScheduleTime == t0)
        #expect(!plan.eventReasons.contains("MissedSchedule"))
        // With a real gap before them, only the gap counts.
        let gap = SchedulePlanner.plan(scheduledJob(schedule: "*/2 * * * * *", status: status(lastSchedule: at(-8))), runs: runs, now: at(0.5))
        #expect(gap.status.missedRuns == 2)  // t0-6 and t0-4; t0-2 and t0 ran
    }
}

@Suite struct RejectedStarts {
    @Test func aRefusedStartStaysInReadyUntilTheSpecChangesOrARunStarts() {
        var st = status(lastSchedule: t0)
        st.conditions = [Condition(type: "Ready", status: "False", reason: "RunStartFailed", message: "job JAR: not a JAR file", lastTransitionTime: t0, observedGeneration: 1)]
        let sj = scheduledJob(status: st)
        #expect(SchedulePlanner.plan(sj, runs: [], now: at(1)).status.conditions?[type: "Ready"]?.reason == "RunStartFailed")
        // The next tick starts a run: Ready is recomputed.
        #expect(SchedulePlanner.plan(sj, runs: [], now: at(10)).status.conditions?[type: "Ready"]?.reason == "Scheduled")
        var changed = sj
        changed.metadata.generation = 2
        #expect(SchedulePlanner.plan(changed, runs: [], now: at(1)).status.conditions?[type: "Ready"]?.reason == "Scheduled")
    }

    @Test func flinkRunsAreRecordedWithTheirKindJobIDAndSavepoint() {
        let sj = scheduledJob(created: at(-5)) {
            $0.jobTemplate = nil
            $0.flinkJob = FlinkJobSpec(jobManagerURL: "http://jm:8081", jarURL: "http://jars/job.jar")
        }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        #expect(plan.status.active?.first?.kind == "FlinkJob")
        #expect(plan.status.active?.first?.runID == RunNaming.scheduledRunID(t0))
        var finished = run("sj-1", scheduled: at(-10), state: .finished(.succeeded, at: at(-1), message: nil))
        finished.kind = "FlinkJob"
        finished.flink = FlinkRunInfo(flinkJobID: "0123", jarID: "j", jobManagerURL: "http://jm:8081", savepointPath: "file:/sp")
        let recorded = SchedulePlanner.plan(sj, runs: [finished], now: at(0.5)).status.history?.first
        #expect(recorded?.kind == "FlinkJob" && recorded?.flinkJobID == "0123" && recorded?.savepointPath == "file:/sp")
    }
}

/// Values an author can write that once made the operator trap (exit 132) on every restart,
/// so that no ScheduledJob in the cluster was scheduled any more.
@Suite struct IntegerBounds {
    static func spec(_ configure: (inout ScheduledJobSpec) -> Void) -> ScheduledJobSpec { scheduledJob(configure: configure).spec }

    @Test(arguments: [
        (spec { $0.retry = RetrySpec(limit: Int.max) }, "spec.retry.limit: must be between 0 and 100, got 9223372036854775807"),
        (spec { $0.retry = RetrySpec(limit: -1) }, "spec.retry.limit: must be between 0 and 100, got -1"),
        (spec { $0.retry = RetrySpec(backoffSeconds: .max) }, "spec.retry.backoffSeconds: must be between 0 and 315360000, got 9223372036854775807"),
        (spec { $0.retry = RetrySpec(maxBackoffSeconds: 315_360_001) }, "spec.retry.maxBackoffSeconds: must be between 0 and 315360000, got 315360001"),
        (spec { $0.runTimeoutSeconds = 10_000_000_000 }, "spec.runTimeoutSeconds: must be between 1 and 315360000, got 10000000000"),
        (spec { $0.runTimeoutSeconds = 0 }, "spec.runTimeoutSeconds: must be between 1 and 315360000, got 0"),
        (spec { $0.startingDeadlineSeconds = .max }, "spec.startingDeadlineSeconds: must be between 0 and 315360000, got 9223372036854775807"),
        (spec { $0.successfulRunsHistoryLimit = 101 }, "spec.successfulRunsHistoryLimit: must be between 0 and 100, got 101"),
        (spec { $0.failedRunsHistoryLimit = .max }, "spec.failedRunsHistoryLimit: must be between 0 and 100, got 9223372036854775807"),
    ])
    func aValueBeyondItsBoundIsInvalidSpecNamingTheField(spec: ScheduledJobSpec, message: String) {
        let failed = run("sj-1", scheduled: at(-20), state: .finished(.failed, at: at(-5), message: "boom"))
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-20))) { $0 = spec }, runs: [failed], now: t0)
        let ready = plan.status.conditions?[type: "Ready"]
        #expect(ready?.reason == "InvalidSpec")
        #expect(ready?.message == message)
        #expect(plan.status.phase == "Invalid")
        #expect(plan.startedRuns.isEmpty)
    }

    /// The fuzzers' seed `scheduledjob-hostile-integers`: every integer at its edge, in spec and
    /// in a status someone else wrote, planned at a fixed instant and at the edges of time.
    @Test func aScheduledJobWithEveryIntegerAtItsEdgePlansWithoutTrapping() throws {
        let seed = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Fuzz/Corpus/watch/scheduledjob-hostile-integers").standardized)
        guard case .added(let sj) = try WatchEvent<ScheduledJob>.decode(seed.dropFirst(2).dropLast()) else {
            Issue.record("the seed is not an ADDED event")
            return
        }
        #expect(sj.status?.pendingRetries?.first?.attempt == Int.max)
        let runs = (sj.status?.active ?? []).map {
            ObservedRun(name: $0.name, kind: $0.kind, runID: $0.runID ?? $0.name, scheduledTime: $0.scheduledTime, trigger: $0.trigger, attempt: $0.attempt, startTime: $0.startTime, createdAt: $0.startTime, state: .active)
        }
        // The same hostile status under the largest valid spec: planned, not refused.
        var valid = sj
        valid.spec = scheduledJob { $0.retry = RetrySpec(limit: SpecBounds.maxRetryLimit, backoffSeconds: SpecBounds.maxSeconds, maxBackoffSeconds: SpecBounds.maxSeconds)
            $0.startingDeadlineSeconds = SpecBounds.maxSeconds
            $0.runTimeoutSeconds = SpecBounds.maxSeconds
            $0.successfulRunsHistoryLimit = SpecBounds.maxHistoryLimit
        }.spec
        for now in [t0, Date(timeIntervalSince1970: 0), Date.distantFuture] {
            let plan = SchedulePlanner.plan(sj, runs: runs, now: now)
            #expect(plan.status.conditions?[type: "Ready"]?.reason == "InvalidSpec")
            let planned = SchedulePlanner.plan(valid, runs: runs, now: now)
            #expect(planned.status.conditions?[type: "Ready"]?.reason != "InvalidSpec")
        }
    }

    @Test func underAllowATickBeyondTheActiveRunsCapIsSkippedWithAWarning() {
        let sj = scheduledJob(status: status(lastSchedule: at(-10)))
        let active = (0..<SpecBounds.maxActiveRuns).map { run("sj-\($0)", scheduled: at(-20), started: at(-20)) }
        let plan = SchedulePlanner.plan(sj, runs: active, now: t0)
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.events.contains { $0.reason == "RunSkipped" && $0.kind == .warning && $0.message.contains("100 runs are active") })
        // One fewer, and the tick starts as usual.
        #expect(SchedulePlanner.plan(sj, runs: Array(active.dropLast()), now: t0).startedRuns.count == 1)
    }

    @Test func theLargestAllowedValuesPlanWithoutTrapping() {
        let configure: (inout ScheduledJobSpec) -> Void = {
            $0.retry = RetrySpec(limit: SpecBounds.maxRetryLimit, backoffSeconds: SpecBounds.maxSeconds, maxBackoffSeconds: SpecBounds.maxSeconds)
            $0.runTimeoutSeconds = SpecBounds.maxSeconds
            $0.startingDeadlineSeconds = SpecBounds.maxSeconds
            $0.successfulRunsHistoryLimit = SpecBounds.maxHistoryLimit
            $0.failedRunsHistoryLimit = SpecBounds.maxHistoryLimit
        }
        let tick = at(-20)
        let id = RunNaming.scheduledRunID(tick)
        let failed = run("sj-\(id)-r100", scheduled: tick, trigger: .retry, attempt: 100, state: .finished(.failed, at: at(-5), message: "boom"), runID: id)
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: t0), configure: configure), runs: [failed], now: at(0.5))
        #expect(plan.status.conditions?[type: "Ready"]?.status == "True")
        let retry = plan.status.pendingRetries?.first
        #expect(retry?.attempt == 101)
        #expect(retry?.notBefore == at(-5).addingTimeInterval(TimeInterval(SpecBounds.maxSeconds)))  // capped at maxBackoffSeconds
    }

    @Test func anAttemptNumberReadBackFromTheClusterIsClampedAndGetsNoFurtherRetry() {
        let configure: (inout ScheduledJobSpec) -> Void = { $0.retry = RetrySpec(limit: 3) }
        // A Job whose sked.dev/attempt annotation someone set near Int.max.
        let job = Job(
            metadata: ObjectMeta(name: "sj-1", annotations: [
                "sked.dev/scheduled-time": "2016-05-19T10:00:00Z", "sked.dev/run-id": "1463652000", "sked.dev/attempt": String(Int.max),
            ]),
            status: JobStatus(conditions: [JobCondition(type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "boom", lastTransitionTime: at(60))]))
        let observed = JobTarget.observedRun(of: job)
        #expect(observed?.attempt == SpecBounds.maxAttempt)
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: t0), configure: configure), runs: [observed!], now: at(61))
        #expect(plan.status.pendingRetries == nil)
        #expect(plan.status.history?.first?.attempt == SpecBounds.maxAttempt)
    }

    @Test func aMissedRunsCountAtIntMaxSaturates() {
        // Forbid with an active run: the tick is counted missed on top of a count someone wrote.
        let sj = scheduledJob(status: status(lastSchedule: at(-10)) { $0.missedRuns = Int.max }) { $0.concurrencyPolicy = "Forbid" }
        let plan = SchedulePlanner.plan(sj, runs: [run("sj-busy", scheduled: at(-10))], now: at(0.5))
        #expect(plan.status.missedRuns == Int.max)
    }

    @Test(arguments: [1, 2, 3, 10, 63, 64, 65, 1000, Int.max])
    func theBackoffIsClosedFormForAnyAttempt(attempt: Int) throws {
        let spec = try scheduledJob { $0.retry = RetrySpec(limit: 100, backoffSeconds: 10, maxBackoffSeconds: 600) }.spec.validated().get()
        var looped = 10.0
        for _ in 1..<min(attempt, 70) where looped < 600 { looped *= 2 }
        #expect(spec.retryDelay(afterAttempt: attempt) == min(looped, 600))
    }
}
