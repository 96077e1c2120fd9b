// libFuzzer target for the cron engine: ScheduleParser, CronSpec/ConstantDelay.next and
// NextFireTime.upcoming/mostRecent. Built and run by scripts/fuzz.sh (SKED_FUZZ=1).
//
// Input: the first byte picks a time zone and a start instant, the rest is the schedule
// (UTF-8, decoded lossily): digits 0-7 as the first byte pick the zones in `FuzzZone.all`
// in order. Every property below holds for robfig/cron v3 as well (two robfig quirks are
// allowed for explicitly, see RobfigQuirks), so a failure is a bug in the port, not a
// difference of opinion.
import FuzzDriver
import Foundation
import Reconcilers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data, count > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let zone = FuzzZone.all[Int(bytes[0]) % FuzzZone.all.count]
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let pick = Int(bytes[0]) / FuzzZone.all.count

    let schedule: CronSchedule
    do {
        schedule = try ScheduleParser.parse(text)
    } catch {
        checkError(error, for: text)
        return 0
    }
    checkRoundTrip(schedule, text: text)
    // A fixed ordinary instant plus one near a DST change of this zone (or a leap day).
    for start in [zone.starts[0], zone.starts[1 + pick % (zone.starts.count - 1)]] {
        checkNext(schedule, zone: zone.timeZone, from: start)
        checkMostRecent(schedule, zone: zone.timeZone, from: start)
    }
    return 0
}

/// Time zones with the awkward cases: DST at 02:00, DST at midnight (Santiago, São Paulo
/// until 2019), a 30-minute DST shift (Lord Howe), a :45 offset with DST (Chatham), and
/// a half-hour offset without DST (Kolkata).
struct FuzzZone: Sendable {
    let timeZone: TimeZone
    /// `starts[0]` is Kubernetes' favourite test instant; the others straddle DST changes.
    let starts: [Date]

    static let all: [FuzzZone] = [
        "UTC", "America/New_York", "Europe/Berlin", "America/Santiago",
        "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata",
    ].map { FuzzZone(identifier: $0) }

    init(identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { fatalError("unknown time zone \(identifier)") }
        timeZone = tz
        var starts = [Date(timeIntervalSince1970: 1_463_652_000)] // 2016-05-19T10:00:00Z
        starts.append(Date(timeIntervalSince1970: 1_709_210_096.789)) // 2024-02-29T12:34:56.789Z
        for year in [1_514_764_800.0, 1_704_067_200.0] { // 2018-01-01, 2024-01-01
            var after = Date(timeIntervalSince1970: year)
            for _ in 0..<2 {
                guard let change = tz.nextDaylightSavingTimeTransition(after: after) else { break }
                starts += [change - 3_600, change - 1, change + 0.25, change + 1_800]
                after = change
            }
        }
        self.starts = starts
    }
}

/// Invalid input is a `CronError` that says what is wrong, and where.
func checkError(_ error: CronError, for text: String) {
    check(error.expression == text, "error names another expression: \(error.expression)", text)
    check(!error.reason.isEmpty, "empty reason", text)
    // Byte-wise: a combining mark after the quote would defeat a grapheme-wise hasPrefix.
    check(error.description.utf8.starts(with: "invalid schedule \"\(text)\": ".utf8), "odd description \(error)", text)
    if let field = error.field {
        check(error.reason.utf8.starts(with: field.description.utf8), "reason does not start with the \(field): \(error.reason)", text)
    }
}

