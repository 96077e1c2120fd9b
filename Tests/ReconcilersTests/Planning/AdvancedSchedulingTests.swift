import Foundation
import K8sClient
import Reconcilers
import Testing

/// #15: catch-up, several schedules, bounds, maxRuns, exclusions and jitter, decided by the pure
/// planner at fixed instants. t0 is 2016-05-19T10:00:00Z (a Thursday).
@Suite struct CatchUpAfterDowntime {
    /// Every minute; the operator was last there an hour ago.
    func downtime(_ configure: (inout ScheduledJobSpec) -> Void) -> ScheduledJob {
        scheduledJob(schedule: "0 * * * * *", status: status(lastSchedule: at(-3600)), configure: configure)
    }

    @Test func latestIsTheDefaultAndStartsOnlyTheMostRecentTick() {
        let plan = SchedulePlanner.plan(downtime { _ in }, runs: [], now: at(5))
        #expect(plan.startedRuns.map(\.scheduledTime) == [t0])
        #expect(plan.status.missedRuns == 59)
    }

    @Test func allStartsEveryMissedTickInsideTheWindowOldestFirstNamedAfterItsTick() {
        let sj = downtime { $0.catchUp = CatchUpSpec(policy: "All", windowSeconds: 300) }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(5))
        // 10:00, and the four minutes before it that are at most 300 s old (09:55 is 305 s late).
        #expect(plan.startedRuns.map(\.scheduledTime) == [at(-240), at(-180), at(-120), at(-60), t0])
        #expect(plan.startedRuns.map(\.name) == [at(-240), at(-180), at(-120), at(-60), t0].map { "sj-\(unix($0))" })
        #expect(plan.status.missedRuns == 55)
        #expect(plan.status.lastScheduleTime == t0)
        #expect(plan.status.scheduledRuns == 5)
        #expect(plan.eventReasons.contains("CatchingUp") && plan.eventReasons.contains("MissedSchedule"))
    }

    @Test func theWindowDefaultsToTheStartingDeadlineAndMaxRunsKeepsTheMostRecent() {
        let capped = downtime { $0.catchUp = CatchUpSpec(policy: "All", maxRuns: 3) }
        #expect(SchedulePlanner.plan(capped, runs: [], now: at(5)).startedRuns.map(\.scheduledTime) == [at(-120), at(-60), t0])
        let byDeadline = downtime {
            $0.catchUp = CatchUpSpec(policy: "All")
            $0.startingDeadlineSeconds = 150
        }
        #expect(SchedulePlanner.plan(byDeadline, runs: [], now: at(5)).startedRuns.map(\.scheduledTime) == [at(-120), at(-60), t0])
    }

    @Test func aRestartNeverStartsACaughtUpTickTwice() {
        let sj = downtime { $0.catchUp = CatchUpSpec(policy: "All", windowSeconds: 300) }
        // The Jobs of an earlier operator exist, its status write did not happen.
        let existing = [at(-240), at(-120)].map { run("sj-\(unix($0))", scheduled: $0) }
        let plan = SchedulePlanner.plan(sj, runs: existing, now: at(5))
        #expect(plan.startedRuns.map(\.scheduledTime) == [at(-180), at(-60), t0])
        // And after the status was written, nothing more starts.
        let again = SchedulePlanner.plan(scheduledJob(schedule: "0 * * * * *", status: plan.status) { $0.catchUp = CatchUpSpec(policy: "All", windowSeconds: 300) },
                                         runs: existing + plan.startedRuns.map { run($0.name, scheduled: $0.scheduledTime) }, now: at(6))
        #expect(again.startedRuns.isEmpty)
    }

    @Test func underForbidTheMissedTicksRunOneAfterAnother() {
        let spec: (inout ScheduledJobSpec) -> Void = {
            $0.catchUp = CatchUpSpec(policy: "All", windowSeconds: 200)
            $0.concurrencyPolicy = "Forbid"
        }
        let first = SchedulePlanner.plan(downtime(spec), runs: [], now: at(5))
        #expect(first.startedRuns.map(\.scheduledTime) == [at(-180)])
        #expect(first.status.lastScheduleTime == at(-180))
        // While it runs, the others wait.
        let running = run("sj-\(unix(at(-180)))", scheduled: at(-180))
        let waiting = SchedulePlanner.plan(scheduledJob(schedule: "0 * * * * *", status: first.status, configure: spec), runs: [running], now: at(10))
        #expect(waiting.startedRuns.isEmpty && waiting.status.lastScheduleTime == at(-180))
        // It ends: the next one starts.
        let done = run("sj-\(unix(at(-180)))", scheduled: at(-180), state: .finished(.succeeded, at: at(20), message: nil))
        let next = SchedulePlanner.plan(scheduledJob(schedule: "0 * * * * *", status: waiting.status, configure: spec), runs: [done], now: at(21))
        #expect(next.startedRuns.map(\.scheduledTime) == [at(-120)])
        #expect(next.status.missedRuns == first.status.missedRuns, "nothing counted twice")
    }
}

