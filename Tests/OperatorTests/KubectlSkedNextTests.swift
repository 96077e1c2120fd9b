import Foundation
import K8sClient
import Reconcilers
import Testing

@testable import Operator

/// `kubectl sked next NAME` shows when runs start, as the operator computes it: exclusions,
/// bounds, jitter and maxRuns applied.
@Suite struct KubectlSkedNextRendering {
    let now = Date(timeIntervalSince1970: 1_798_675_200)  // 2026-12-31T00:00:00Z (a Thursday)

    func sj(_ configure: (inout ScheduledJobSpec) -> Void) -> ScheduledJob {
        var spec = ScheduledJobSpec(schedule: "0 9 * * *", timeZone: "Europe/Berlin", jobTemplate: JobTemplate(spec: ["template": ["spec": [:]]]))
        configure(&spec)
        var meta = ObjectMeta(name: "report", namespace: "ns")
        meta.uid = "2f9c1f0e-5d3a-4b8e-9c61-0d7e3a1b2c4d"
        return ScheduledJob(metadata: meta, spec: spec)
    }

    @Test func exclusionsAndEndTimeAreApplied() throws {
        let out = try KubectlSked.Next.render(sj {
            $0.exclude = [ExclusionSpec(dates: ["2027-01-01"]), ExclusionSpec(schedule: "* * * * SAT,SUN")]
            $0.endTime = "2027-01-06T12:00:00+01:00"
        }, count: 5, now: now)
        // 31 Dec, (1 Jan excluded), (2-3 Jan a weekend), 4, 5, 6 Jan; then the end.
        #expect(out == ["2026-12-31T09:00:00+01:00", "2027-01-04T09:00:00+01:00", "2027-01-05T09:00:00+01:00", "2027-01-06T09:00:00+01:00"].joined(separator: "\n"))
    }

    @Test func jitterIsTheOperatorsOffsetAndMaxRunsStopsTheList() throws {
        let jittered = try KubectlSked.Next.render(sj { $0.jitterSeconds = 600 }, count: 2, now: now)
        var timing = EffectiveSchedule(crons: [try ScheduleParser.parse("0 9 * * *")], timeZone: TimeZone(identifier: "Europe/Berlin")!, jitterSeconds: 600)
        timing.jitterSeed = "2f9c1f0e-5d3a-4b8e-9c61-0d7e3a1b2c4d"
        let starts = timing.upcomingStarts(after: now, count: 2)
        #expect(jittered == starts.map { LocalTime.format($0, in: TimeZone(identifier: "Europe/Berlin")!) }.joined(separator: "\n"))
        #expect(starts.first!.timeIntervalSince1970 > 1_798_704_000 - 1 && starts.first!.timeIntervalSince1970 <= 1_798_704_000 + 600)
        var limited = sj { $0.maxRuns = 3 }
        limited.status = ScheduledJobStatus()
        limited.status?.scheduledRuns = 2
        #expect(try KubectlSked.Next.render(limited, count: 5, now: now).split(separator: "\n").count == 1)
        limited.status?.scheduledRuns = 3
        #expect(try KubectlSked.Next.render(limited, count: 5, now: now) == "(completed: maxRuns=3 runs were started)")
    }

    /// `sked next` and the operator's `status.nextScheduleTimes` are the same computation.
    @Test func itListsWhatThePlannerWritesToStatus() throws {
        var object = sj {
            $0.schedule = "*/15 * * * *"
            $0.jitterSeconds = 300
            $0.exclude = [ExclusionSpec(schedule: "30 * * * *")]
        }
        object.metadata.creationTimestamp = now.addingTimeInterval(-3600)
        object.metadata.generation = 1
        let later = now.addingTimeInterval(120)
        let plan = SchedulePlanner.plan(object, runs: [], now: later)
        let listed = try #require(plan.status.nextScheduleTimes)
        #expect(listed.count == 5)
        object.status = plan.status
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(try KubectlSked.Next.render(object, count: 5, now: later) == listed.map { LocalTime.format($0, in: berlin) }.joined(separator: "\n"))
    }

    @Test func anInvalidSpecSaysWhy() {
        #expect { try KubectlSked.Next.render(sj { $0.endTime = "soon" }, count: 5, now: now) } throws: {
            ($0 as? NextCommand.NextError)?.message == "scheduledjob \"report\" is invalid: spec.endTime: \"soon\" is not an RFC 3339 time such as 2026-12-24T18:00:00+01:00"
        }
    }
}

@Suite struct KubectlSkedBackfillRequest {
    @Test func theRangeIsCheckedAndWrittenAsTheOperatorReadsIt() throws {
        #expect(try KubectlSked.Backfill.request(from: "2026-12-01T00:00:00+01:00", to: "2026-12-07T00:00:00Z", max: 10)
            == "from=2026-11-30T23:00:00Z,to=2026-12-07T00:00:00Z,max=10")
        #expect(throws: NextCommand.NextError.self) { try KubectlSked.Backfill.request(from: "monday", to: "2026-12-07T00:00:00Z", max: nil) }
        #expect(throws: NextCommand.NextError.self) { try KubectlSked.Backfill.request(from: "2026-12-08T00:00:00Z", to: "2026-12-07T00:00:00Z", max: nil) }
        #expect(throws: NextCommand.NextError.self) { try KubectlSked.Backfill.request(from: "2026-12-01T00:00:00Z", to: "2026-12-07T00:00:00Z", max: 5000) }
    }
}
