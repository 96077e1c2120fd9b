import Foundation

/// Schedule arithmetic as pure functions, modelled on Kubernetes'
/// `pkg/controller/cronjob/utils.go`. Nothing here reads the clock; callers
/// pass "now" in.
public enum NextFireTime {
    /// The first fire time strictly after `after`, or `nil` if none within five years.
    public static func next(_ s: CronSchedule, in tz: TimeZone, after: Date) -> Date? {
        s.next(after: after, in: tz)
    }

    /// Up to `count` consecutive fire times after `after`, each found from the
    /// previous one; shorter if the schedule runs out.
    public static func upcoming(_ s: CronSchedule, in tz: TimeZone, after: Date, count: Int) -> [Date] {
        var result: [Date] = []
        result.reserveCapacity(max(count, 0))
        var cursor = after
        while result.count < count, let fire = s.next(after: cursor, in: tz) {
            result.append(fire)
            cursor = fire
        }
        return result
    }

    /// The most recent fire time `t` with `earliest < t <= now`, or `nil`.
    ///
    /// Equivalent to following `next` from `earliest` until passing `now`, but
    /// costs O(log n) calls of `next` for n missed activations, so a
    /// per-second schedule after a week of downtime is cheap.
    ///
    /// For field-based schedules it relies on `next(after: x)` depending only
    /// on the whole second of `x` and growing with `x`: the instants `x` whose
    /// next activation is still `<= now` then form an interval starting at
    /// `earliest`, and the answer is the next activation after its last second.
    /// That interval is searched backwards from `now` with doubling steps, then
    /// bisected, so probes stay near the answer and within robfig's five-year
    /// horizon of it.
    public static func mostRecent(_ s: CronSchedule, in tz: TimeZone, after earliest: Date, notAfter now: Date) -> Date? {
        guard earliest < now else { return nil }
        let low = Int64(earliest.timeIntervalSince1970.rounded(.down))
        let high = Int64(now.timeIntervalSince1970.rounded(.down))

        switch s.kind {
        case .every(let delay):
            // Activations are earliest's whole second plus k delays (k >= 1).
            let k = (high - low) / delay.seconds
            guard k >= 1 else { return nil }
            return Date(timeIntervalSince1970: TimeInterval(low + k * delay.seconds))

        case .spec(let spec):
            func fire(after second: Int64) -> Int64? {
                spec.next(after: Date(timeIntervalSince1970: TimeInterval(second)), in: tz)
                    .map { Int64($0.timeIntervalSince1970) }
            }
            func firesInWindow(after second: Int64) -> Bool {
                guard let f = fire(after: second) else { return false }
                return TimeInterval(f) <= now.timeIntervalSince1970
            }
            // Invariant: firesInWindow(good) is true, firesInWindow(bad) is false.
            // `high` is bad: the next activation after now's second is > now.
            var bad = high
            var good: Int64
            var stride: Int64 = 1
            while true {
                let probe = bad - stride
                if probe <= low {
                    guard firesInWindow(after: low) else { return nil }
                    good = low
                    break
                }
                if firesInWindow(after: probe) {
                    good = probe
                    break
                }
                bad = probe
                stride = stride > Int64.max / 2 ? stride : stride * 2
            }
            while bad - good > 1 {
                let mid = good + (bad - good) / 2
                if firesInWindow(after: mid) { good = mid } else { bad = mid }
            }
            return fire(after: good).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }
}