@Suite struct SchedulesAndBounds {
    @Test func severalSchedulesAreUnitedAndACommonTickRunsOnce() {
        // At :00 both fire; at :30 only the second.
        let sj = scheduledJob(schedule: "0 * * * * *", created: at(-5)) { $0.schedules = ["*/30 * * * * *"] }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.2))
        #expect(plan.startedRuns.map(\.name) == ["sj-\(unix(t0))"])
        #expect(plan.status.nextScheduleTime == at(30))
        let later = SchedulePlanner.plan(scheduledJob(schedule: "0 * * * * *", status: plan.status) { $0.schedules = ["*/30 * * * * *"] }, runs: [], now: at(30.2))
        #expect(later.startedRuns.map(\.scheduledTime) == [at(30)])
    }

    @Test func noTickBeforeStartTimeOrAfterEndTime() {
        let configure: (inout ScheduledJobSpec) -> Void = {
            $0.startTime = "2016-05-19T10:00:20Z"
            $0.endTime = "2016-05-19T10:00:40Z"
        }
        let sj = scheduledJob(schedule: "*/10 * * * * *", created: at(-60), configure: configure)
        let early = SchedulePlanner.plan(sj, runs: [], now: at(5))
        #expect(early.startedRuns.isEmpty && early.status.nextScheduleTime == at(20))
        let inside = SchedulePlanner.plan(sj, runs: [], now: at(20.5))
        #expect(inside.startedRuns.map(\.scheduledTime) == [at(20)])
        #expect(inside.status.missedRuns == nil, "ticks before startTime are not missed, they are not ticks")
        let last = SchedulePlanner.plan(scheduledJob(schedule: "*/10 * * * * *", status: status(lastSchedule: at(30)), configure: configure), runs: [], now: at(40.5))
        #expect(last.startedRuns.map(\.scheduledTime) == [at(40)])
        let after = SchedulePlanner.plan(scheduledJob(schedule: "*/10 * * * * *", status: last.status, configure: configure), runs: [], now: at(50.5))
        #expect(after.startedRuns.isEmpty && after.status.nextScheduleTime == nil)
        #expect(after.status.phase == "Completed")
        #expect(after.status.conditions?[type: "Ready"]?.reason == "Completed")
    }

    @Test func afterMaxRunsTheScheduledJobIsCompleted() {
        let sj = scheduledJob(schedule: "*/10 * * * * *", status: status(lastSchedule: at(-10)) { $0.scheduledRuns = 1 }) { $0.maxRuns = 2 }
        let second = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        #expect(second.startedRuns.count == 1 && second.status.scheduledRuns == 2)
        #expect(second.status.phase == "Running")
        let finished = run("sj-\(unix(t0))", scheduled: t0, state: .finished(.succeeded, at: at(3), message: nil))
        let done = SchedulePlanner.plan(scheduledJob(schedule: "*/10 * * * * *", status: second.status) { $0.maxRuns = 2 }, runs: [finished], now: at(10.5))
        #expect(done.startedRuns.isEmpty && done.status.phase == "Completed" && done.status.nextScheduleTime == nil)
        #expect(done.status.conditions?[type: "Ready"]?.message == "No more runs are scheduled: maxRuns=2 runs were started")
        // Run-now still works on a completed ScheduledJob, and does not count.
        let manual = SchedulePlanner.plan(scheduledJob(schedule: "*/10 * * * * *", status: done.status, annotations: ["sked.dev/run-now": "x"]) { $0.maxRuns = 2 }, runs: [finished], now: at(11))
        #expect(manual.startedRuns.map(\.trigger) == [.manual] && manual.status.scheduledRuns == 2)
    }

    @Test func theScheduledRunCountSaturates() {
        // Written by someone else at the top of the range: one more run does not wrap it.
        let sj = scheduledJob(schedule: "*/10 * * * * *", status: status(lastSchedule: at(-10)) { $0.scheduledRuns = Int.max })
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        #expect(plan.startedRuns.count == 1 && plan.status.scheduledRuns == Int.max)
    }

    @Test func theSuspendReasonIsShown() {
        let sj = scheduledJob {
            $0.suspend = true
            $0.suspendReason = "change freeze until Monday"
        }
        let ready = SchedulePlanner.plan(sj, runs: [], now: t0).status.conditions?[type: "Ready"]
        #expect(ready?.message == "Suspended (change freeze until Monday): no new runs are scheduled")
    }
}

