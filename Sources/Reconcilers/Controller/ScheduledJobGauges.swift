import Foundation
import K8sClient

/// Per-ScheduledJob gauges in Prometheus text format, computed at scrape time from the cached
/// objects' status. Status lives in the cluster, so a new leader reports the same values the
/// old one did from its first scrape: unlike counters, they survive restarts and failover,
/// which is what an alert such as "no success in 25 h" needs.
public enum ScheduledJobGauges {
    public static let families: [(name: String, help: String)] = [
        ("sked_scheduledjob_info", "One series per ScheduledJob, labelled with its phase, whether it is Ready and why, and whether it is suspended."),
        ("sked_scheduledjob_last_success_timestamp_seconds", "When the ScheduledJob's last successful run finished (absent until one does)."),
        ("sked_scheduledjob_last_schedule_timestamp_seconds", "When the ScheduledJob last started a run."),
        ("sked_scheduledjob_next_schedule_timestamp_seconds", "The ScheduledJob's next tick (absent when none is due: suspended, one-shot, invalid)."),
        ("sked_scheduledjob_active_runs", "Runs of the ScheduledJob that are active now."),
        ("sked_scheduledjob_missed_runs", "Ticks the ScheduledJob missed (status.missedRuns, kept in the cluster)."),
    ]

    /// Appends the gauge families for `scheduledJobs` to `buffer`, sorted by namespace and name.
    public static func emit(_ scheduledJobs: [ScheduledJob], into buffer: inout [UInt8]) {
        let sorted = scheduledJobs.sorted { ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < ($1.metadata.namespace ?? "", $1.metadata.name ?? "") }
        var lines = ""
        for (i, family) in families.enumerated() {
            lines += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) gauge\n"
            for sj in sorted {
                guard let value = value(i, of: sj) else { continue }
                var labels = [("namespace", sj.metadata.namespace ?? ""), ("name", sj.metadata.name ?? "")]
                if i == 0 { labels += infoLabels(sj) }
                lines += family.name + "{" + labels.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",") + "} " + value + "\n"
            }
        }
        buffer.append(contentsOf: Array(lines.utf8))
    }

    private static func value(_ family: Int, of sj: ScheduledJob) -> String? {
        let status = sj.status
        switch family {
        case 0: return "1"
        case 1: return status?.lastSuccessfulTime.map(seconds)
        case 2: return status?.lastScheduleTime.map(seconds)
        case 3: return status?.nextScheduleTime.map(seconds)
        case 4: return String(status?.activeRuns ?? 0)
        default: return String(status?.missedRuns ?? 0)
        }
    }

    private static func infoLabels(_ sj: ScheduledJob) -> [(String, String)] {
        let ready = sj.status?.conditions?[type: "Ready"]
        return [
            ("phase", sj.status?.phase ?? "Pending"),
            ("ready", ready?.status ?? "Unknown"),
            ("reason", ready?.reason ?? ""),
            ("suspended", sj.spec.suspend == true ? "true" : "false"),
        ]
    }

    private static func seconds(_ date: Date) -> String {
        String(format: "%.3f", date.timeIntervalSince1970)
    }

    /// The text format's label value escapes: backslash, double quote, line feed.
    static func escaped(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
