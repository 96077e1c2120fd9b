import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// #15 against the real API server: the CRD takes the new fields (and refuses bad ones at
/// apply), missed ticks are caught up after downtime with one Job per tick across a restart,
/// and excluded ticks get no Job but a count and an Event.
@Suite struct AdvancedSchedulingAgainstTheAPIServer {
    @Test func theCRDTakesTheNewFieldsAndRefusesBadOnes() async throws {
        try await OperatorFixture.with("sched-crd") { f in
            let sj = try await f.create("full", schedule: "0 3 * * *") {
                $0.schedules = ["30 12 * * 1-5"]
                $0.catchUp = CatchUpSpec(policy: "All", maxRuns: 5, windowSeconds: 7200)
                $0.startTime = "2026-01-01T00:00:00Z"
                $0.endTime = "2027-01-01T00:00:00+01:00"
                $0.maxRuns = 400
                $0.exclude = [ExclusionSpec(schedule: "* * 25 12 *"), ExclusionSpec(dates: ["2026-12-31"])]
                $0.jitterSeconds = 120
                $0.suspendReason = "not yet"
            }
            #expect(sj.spec.catchUp?.maxRuns == 5 && sj.spec.exclude?.count == 2 && sj.spec.jitterSeconds == 120 && sj.spec.schedules == ["30 12 * * 1-5"])
            for (name, configure, field) in [
                ("bad-date", { (s: inout ScheduledJobSpec) in s.exclude = [ExclusionSpec(dates: ["31.12.2026"])] }, "spec.exclude"),
                ("bad-jitter", { (s: inout ScheduledJobSpec) in s.jitterSeconds = 100_000 }, "spec.jitterSeconds"),
                ("bad-policy", { (s: inout ScheduledJobSpec) in s.catchUp = CatchUpSpec(policy: "Everything") }, "spec.catchUp.policy"),
                ("bad-start", { (s: inout ScheduledJobSpec) in s.startTime = "next monday" }, "spec.startTime"),
            ] as [(String, (inout ScheduledJobSpec) -> Void, String)] {
                await #expect { _ = try await f.create(name, schedule: "* * * * *", configure: configure) } throws: {
                    ($0 as? KubernetesError)?.statusCode == 422 && "\($0)".contains(field)
                }
            }
        }
    }

    @Test func missedTicksAreCaughtUpOncePerTickAcrossARestart() async throws {
        try await OperatorFixture.with("sched-catchup") { f in
            var sj = try await f.create("catchup", schedule: "*/10 * * * * *") {
                $0.catchUp = CatchUpSpec(policy: "All", maxRuns: 3, windowSeconds: 3600)
            }
            // As if the operator had last been here 65 s ago: six ticks were missed.
            let downSince = Date().addingTimeInterval(-65)
            var s = ScheduledJobStatus()
            s.lastScheduleTime = downSince
            sj.status = s
            _ = try await f.scheduledJobs.updateStatus(sj)
            let expected = EffectiveSchedule(crons: [try ScheduleParser.parse("*/10 * * * * *")], timeZone: .gmt)
            var firstRound: [String] = []
            try await f.running {
                #expect(try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "catchup").count >= 3 })
                firstRound = try await f.childJobs(of: "catchup").compactMap(\.metadata.name)
            }
            // Three missed ticks, consecutive and created at once (one reconcile), named after
            // their ticks; the ones before them counted missed.
            let started = try await f.childJobs(of: "catchup").compactMap { job -> (tick: Int64, created: Date)? in
                guard let tick = job.metadata.name?.split(separator: "-").last.flatMap({ Int64($0) }), let created = job.metadata.creationTimestamp else { return nil }
                return (tick, created)
            }.sorted { $0.tick < $1.tick }
            try #require(started.count >= 3, "\(firstRound)")
            let first = Array(started.prefix(3))
            #expect(first[1].tick - first[0].tick == 10 && first[2].tick - first[1].tick == 10, "\(first)")
            #expect(Double(first[0].tick) > downSince.timeIntervalSince1970)
            let before = expected.ticks(after: downSince, before: Date(timeIntervalSince1970: TimeInterval(first[0].tick)), limit: 100).count
            let caught = try await f.scheduledJobs.get("catchup").status
            #expect(before >= 3 && caught?.missedRuns == before, "\(before) ticks before the first caught up; status \(String(describing: caught?.missedRuns))")
            #expect((caught?.scheduledRuns ?? 0) >= 3)
            // One reconcile started all three (its Event names the range), not one per look.
            let iso = { (t: Int64) in RFC3339.format(Date(timeIntervalSince1970: TimeInterval(t))) }
            let caughtUp = "Started 3 missed run(s) scheduled from \(iso(first[0].tick)) to \(iso(first[2].tick))"
            #expect(try await f.events(for: "catchup").contains { $0.reason == "CatchingUp" && $0.message?.hasPrefix(caughtUp) == true }, "\(caughtUp)")
            // A restart: every tick still has exactly one Job (the names make a second create fail).
            try await f.running {
                try await Task.sleep(for: .seconds(3))
            }
            let all = try await f.childJobs(of: "catchup")
            let perTick = Dictionary(grouping: all) { $0.metadata.annotations?["sked.dev/scheduled-time"] ?? "" }
            #expect(perTick.values.allSatisfy { $0.count == 1 }, "\(perTick.mapValues(\.count))")
        }
    }

    @Test func excludedTicksGetNoJobButACountAndAnEvent() async throws {
        try await OperatorFixture.with("sched-exclude") { f in
            // Every 2 s; the seconds divisible by 4 are excluded.
            _ = try await f.create("holiday", schedule: "*/2 * * * * *") { $0.exclude = [ExclusionSpec(schedule: "*/4 * * * * *")] }
            try await f.running {
                let handled = try await eventually(timeout: .seconds(60)) {
                    let skipped = try await f.scheduledJobs.get("holiday").status?.skippedRuns ?? 0
                    let jobs = try await f.childJobs(of: "holiday").count
                    return skipped >= 2 && jobs >= 2
                }
                #expect(handled)
                #expect(try await eventually(timeout: .seconds(30)) { try await f.events(for: "holiday").contains { $0.reason == "RunExcluded" } })
            }
            let seconds = try await f.childJobs(of: "holiday").compactMap { $0.metadata.name?.split(separator: "-").last.flatMap { Int64($0) } }
            #expect(!seconds.isEmpty && seconds.allSatisfy { $0 % 4 == 2 }, "\(seconds)")
        }
    }

    @Test func enqueuedTicksWaitInStatusAcrossARestartAndStartInOrder() async throws {
        try await OperatorFixture.with("sched-enqueue") { f in
            _ = try await f.create("queue", schedule: "*/2 * * * * *") {
                $0.concurrencyPolicy = "Enqueue"
                $0.maxQueued = 3
            }
            var queued: [QueuedRun] = []
            try await f.running {
                // The first Job never ends by itself here (no node): the next ticks queue.
                let filled = await eventually(timeout: .seconds(60)) {
                    queued = (try? await f.scheduledJobs.get("queue").status?.queued) ?? []
                    return queued.count >= 2
                }
                #expect(filled)
            }
            let jobs = try await f.childJobs(of: "queue")
            #expect(jobs.count == 1, "one active run: \(jobs.compactMap(\.metadata.name))")
            // A restart keeps the queue (it is in status); the first Job ends: the oldest queued tick starts.
            try await f.running {
                let waiting = try await f.scheduledJobs.get("queue").status?.queued ?? []
                #expect(waiting.prefix(2) == queued.prefix(2), "the queue survived the restart")
                try await f.finish(jobs[0], succeeded: true)
                #expect(try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "queue").count >= 2 })
            }
            let names = try await f.childJobs(of: "queue").compactMap(\.metadata.name)
            #expect(names.contains("queue-\(Int64(queued[0].scheduledTime.timeIntervalSince1970))"), "\(names) after queue \(queued)")
            let status = try await f.scheduledJobs.get("queue").status
            #expect((status?.queued?.count ?? 0) <= 3 && status?.queuedRuns == status?.queued?.count ?? 0, "maxQueued 3: \(String(describing: status))")
        }
    }
}