@Suite struct ExclusionsAndJitter {
    @Test func anExcludedTickIsSkippedCountedAndAnnounced() {
        // 2016-05-19 is excluded by date, in Berlin (10:00Z is 12:00 there).
        let sj = scheduledJob(schedule: "0 * * * * *", created: at(-5)) {
            $0.timeZone = "Europe/Berlin"
            $0.exclude = [ExclusionSpec(dates: ["2016-05-19"])]
        }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.skippedRuns == 1 && plan.status.missedRuns == nil)
        #expect(plan.events.contains { $0.reason == "RunExcluded" && $0.message.contains("2016-05-19T10:00:00Z") })
        #expect(plan.status.lastScheduleTime == t0)
    }

    @Test func aCronExclusionMatchesToTheMinuteAndSixFieldsToTheSecond() {
        // Thursday 12:00 Berlin: "* 12 * * 4" excludes the whole hour's minutes.
        let hour = scheduledJob(schedule: "30 * * * * *", created: at(-5)) {
            $0.timeZone = "Europe/Berlin"
            $0.exclude = [ExclusionSpec(schedule: "* 12 * * 4")]
        }
        #expect(SchedulePlanner.plan(hour, runs: [], now: at(30.5)).status.skippedRuns == 1)
        let second = scheduledJob(schedule: "*/10 * * * * *", created: at(-5)) { $0.exclude = [ExclusionSpec(schedule: "0 * * * * *")] }
        let atZero = SchedulePlanner.plan(second, runs: [], now: at(0.5))
        #expect(atZero.startedRuns.isEmpty && atZero.status.skippedRuns == 1)
        let atTen = SchedulePlanner.plan(scheduledJob(schedule: "*/10 * * * * *", status: atZero.status) { $0.exclude = [ExclusionSpec(schedule: "0 * * * * *")] }, runs: [], now: at(10.5))
        #expect(atTen.startedRuns.map(\.scheduledTime) == [at(10)])
    }

    @Test func missedTicksInsideAnExclusionAreSkippedNotMissed() {
        let sj = scheduledJob(schedule: "0 * * * * *", status: status(lastSchedule: at(-180))) { $0.exclude = [ExclusionSpec(schedule: "0 58 9 * * *")] }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(5))
        // 09:58 excluded, 09:59 missed, 10:00 starts.
        #expect(plan.status.skippedRuns == 1 && plan.status.missedRuns == 1 && plan.startedRuns.map(\.scheduledTime) == [t0])
    }

    @Test func jitterDelaysEachRunByTheSameOffsetEverywhereAndNamesItAfterItsTick() {
        let configure: (inout ScheduledJobSpec) -> Void = { $0.jitterSeconds = 30 }
        let sj = scheduledJob(schedule: "0 * * * * *", created: at(-5), configure: configure)
        let timing = EffectiveSchedule(crons: [try! ScheduleParser.parse("0 * * * * *")], timeZone: .gmt, jitterSeconds: 30, jitterSeed: "uid-sj")
        let offset = timing.offset(of: t0)
        #expect((0...30).contains(offset))
        #expect(timing.offset(of: t0) == offset, "deterministic")
        // Spread: 60 ticks do not share one offset.
        #expect(Set((0..<60).map { timing.offset(of: at(Double($0) * 60)) }).count > 10)
        #expect(offset >= 1, "the fixture's UID gives this tick a delay")
        let before = SchedulePlanner.plan(sj, runs: [], now: at(offset - 0.5))
        #expect(before.startedRuns.isEmpty && before.status.nextScheduleTime == at(offset))
        #expect(abs((before.requeueAfter ?? -1) - 0.5) < 0.01)
        let due = SchedulePlanner.plan(sj, runs: [], now: at(offset + 0.5))
        #expect(due.startedRuns.map(\.name) == ["sj-\(unix(t0))"] && due.startedRuns.first?.scheduledTime == t0)
    }

    @Test func upcomingStartsSkipExclusionsAndAddJitter() throws {
        let timing = EffectiveSchedule(crons: [try ScheduleParser.parse("0 0 * * *")], timeZone: .gmt, endTime: at(5 * 86400),
                                       exclusions: [.dates(["2016-05-21"])], jitterSeconds: 0)
        // Midnights after t0: 20th, (21st excluded), 22nd, 23rd, 24th; then the end.
        #expect(timing.upcomingStarts(after: t0, count: 5).map { EffectiveSchedule.localDate($0, in: .gmt) } == ["2016-05-20", "2016-05-22", "2016-05-23", "2016-05-24"])
    }
}

