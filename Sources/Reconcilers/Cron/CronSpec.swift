import Foundation

/// A field-based schedule (robfig's `SpecSchedule`): six value sets searched
/// on the wall clock of a time zone.
public struct CronSpec: Sendable, Hashable {
    /// Allowed seconds (0-59).
    public let second: CronField
    /// Allowed minutes (0-59).
    public let minute: CronField
    /// Allowed hours (0-23).
    public let hour: CronField
    /// Allowed days of the month (1-31).
    public let dayOfMonth: CronField
    /// Allowed months (1-12).
    public let month: CronField
    /// Allowed weekdays (0-6, Sunday = 0).
    public let dayOfWeek: CronField

    /// Creates a spec from its six fields.
    public init(second: CronField, minute: CronField, hour: CronField,
                dayOfMonth: CronField, month: CronField, dayOfWeek: CronField) {
        self.second = second
        self.minute = minute
        self.hour = hour
        self.dayOfMonth = dayOfMonth
        self.month = month
        self.dayOfWeek = dayOfWeek
    }

    /// robfig's `dayMatches`: if either day field is a star both must match,
    /// otherwise matching either one is enough (classic cron semantics).
    func dayMatches(_ f: GoTime.Fields) -> Bool {
        let domMatch = dayOfMonth.contains(f.day)
        let dowMatch = dayOfWeek.contains(f.weekday)
        if dayOfMonth.isStar || dayOfWeek.isStar {
            return domMatch && dowMatch
        }
        return domMatch || dowMatch
    }

    /// The first activation strictly after `date`, searched on the wall
    /// clock of `zone`; `nil` when none is found within robfig's five-year
    /// horizon.
    ///
    /// This is a line-by-line port of robfig/cron v3 `SpecSchedule.Next`, so
    /// its behaviour around DST changes is robfig's, including its quirks:
    /// times inside a spring-forward gap are skipped, times inside a
    /// fall-back overlap fire on both passes when the field search revisits them.
    /// One quirk is not kept: robfig can answer with a time that is not after `date`.
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        guard let found = robfigNext(after: date, in: zone) else { return nil }
        if found > date { return found }
        // Found by the cron fuzzer (Fuzz/CronFuzzer). In the second pass of a fall-back
        // overlap, robfig's truncation to the hour lands before the overlap, so it can answer
        // with the first pass: "1 */51 3 1 * *" in Pacific/Chatham after 02:51:01+12:45 gives
        // 03:00:01+13:45, 51 minutes earlier, and the next time after that is 02:51:01+12:45
        // again, for ever. Step through the rest of the overlap (2 hours at most, Troll's)
        // second by second instead, then let robfig go on from beyond it.
        let start = Int64(date.timeIntervalSince1970.rounded(.down))
        let horizon = start + 3 * 3_600
        for second in (start + 1)...horizon {
            let t = GoTime(unix: second, zone: zone)
            if matches(t.fields) { return t.date }
        }
        return robfigNext(after: GoTime(unix: horizon, zone: zone).date, in: zone).flatMap { $0 > date ? $0 : nil }
    }

    /// Whether the wall-clock fields are an activation of this schedule.
    func matches(_ f: GoTime.Fields) -> Bool {
        second.contains(f.second) && minute.contains(f.minute) && hour.contains(f.hour)
            && dayMatches(f) && month.contains(f.month)
    }

    /// robfig/cron v3 `SpecSchedule.Next`, line by line.
    private func robfigNext(after date: Date, in zone: TimeZone) -> Date? {
        // With an empty second/minute/hour/month set robfig would walk
        // second by second (or hour by hour) for five years before giving up;
        // the answer is known up front.
        if second.isEmpty || minute.isEmpty || hour.isEmpty || month.isEmpty {
            return nil
        }
        // "Start at the earliest possible time (the upcoming second)."
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var t = GoTime(unix: seconds + 1, zone: zone)
        var added = false
        let yearLimit = t.fields.year + 5

        wrap: while true {
            var f = t.fields
            if f.year > yearLimit { return nil }

            while !month.contains(f.month) {
                if !added {
                    added = true
                    t = GoTime.date(year: f.year, month: f.month, day: 1,
                                    hour: 0, minute: 0, second: 0, zone: zone)
                }
                t = t.addingDate(months: 1)
                f = t.fields
                if f.month == 1 { continue wrap }
            }

            while !dayMatches(f) {
                if !added {
                    added = true
                    t = GoTime.date(year: f.year, month: f.month, day: f.day,
                                    hour: 0, minute: 0, second: 0, zone: zone)
                }
                t = t.addingDate(days: 1)
                f = t.fields
                // robfig's fix-up for midnights moved by DST.
                if f.hour != 0 {
                    t = t.adding(seconds: (f.hour > 12 ? 24 - f.hour : -f.hour) * 3_600)
                    f = t.fields
                }
                if f.day == 1 { continue wrap }
            }

            while !hour.contains(f.hour) {
                if !added {
                    added = true
                    t = GoTime.date(year: f.year, month: f.month, day: f.day,
                                    hour: f.hour, minute: 0, second: 0, zone: zone)
                }
                t = t.adding(seconds: 3_600)
                f = t.fields
                if f.hour == 0 { continue wrap }
            }

            while !minute.contains(f.minute) {
                if !added {
                    added = true
                    t = t.truncatedToMinute()
                }
                t = t.adding(seconds: 60)
                f = t.fields
                if f.minute == 0 { continue wrap }
            }

            while !second.contains(f.second) {
                // robfig truncates to the second here; we hold whole seconds only.
                added = true
                t = t.adding(seconds: 1)
                f = t.fields
                if f.second == 0 { continue wrap }
            }

            return t.date
        }
    }
}
