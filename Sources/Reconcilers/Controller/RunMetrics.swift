import Foundation
import Metrics

/// sked's run metrics. Labels are bounded: namespace and ScheduledJob name, target kind,
/// trigger and result — never run names or UIDs.
enum RunMetrics {
    static func dimensions(_ sj: ScheduledJob, _ target: String) -> [(String, String)] {
        [("namespace", sj.metadata.namespace ?? ""), ("scheduledjob", sj.metadata.name ?? ""), ("target", target)]
    }

    static func started(_ sj: ScheduledJob, target: String, trigger: Trigger, scheduledTime: Date, now: Date) {
        Counter(label: "sked_runs_started_total", dimensions: dimensions(sj, target) + [("trigger", trigger.rawValue)]).increment()
        if trigger == .schedule {
            // Lag of a scheduled start: what users feel as "late".
            Timer(label: "sked_schedule_lag_seconds").record(duration: .nanoseconds(Int64(max(0, now.timeIntervalSince(scheduledTime)) * 1e9)))
        }
    }

    static let targets = ["job", "flink"]

    /// Removes every series of a deleted ScheduledJob: a cluster where ScheduledJobs come and
    /// go (one per pull request, per tenant) would otherwise export more series forever.
    static func forget(_ sj: ScheduledJob) {
        for target in targets {
            for trigger in Trigger.allCases {
                Counter(label: "sked_runs_started_total", dimensions: dimensions(sj, target) + [("trigger", trigger.rawValue)]).destroy()
            }
            for result in RunResult.allCases {
                Counter(label: "sked_runs_finished_total", dimensions: dimensions(sj, target) + [("result", result.rawValue)]).destroy()
            }
        }
        Counter(label: "sked_runs_missed_total", dimensions: [("namespace", sj.metadata.namespace ?? ""), ("scheduledjob", sj.metadata.name ?? "")]).destroy()
    }

    /// Counts runs newly recorded as finished, and newly missed ticks, between two statuses.
    static func recorded(_ sj: ScheduledJob, before: ScheduledJobStatus?, after: ScheduledJobStatus, target: String) {
        let known = Set(before?.history?.map(\.name) ?? [])
        for record in after.history ?? [] where !known.contains(record.name) {
            Counter(label: "sked_runs_finished_total", dimensions: dimensions(sj, target) + [("result", record.result.rawValue)]).increment()
        }
        // Status can be written by others: no trap on any pair of counts.
        let (missed, overflow) = (after.missedRuns ?? 0).subtractingReportingOverflow(before?.missedRuns ?? 0)
        if !overflow, missed > 0 {
            Counter(label: "sked_runs_missed_total", dimensions: [("namespace", sj.metadata.namespace ?? ""), ("scheduledjob", sj.metadata.name ?? "")]).increment(by: missed)
        }
    }
}