@Suite struct AdvancedSchedulingValidation {
    func problem(_ configure: (inout ScheduledJobSpec) -> Void) -> SpecProblem? {
        if case .failure(let p) = scheduledJob(configure: configure).spec.validated() { return p }
        return nil
    }

    @Test func contradictionsNameTheField() {
        #expect(problem { $0.startTime = "2026-12-31T00:00:00Z"; $0.endTime = "2026-01-01T00:00:00Z" }?.message
            == "spec.endTime: 2026-01-01T00:00:00Z is before spec.startTime 2026-12-31T00:00:00Z")
        #expect(problem { $0.startTime = "tomorrow" }?.message.hasPrefix("spec.startTime: \"tomorrow\" is not an RFC 3339 time") == true)
        #expect(problem { $0.catchUp = CatchUpSpec(policy: "All"); $0.concurrencyPolicy = "Replace" }?.message.hasPrefix("spec.catchUp.policy: All does not go with concurrencyPolicy Replace") == true)
        #expect(problem { $0.catchUp = CatchUpSpec(policy: "Some") }?.message == "spec.catchUp.policy: \"Some\" is not one of Latest, All")
        #expect(problem { $0.catchUp = CatchUpSpec(maxRuns: 5) }?.message == "spec.catchUp: maxRuns and windowSeconds apply to policy All only (policy is Latest)")
        #expect(problem { $0.catchUp = CatchUpSpec(policy: "All", maxRuns: 1000) }?.message == "spec.catchUp.maxRuns: must be between 1 and 100, got 1000")
        #expect(problem { $0.schedules = ["0 * * * *", "61 * * * *"] }?.reason == "InvalidSchedule")
        #expect(problem { $0.schedules = ["0 * * * *", "61 * * * *"] }?.message.hasPrefix("spec.schedules[1]: ") == true)
        #expect(problem { $0.exclude = [ExclusionSpec(schedule: "@every 1h")] }?.message.hasPrefix("spec.exclude[0].schedule: \"@every 1h\" is an interval") == true)
        #expect(problem { $0.exclude = [ExclusionSpec(dates: ["2026-02-30"])] }?.message == "spec.exclude[0].dates[0]: \"2026-02-30\" is not a date like 2026-12-31")
        #expect(problem { $0.exclude = [ExclusionSpec()] }?.message == "spec.exclude[0]: set schedule or dates")
        #expect(problem { $0.jitterSeconds = 86401 }?.message == "spec.jitterSeconds: must be between 0 and 86400, got 86401")
        #expect(problem { $0.maxRuns = 0 }?.message == "spec.maxRuns: must be between 1 and 1000000000, got 0")
        #expect(problem { $0.schedule = nil; $0.maxRuns = 3 }?.message.hasPrefix("spec: catchUp, maxRuns, startTime, endTime, exclude and jitterSeconds need a schedule") == true)
        #expect(problem { $0.exclude = [ExclusionSpec(dates: ["2024-02-29"])]; $0.catchUp = CatchUpSpec(policy: "All", maxRuns: 5, windowSeconds: 60) } == nil)
    }
}

@Suite struct BufferedOverlap {
    let enqueue: (inout ScheduledJobSpec) -> Void = { $0.concurrencyPolicy = "Enqueue" }