/// Parsing is deterministic, and printing the parsed fields back as a six-field
/// expression parses to the same schedule (so no field bit or star flag is lost).
func checkRoundTrip(_ schedule: CronSchedule, text: String) {
    check((try? ScheduleParser.parse(text)) == schedule, "parse is not deterministic", text)
    let canonical: String
    switch schedule.kind {
    case .every(let delay):
        check(delay.seconds >= 1, "@every delay \(delay.seconds) < 1 s", text)
        canonical = "@every \(delay.seconds)s"
    case .spec(let spec):
        let fields = [spec.second, spec.minute, spec.hour, spec.dayOfMonth, spec.month, spec.dayOfWeek]
        for field in fields {
            check(field.values.allSatisfy { $0 >= field.kind.minimum && $0 <= field.kind.maximum },
                  "\(field.kind) holds out-of-range values \(field.values)", text)
        }
        canonical = fields.map { field in
            if field.isStar { return "*" }
            // "," is robfig's (and our) spelling of an empty field.
            return field.isEmpty ? "," : field.values.map(String.init).joined(separator: ",")
        }.joined(separator: " ")
    }
    do {
        let again = try ScheduleParser.parse(canonical)
        check(again == schedule, "\"\(canonical)\" parses to a different schedule", text)
    } catch {
        check(false, "canonical form \"\(canonical)\" is rejected: \(error)", text)
    }
}

/// Consecutive fire times strictly increase, are whole seconds, match the schedule on the
/// zone's wall clock, and agree with `NextFireTime.upcoming`.
func checkNext(_ schedule: CronSchedule, zone: TimeZone, from start: Date) {
    let text = schedule.expression
    var fires: [Date] = []
    var cursor = start
    while fires.count < 4, let fire = schedule.next(after: cursor, in: zone) {
        check(fire > cursor, "next(after: \(cursor)) = \(fire) is not later", text)
        check(fire.timeIntervalSince1970.rounded(.down) == fire.timeIntervalSince1970, "\(fire) is not a whole second", text)
        switch schedule.kind {
        case .every(let delay):
            check(fire.timeIntervalSince1970 == cursor.timeIntervalSince1970.rounded(.down) + Double(delay.seconds),
                  "@every fired at \(fire) after \(cursor)", text)
        case .spec(let spec):
            // robfig gives up after five calendar years; six is a generous bound for that.
            check(fire.timeIntervalSince(cursor) < 6 * 366 * 86_400, "\(fire) is beyond the horizon of \(cursor)", text)
            if !matches(spec, fire, in: zone) {
                // From an hour before: the change may lie at or just before `cursor` and still
                // be what the search truncates into (Chatham's fall-back at 03:45, a fire time
                // searched from the change itself: robfig's oracle gives the same time).
                let quirks = RobfigQuirks(zone, from: cursor - 3_600, to: fire)
                check(matches(spec, fire, in: zone, ignoringHour: quirks.offHourChange, ignoringDay: quirks.skippedMidnight),
                      "\(fire) does not match in \(zone.identifier)", text)
            }
        }
        fires.append(fire)
        cursor = fire
    }
    if case .spec(let spec) = schedule.kind, fires.isEmpty, surelyFires(spec) {
        check(false, "no fire time within five years after \(start) in \(zone.identifier)", text)
    }
    check(NextFireTime.upcoming(schedule, in: zone, after: start, count: 4) == fires, "upcoming disagrees with next", text)
}

/// `mostRecent` is documented as a shortcut for walking `next` up to `now`; walk it when
/// the walk is short and compare.
///
/// The shortcut bisects on the assumption that `next(after:)` grows with its argument, and
/// robfig's `next` does not quite: after a spring-forward gap that does not end on the hour
/// (Chatham's 02:45 -> 03:45) it truncates into the gap, lands an hour late and skips a
/// whole hour, so "53 * */4 * * *" walks from 03:45:00 straight to 08:00:53 while
/// `next(after: 04:44:52)` is 04:44:53 (both checked with robfig's oracle). The shortcut
/// then finds that skipped fire time. Allowed only in exactly that shape: a real fire time
/// the walk jumped over next to a DST change.
func checkMostRecent(_ schedule: CronSchedule, zone: TimeZone, from earliest: Date) {
    for window in [59.5, 3_600.0, 3 * 86_400.0] {
        let now = earliest + window
        var walked: Date? = nil
        var chain = [earliest]
        var complete = false
        while chain.count <= 64 {
            guard let fire = schedule.next(after: chain[chain.count - 1], in: zone) else {
                complete = true
                break
            }
            chain.append(fire)
            if fire > now {
                complete = true
                break
            }
            walked = fire
        }
        guard complete else { continue }
        let shortcut = NextFireTime.mostRecent(schedule, in: zone, after: earliest, notAfter: now)
        if shortcut == walked { continue }
        let skipped = shortcut.map { fire in
            fire > earliest && fire <= now && schedule.next(after: fire - 1, in: zone) == fire
                && zip(chain, chain.dropFirst()).contains { before, after in
                    // The change may also lie just before `before`: the truncation to the
                    // hour is what falls into the gap.
                    before < fire && fire < after
                        && (zone.nextDaylightSavingTimeTransition(after: before - 3_600).map { $0 <= after } ?? false)
                }
        } ?? false
        check(skipped,
              "mostRecent(after: \(earliest), notAfter: \(now)) = \(shortcut.map { "\($0)" } ?? "nil"), walking next gives \(walked.map { "\($0)" } ?? "nil") in \(zone.identifier)",
              schedule.expression)
    }
}

