import Foundation

/// Deterministic names for runs: the name derived from (ScheduledJob, scheduled time or
/// token, attempt) is what makes a restarted or doubled operator harmless: a second
/// create of the same run fails with AlreadyExists instead of starting it twice.
public enum RunNaming {
    /// Job names end up as the `job-name` label of their pods, so they must fit in 63 characters.
    public static let maxNameLength = 63

    /// `<unix seconds>` for a scheduled tick.
    public static func scheduledRunID(_ scheduledTime: Date) -> String {
        String(Int64(scheduledTime.timeIntervalSince1970.rounded(.down)))
    }

    /// `m<hash of the token>` for a `sked.dev/run-now` token.
    public static func manualRunID(token: String) -> String { "m" + hash(token, length: 10) }

    public static let onceRunID = "once"

    /// The run's name: `<scheduledjob>-<runID>`, plus `-r<attempt>` for retries, shortened with
    /// a hash of the ScheduledJob name when it would not fit.
    public static func runName(scheduledJob: String, runID: String, attempt: Int) -> String {
        let suffix = attempt > 1 ? "\(runID)-r\(attempt)" : runID
        return fit(scheduledJob, suffix: suffix)
    }

    /// The `sked.dev/scheduled-job` label value: the name itself, or a shortened form with a hash.
    public static func labelValue(scheduledJob: String) -> String {
        guard scheduledJob.count > maxNameLength else { return scheduledJob }
        return shorten(scheduledJob, keep: maxNameLength - 11) + "-" + hash(scheduledJob, length: 10)
    }

    static func fit(_ prefix: String, suffix: String) -> String {
        let full = "\(prefix)-\(suffix)"
        guard full.count > maxNameLength else { return full }
        let keep = maxNameLength - suffix.count - 12
        return shorten(prefix, keep: keep) + "-" + hash(prefix, length: 10) + "-" + suffix
    }

    /// A prefix that still ends in an alphanumeric character, as DNS-1123 names must.
    private static func shorten(_ s: String, keep: Int) -> String {
        var p = String(s.prefix(max(1, keep)))
        while let last = p.last, !(last.isLetter || last.isNumber), p.count > 1 { p.removeLast() }
        return p
    }

    /// FNV-1a, 64 bit, as lowercase hex: stable across processes and versions (unlike `Hasher`).
    public static func hash(_ s: String, length: Int) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(length))
    }
}