    @Test func aTickThatFindsAnActiveRunWaitsAndStartsWhenTheSlotFrees() {
        let busy = run("sj-\(unix(at(-10)))", scheduled: at(-10))
        let plan = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-10)), configure: enqueue), runs: [busy], now: at(0.3))
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.queued == [QueuedRun(scheduledTime: t0, runID: "\(unix(t0))", trigger: .schedule)] && plan.status.queuedRuns == 1)
        #expect(plan.status.missedRuns == nil, "queued, not missed")
        #expect(plan.eventReasons.contains("RunQueued"))
        // Another tick while still busy: it queues behind.
        let second = SchedulePlanner.plan(scheduledJob(status: plan.status, configure: enqueue), runs: [busy], now: at(10.3))
        #expect(second.status.queued?.map(\.scheduledTime) == [t0, at(10)])
        // The active run ends: the oldest queued one starts (named after its tick), the other waits.
        let done = run("sj-\(unix(at(-10)))", scheduled: at(-10), state: .finished(.succeeded, at: at(12), message: nil))
        let freed = SchedulePlanner.plan(scheduledJob(status: second.status, configure: enqueue), runs: [done], now: at(12.1))
        #expect(freed.startedRuns.map(\.name) == ["sj-\(unix(t0))"] && freed.startedRuns.first?.scheduledTime == t0)
        #expect(freed.status.queued?.map(\.scheduledTime) == [at(10)])
    }

    @Test func maxQueuedOneKeepsOneWaitingAndSkipsTheRest() {
        let busy = run("sj-\(unix(at(-10)))", scheduled: at(-10))
        let configure: (inout ScheduledJobSpec) -> Void = { $0.concurrencyPolicy = "Enqueue"; $0.maxQueued = 1 }
        let first = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-10)), configure: configure), runs: [busy], now: at(0.3))
        let second = SchedulePlanner.plan(scheduledJob(status: first.status, configure: configure), runs: [busy], now: at(10.3))
        #expect(second.status.queued?.map(\.scheduledTime) == [t0])
        #expect(second.status.missedRuns == 1 && second.events.contains { $0.reason == "RunSkipped" && $0.message.contains("maxQueued=1") })
    }

    @Test func aQueuedRunThatAlreadyExistsIsNotStartedAgain() {
        // A restart after the dequeue created the Job but before the status write.
        var s = status(lastSchedule: t0)
        s.queued = [QueuedRun(scheduledTime: t0, runID: "\(unix(t0))", trigger: .schedule)]
        let created = run("sj-\(unix(t0))", scheduled: t0)
        let plan = SchedulePlanner.plan(scheduledJob(status: s, configure: enqueue), runs: [created], now: at(1))
        #expect(plan.startedRuns.isEmpty && plan.status.queued == nil)
    }

    @Test func aStopTokenDropsTheQueueAndMaxQueuedNeedsEnqueue() {
        var s = status(lastSchedule: t0)
        s.queued = [QueuedRun(scheduledTime: t0, runID: "\(unix(t0))", trigger: .schedule)]
        let busy = run("sj-\(unix(at(-10)))", scheduled: at(-10))
        let plan = SchedulePlanner.plan(scheduledJob(status: s, annotations: ["sked.dev/stop": "now"], configure: enqueue), runs: [busy], now: at(1))
        #expect(plan.status.queued == nil && plan.stopped == [busy.name])
        #expect(plan.events.contains { $0.reason == "Stopped" && $0.message.contains("dropped 1 queued run(s)") })
        if case .failure(let p) = scheduledJob { $0.maxQueued = 2 }.spec.validated() {
            #expect(p.message == "spec.maxQueued: applies to concurrencyPolicy Enqueue only (it is Allow)")
        } else {
            Issue.record("maxQueued without Enqueue was accepted")
        }
    }
}

@Suite struct Backfill {
    let request = "from=2016-05-19T09:00:00Z,to=2016-05-19T09:04:00Z"
    func sj(_ status: ScheduledJobStatus? = nil, value: String? = nil, _ configure: @escaping (inout ScheduledJobSpec) -> Void = { _ in }) -> ScheduledJob {
        scheduledJob(schedule: "0 * * * *", created: at(-60), status: status, annotations: ["sked.dev/backfill": value ?? request]) { spec in
            spec.schedule = "0 * * * * *"
            configure(&spec)
        }
    }