/// Whether `fire`'s wall-clock fields in `zone` satisfy `spec`, read with Foundation's
/// calendar rather than the engine's own Go-time port. Day fields combine as in robfig's
/// `dayMatches`: with a star on either side both must match, otherwise either may.
func matches(_ spec: CronSpec, _ fire: Date, in zone: TimeZone, ignoringHour: Bool = false, ignoringDay: Bool = false) -> Bool {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let c = calendar.dateComponents([.month, .day, .hour, .minute, .second, .weekday], from: fire)
    guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute,
          let second = c.second, let weekday = c.weekday else { return false }
    let dom = spec.dayOfMonth.contains(Int64(day))
    let dow = spec.dayOfWeek.contains(Int64(weekday - 1))
    let dayOK = spec.dayOfMonth.isStar || spec.dayOfWeek.isStar ? dom && dow : dom || dow
    return (ignoringDay || dayOK) && spec.month.contains(Int64(month)) && (ignoringHour || spec.hour.contains(Int64(hour)))
        && spec.minute.contains(Int64(minute)) && spec.second.contains(Int64(second))
}

/// robfig's searches start over only when a field wraps to zero, so two kinds of DST change
/// let a fire time through that does not match the schedule, in robfig (both checked with
/// its oracle, scripts/cron-oracle) exactly as in the port, which copies it on purpose:
/// - a change off the hour (Lord Howe's half-hour jumps, Chatham's changes at :45): the
///   minute search never sees minute 0 and leaves the hour, so "45 1 * * *" fires at 02:45
///   on Lord Howe's spring-forward day;
/// - a skipped midnight (Santiago, São Paulo until 2019): the hour search never sees hour 0
///   and leaves the day, so "0 12 13 * *" fires on 13 and 14 August 2016 in Santiago.
struct RobfigQuirks {
    var offHourChange = false
    var skippedMidnight = false

    init(_ zone: TimeZone, from start: Date, to end: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var cursor = start
        while let change = zone.nextDaylightSavingTimeTransition(after: cursor), change <= end {
            let jump = zone.secondsFromGMT(for: change) - zone.secondsFromGMT(for: change - 1)
            // Chatham's clocks change at 02:45/03:45: a whole hour, but not on the hour.
            if jump % 3_600 != 0 || calendar.component(.minute, from: change) != 0 { offHourChange = true }
            let before = calendar.dateComponents([.day, .hour], from: change - 1)
            let after = calendar.dateComponents([.day, .hour], from: change)
            if before.day != after.day && after.hour != 0 { skippedMidnight = true }
            cursor = change
        }
    }
}

/// A cheap sufficient condition for a fire time within any five years: every weekday is
/// allowed and so is some day that every month has, and no other field is empty.
func surelyFires(_ spec: CronSpec) -> Bool {
    !spec.second.isEmpty && !spec.minute.isEmpty && !spec.hour.isEmpty && !spec.month.isEmpty
        && (0...6).allSatisfy { spec.dayOfWeek.contains($0) }
        && (1...28).contains { spec.dayOfMonth.contains($0) }
}

/// A property violation: crash so libFuzzer saves the input.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, _ text: String) {
    if !condition() {
        fatalError("cron fuzz property violated for \(String(reflecting: text)): \(message())")
    }
}

runFuzzer(fuzzOne)
