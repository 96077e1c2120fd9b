import Foundation

/// The ticks a ScheduledJob runs at, as plain functions of (schedule, last tick, now): the union
/// of its cron schedules inside `startTime`…`endTime`, each due at the tick plus its jitter offset.
/// Excluded ticks stay ticks (they are skipped and counted, not silently absent).
public struct EffectiveSchedule: Sendable {
    public var crons: [CronSchedule]
    public var timeZone: TimeZone
    public var startTime: Date?
    public var endTime: Date?
    public var exclusions: [Exclusion]
    public var jitterSeconds: Int64
    /// What the jitter offset is derived from besides the tick (the ScheduledJob's UID), so that
    /// every replica and every restart computes the same start, and ScheduledJobs on the same
    /// schedule spread out.
    public var jitterSeed: String

    public enum Exclusion: Sendable, Hashable {
        /// Matched to the second when the expression has six fields, else to the minute.
        case schedule(CronSchedule, toTheSecond: Bool)
        /// Local dates, `YYYY-MM-DD`.
        case dates(Set<String>)
    }

    public init(crons: [CronSchedule], timeZone: TimeZone, startTime: Date? = nil, endTime: Date? = nil, exclusions: [Exclusion] = [], jitterSeconds: Int64 = 0, jitterSeed: String = "") {
        self.crons = crons
        self.timeZone = timeZone
        self.startTime = startTime
        self.endTime = endTime
        self.exclusions = exclusions
        self.jitterSeconds = jitterSeconds
        self.jitterSeed = jitterSeed
    }

    /// Ticks are whole seconds: half a second before `startTime` lets a tick at it count.
    private func bounded(after: Date) -> Date { startTime.map { max(after, $0.addingTimeInterval(-0.5)) } ?? after }

    /// The first tick strictly after `after`, or nil (none within five years, or past `endTime`).
    public func next(after: Date) -> Date? {
        let from = bounded(after: after)
        guard let tick = crons.compactMap({ $0.next(after: from, in: timeZone) }).min() else { return nil }
        if let endTime, tick > endTime { return nil }
        return tick
    }

    /// The most recent tick `t` with `earliest < t <= now`, or nil.
    public func mostRecent(after earliest: Date, notAfter now: Date) -> Date? {
        let until = endTime.map { min(now, $0) } ?? now
        return crons.compactMap { NextFireTime.mostRecent($0, in: timeZone, after: bounded(after: earliest), notAfter: until) }.max()
    }

    /// Ticks `t` with `after < t < before`, oldest first, at most `limit`.
    public func ticks(after: Date, before: Date, limit: Int) -> [Date] {
        var out: [Date] = []
        var cursor = after
        while out.count < limit, let t = next(after: cursor), t < before {
            out.append(t)
            cursor = t
        }
        return out
    }

    public func isExcluded(_ tick: Date) -> Bool {
        exclusions.contains { exclusion in
            switch exclusion {
            case .dates(let dates):
                return dates.contains(Self.localDate(tick, in: timeZone))
            case .schedule(let cron, let toTheSecond):
                let at = toTheSecond ? tick : Date(timeIntervalSince1970: (tick.timeIntervalSince1970 / 60).rounded(.down) * 60)
                return cron.next(after: at.addingTimeInterval(-1), in: timeZone) == at
            }
        }
    }

    /// Seconds after its tick a run starts: in `0...jitterSeconds`, from a hash of the seed and
    /// the tick, so it is the same wherever it is computed.
    public func offset(of tick: Date) -> TimeInterval {
        guard jitterSeconds > 0 else { return 0 }
        let key = "\(jitterSeed)/\(Int64(tick.timeIntervalSince1970.rounded(.down)))"
        return TimeInterval(SpreadHash.value(key) % UInt64(jitterSeconds + 1))
    }

    public func due(_ tick: Date) -> Date { tick.addingTimeInterval(offset(of: tick)) }

    /// When the next `count` runs start: ticks after `after`, excluded ones skipped, with their
    /// jitter (what `kubectl sked next` and `status.nextScheduleTime` show).
    public func upcomingStarts(after: Date, count: Int) -> [Date] {
        var out: [Date] = []
        var cursor = after
        // An exclusion may hold many ticks in a row (a per-minute schedule on a holiday).
        var looked = 0
        while out.count < count, looked < 100_000, let t = next(after: cursor) {
            looked += 1
            cursor = t
            if !isExcluded(t) { out.append(due(t)) }
        }
        return out
    }

    /// The starts still to come, as the planner will start them: ticks after `lastHandled` (the
    /// last tick run, skipped or missed, else the object's creation) whose start, jitter
    /// included, is after `now`; at most `limit`. Ticks long past need no walk, only those whose
    /// jitter may still be to come.
    public func pendingStarts(after lastHandled: Date, now: Date, limit: Int) -> [Date] {
        guard limit > 0 else { return [] }
        let horizon = now.addingTimeInterval(-TimeInterval(jitterSeconds) - 1)
        return Array(upcomingStarts(after: max(lastHandled, horizon), count: limit + 64).filter { $0 > now }.prefix(limit))
    }

    public static func localDate(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