    @Test func underAllowEveryTickInTheRangeStartsOnceNamedAfterIt() {
        let plan = SchedulePlanner.plan(sj(), runs: [], now: at(0.5))
        let ticks = (0...4).map { at(-3600 + Double($0) * 60) }
        let backfilled = plan.startedRuns.filter { $0.trigger == .backfill }
        #expect(backfilled.map(\.scheduledTime) == ticks && backfilled.map(\.name) == ticks.map { "sj-\(unix($0))" })
        #expect(plan.status.backfill?.completed == true && plan.status.backfill?.started == 5)
        #expect(plan.eventReasons.contains("BackfillStarted") && plan.eventReasons.contains("BackfillCompleted"))
        // The same value again: nothing.
        let again = SchedulePlanner.plan(sj(plan.status), runs: backfilled.map { run($0.name, scheduled: $0.scheduledTime, trigger: .backfill) }, now: at(1))
        #expect(again.startedRuns.filter { $0.trigger == .backfill }.isEmpty)
    }

    @Test func underForbidOneAfterAnotherAndProgressSurvivesARestart() {
        let forbid: (inout ScheduledJobSpec) -> Void = { $0.concurrencyPolicy = "Forbid" }
        let first = SchedulePlanner.plan(sj(status(lastSchedule: t0), forbid), runs: [], now: at(1))
        #expect(first.startedRuns.map(\.scheduledTime) == [at(-3600)])
        #expect(first.status.backfill?.cursor == at(-3600) && first.status.backfill?.completed == false)
        let running = run("sj-\(unix(at(-3600)))", scheduled: at(-3600), trigger: .backfill)
        let waiting = SchedulePlanner.plan(sj(first.status, forbid), runs: [running], now: at(2))
        #expect(waiting.startedRuns.isEmpty)
        // Another operator, from status alone, after the first run ended.
        let done = run("sj-\(unix(at(-3600)))", scheduled: at(-3600), trigger: .backfill, state: .finished(.succeeded, at: at(3), message: nil))
        let next = SchedulePlanner.plan(sj(waiting.status, forbid), runs: [done], now: at(4))
        #expect(next.startedRuns.map(\.scheduledTime) == [at(-3540)] && next.status.backfill?.started == 2)
    }

    /// An operator started the next backfill run and died before writing status: the next one
    /// finds the run, counts it as this backfill's, and starts nothing twice (found by chaos).
    @Test func aRunStartedByAnOperatorThatDiedCountsAsStarted() {
        let forbid: (inout ScheduledJobSpec) -> Void = { $0.concurrencyPolicy = "Forbid" }
        let first = SchedulePlanner.plan(sj(status(lastSchedule: t0), forbid), runs: [], now: at(1))
        let firstDone = run("sj-\(unix(at(-3600)))", scheduled: at(-3600), trigger: .backfill, state: .finished(.succeeded, at: at(2), message: nil))
        // The lost reconcile started 09:01 from this status; its status write never happened.
        let orphan = run("sj-\(unix(at(-3540)))", scheduled: at(-3540), trigger: .backfill)
        let next = SchedulePlanner.plan(sj(first.status, forbid), runs: [firstDone, orphan], now: at(4))
        #expect(next.startedRuns.isEmpty, "09:01 runs already; 09:02 waits for it")
        #expect(next.status.backfill?.started == 2 && next.status.backfill?.skipped == 0 && next.status.backfill?.cursor == at(-3540))
    }

    @Test func ticksThatRanOrAreExcludedAreSkippedAndMaxCaps() {
        let ran = run("sj-\(unix(at(-3540)))", scheduled: at(-3540), state: .finished(.succeeded, at: at(-3530), message: nil))
        let plan = SchedulePlanner.plan(sj(status(lastSchedule: t0), value: request + ",max=2") { $0.exclude = [ExclusionSpec(schedule: "0 2 9 * * *")] }, runs: [ran], now: at(1))
        // 09:00 starts, 09:01 ran, 09:02 excluded, 09:03 starts, then max=2.
        #expect(plan.startedRuns.map(\.scheduledTime) == [at(-3600), at(-3420)])
        #expect(plan.status.backfill?.skipped == 2 && plan.status.backfill?.completed == true)
    }

