import Foundation
import K8sClient
import Reconcilers
import Testing

@Suite struct ScheduledJobGaugesText {
    func text(_ sjs: [ScheduledJob]) -> String {
        var buffer: [UInt8] = []
        ScheduledJobGauges.emit(sjs, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func eachScheduledJobGetsItsSeriesFromStatus() {
        // Planned at a tick: one run active.
        let planned = SchedulePlanner.plan(scheduledJob("nightly"), runs: [], now: t0).status
        var done = planned
        done.lastSuccessfulTime = at(-90)
        done.lastScheduleTime = at(-100)
        done.missedRuns = 3
        let invalid = SchedulePlanner.plan(scheduledJob("broken", schedule: "61 * * * *"), runs: [], now: t0).status
        let out = text([
            scheduledJob("nightly", status: done),
            scheduledJob("broken", schedule: "61 * * * *", status: invalid),
            scheduledJob("paused", status: planned) { $0.suspend = true },
        ])
        let lines = Set(out.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"sked_scheduledjob_info{namespace="ns",name="nightly",phase="Running",ready="True",reason="Scheduled",suspended="false"} 1"#))
        #expect(lines.contains(#"sked_scheduledjob_info{namespace="ns",name="broken",phase="Invalid",ready="False",reason="InvalidSchedule",suspended="false"} 1"#))
        #expect(lines.contains(#"sked_scheduledjob_info{namespace="ns",name="paused",phase="Running",ready="True",reason="Scheduled",suspended="true"} 1"#))
        #expect(lines.contains(#"sked_scheduledjob_last_success_timestamp_seconds{namespace="ns",name="nightly"} 1463651910.000"#))
        #expect(lines.contains(#"sked_scheduledjob_last_schedule_timestamp_seconds{namespace="ns",name="nightly"} 1463651900.000"#))
        #expect(lines.contains(#"sked_scheduledjob_next_schedule_timestamp_seconds{namespace="ns",name="nightly"} 1463652010.000"#))
        #expect(lines.contains(#"sked_scheduledjob_missed_runs{namespace="ns",name="nightly"} 3"#))
        #expect(lines.contains(#"sked_scheduledjob_active_runs{namespace="ns",name="broken"} 0"#))
        // Never succeeded, no next tick: no series rather than a made-up zero.
        #expect(!out.contains(#"sked_scheduledjob_last_success_timestamp_seconds{namespace="ns",name="broken"}"#))
        #expect(!out.contains(#"sked_scheduledjob_next_schedule_timestamp_seconds{namespace="ns",name="broken"}"#))
        for family in ScheduledJobGauges.families.map(\.name) {
            #expect(lines.contains("# TYPE \(family) gauge"))
        }
    }

    @Test func labelValuesAreEscaped() {
        var s = ScheduledJobStatus()
        s.phase = "Odd\"\\\nPhase"
        #expect(text([scheduledJob("x", status: s)]).contains(#"phase="Odd\"\\\nPhase""#))
    }

    @Test func noScheduledJobsLeaveOnlyTheFamilyHeaders() {
        #expect(!text([]).contains("{"))
    }
}
