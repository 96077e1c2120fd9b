import Foundation

/// An instant viewed in a time zone, with exactly the arithmetic of Go's
/// `time.Time` that robfig's `SpecSchedule.Next` uses (`time.Date`,
/// `AddDate`, `Add`, `Truncate`, and the wall-clock accessors).
///
/// Only whole seconds are represented: robfig discards the nanoseconds
/// before it starts searching.
struct GoTime: Sendable {
    /// Seconds since the Unix epoch.
    var unix: Int64
    let zone: TimeZone

    /// Wall-clock fields in `zone`.
    struct Fields {
        var year: Int64, month: Int64, day: Int64
        var hour: Int64, minute: Int64, second: Int64
        /// 0 = Sunday, as Go's `time.Weekday`.
        var weekday: Int64
    }

    init(unix: Int64, zone: TimeZone) {
        self.unix = unix
        self.zone = zone
    }

    var date: Date { Date(timeIntervalSince1970: TimeInterval(unix)) }

    static func offset(_ zone: TimeZone, at unix: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(unix))))
    }

    var fields: Fields {
        let local = unix + GoTime.offset(zone, at: unix)
        let days = GoTime.floorDiv(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (y, m, d) = GoTime.civil(fromDays: days)
        return Fields(year: y, month: m, day: d,
                      hour: secondOfDay / 3_600,
                      minute: secondOfDay % 3_600 / 60,
                      second: secondOfDay % 60,
                      weekday: GoTime.floorMod(days + 4, 7))
    }

    /// Go's `time.Date(year, month, day, hour, minute, second, 0, zone)`,
    /// including its normalisation of out-of-range values and its choice of
    /// offset for wall-clock times that fall into a gap or an overlap.
    static func date(year: Int64, month: Int64, day: Int64,
                     hour: Int64, minute: Int64, second: Int64, zone: TimeZone) -> GoTime {
        var year = year
        var month0 = month - 1
        year += floorDiv(month0, 12)
        month0 = floorMod(month0, 12)
        var minute = minute, hour = hour, day = day
        minute += floorDiv(second, 60)
        let second = floorMod(second, 60)
        hour += floorDiv(minute, 60)
        minute = floorMod(minute, 60)
        day += floorDiv(hour, 24)
        hour = floorMod(hour, 24)

        let days = daysFromCivil(year: year, month: month0 + 1, day: 1) + day - 1
        let local = days * 86_400 + hour * 3_600 + minute * 60 + second
        // Go looks up the offset in force at `local` read as UTC; if the
        // resulting instant lies outside that offset's zone period it takes
        // the offset in force at that instant instead. Both branches reduce to
        // "the offset at (local - first guess)", which also covers Go's
        // shortcut for a zero first guess.
        let guess = offset(zone, at: local)
        let unix = local - offset(zone, at: local - guess)
        return GoTime(unix: unix, zone: zone)
    }

    /// Go's `AddDate`: wall-clock arithmetic that is re-normalised by `time.Date`.
    func addingDate(months: Int64 = 0, days: Int64 = 0) -> GoTime {
        let f = fields
        return GoTime.date(year: f.year, month: f.month + months, day: f.day + days,
                           hour: f.hour, minute: f.minute, second: f.second, zone: zone)
    }

    /// Go's `Add`: absolute arithmetic, indifferent to the wall clock.
    func adding(seconds: Int64) -> GoTime {
        GoTime(unix: unix + seconds, zone: zone)
    }

    /// Go's `Truncate(time.Minute)`. Go truncates the absolute time since
    /// year 1, which is a whole number of days before the Unix epoch, so
    /// flooring Unix seconds is equivalent.
    func truncatedToMinute() -> GoTime {
        GoTime(unix: GoTime.floorDiv(unix, 60) * 60, zone: zone)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Inverse of `daysFromCivil`.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