    @Test(arguments: [
        ("from=yesterday,to=2016-05-19T09:04:00Z", "from= must be an RFC 3339 time"),
        ("from=2016-05-19T10:00:00Z,to=2016-05-19T09:00:00Z", "from= 2016-05-19T10:00:00Z is after to= 2016-05-19T09:00:00Z"),
        ("from=2016-05-19T09:00:00Z,to=2016-05-19T09:04:00Z,max=0", "max= must be between 1 and 1000"),
        ("start=2016-05-19T09:00:00Z", "\"start=2016-05-19T09:00:00Z\" is not from=, to= or max="),
    ])
    func aBadRequestIsRefusedOnceWithTheReason(value: String, reason: String) {
        let plan = SchedulePlanner.plan(sj(status(lastSchedule: t0), value: value), runs: [], now: at(1))
        #expect(plan.startedRuns.isEmpty && plan.status.backfill?.error?.hasPrefix(reason) == true, "\(String(describing: plan.status.backfill))")
        #expect(plan.events.contains { $0.reason == "BackfillRejected" && $0.kind == .warning })
        let again = SchedulePlanner.plan(sj(plan.status, value: value), runs: [], now: at(2))
        #expect(!again.eventReasons.contains("BackfillRejected"))
    }
}

/// #15 item 8: status lists the next five starts (`kubectl get sj -o wide`), computed as the
/// planner will start them: exclusions, bounds, maxRuns and jitter applied.
@Suite struct UpcomingStarts {
    @Test func statusListsTheNextFiveStartsTheFirstBeingNextScheduleTime() {
        let plan = SchedulePlanner.plan(scheduledJob(schedule: "*/10 * * * * *", created: at(-5)), runs: [], now: at(0.5))
        #expect(plan.status.nextScheduleTimes == [10, 20, 30, 40, 50].map { at($0) })
        #expect(plan.status.nextScheduleTime == plan.status.nextScheduleTimes?.first)
    }

    @Test func excludedTicksAndTicksAfterEndTimeAreNotListed() {
        let sj = scheduledJob(schedule: "*/10 * * * * *", created: at(-5)) {
            $0.exclude = [ExclusionSpec(schedule: "20,40 * * * * *")]
            $0.endTime = "2016-05-19T10:01:00Z"
        }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        #expect(plan.status.nextScheduleTimes == [10, 30, 50, 60].map { at($0) })
    }

    @Test func maxRunsLeavesOnlyTheRunsStillAllowed() {
        let sj = scheduledJob(schedule: "*/10 * * * * *", status: status(lastSchedule: at(-10)) { $0.scheduledRuns = 1 }) { $0.maxRuns = 4 }
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(0.5))
        // t0 starts now (the second run); two more may follow.
        #expect(plan.startedRuns.map(\.scheduledTime) == [t0])
        #expect(plan.status.nextScheduleTimes == [at(10), at(20)])
    }

    @Test func jitteredStartsAreListedAtTheirOwnTimeEvenWhenTheirTickHasPassed() {
        let sj = scheduledJob(schedule: "0 * * * * *", created: at(-5)) { $0.jitterSeconds = 30 }
        let timing = EffectiveSchedule(crons: [try! ScheduleParser.parse("0 * * * * *")], timeZone: .gmt, jitterSeconds: 30, jitterSeed: "uid-sj")
        let offset = timing.offset(of: t0)
        let plan = SchedulePlanner.plan(sj, runs: [], now: at(offset - 0.5))
        #expect(plan.status.nextScheduleTimes == (0..<5).map { timing.due(at(Double($0) * 60)) })
        #expect(plan.status.nextScheduleTimes?.first == at(offset), "t0 has passed, its start has not")
    }

    @Test func nothingIsListedWhenNoRunWillStart() {
        let suspended = SchedulePlanner.plan(scheduledJob(created: at(-5)) { $0.suspend = true }, runs: [], now: at(0.5))
        #expect(suspended.status.nextScheduleTimes == nil && suspended.status.nextScheduleTime == nil)
        let invalid = SchedulePlanner.plan(scheduledJob(schedule: "61 * * * *", created: at(-5)), runs: [], now: at(0.5))
        #expect(invalid.status.nextScheduleTimes == nil && invalid.status.phase == "Invalid")
        let oneShot = SchedulePlanner.plan(scheduledJob(schedule: nil, created: at(-5)), runs: [], now: at(0.5))
        #expect(oneShot.status.nextScheduleTimes == nil)
        let done = SchedulePlanner.plan(scheduledJob(status: status(lastSchedule: at(-10)) { $0.scheduledRuns = 3 }) { $0.maxRuns = 3 }, runs: [], now: at(0.5))
        #expect(done.status.phase == "Completed" && done.status.nextScheduleTimes == nil)
    }
}
