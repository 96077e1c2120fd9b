import Reconcilers
import Foundation
import Testing

@Suite struct NextFireTimeTests {
    @Test("next and upcoming follow the schedule")
    func nextAndUpcoming() throws {
        let s = try CronSchedule.parse("0 */6 * * *")
        let utc = zone("UTC")
        let start = instant("2024-05-01T05:00:00Z")
        #expect(NextFireTime.next(s, in: utc, after: start) == instant("2024-05-01T06:00:00Z"))
        #expect(NextFireTime.upcoming(s, in: utc, after: start, count: 3)
            == ["06", "12", "18"].map { instant("2024-05-01T\($0):00:00Z") })
        #expect(NextFireTime.upcoming(s, in: utc, after: start, count: 0).isEmpty)
        #expect(NextFireTime.upcoming(try CronSchedule.parse("0 0 30 2 *"), in: utc, after: start, count: 3).isEmpty)
    }

    @Test("mostRecent finds the last missed run of a per-second schedule after a week of downtime")
    func perSecondAfterAWeek() throws {
        let s = try CronSchedule.parse("* * * * * *")
        let earliest = instant("2024-03-25T00:00:00+01:00")
        let now = instant("2024-04-01T12:34:56.789+02:00")
        #expect(NextFireTime.mostRecent(s, in: zone("Europe/Berlin"), after: earliest, notAfter: now)
            == instant("2024-04-01T12:34:56+02:00"))
    }

    @Test("mostRecent handles sparse schedules, empty windows and window edges")
    func edges() throws {
        let berlin = zone("Europe/Berlin")
        let daily = try CronSchedule.parse("30 2 * * *")
        // Across the spring-forward day, where 02:30 does not exist.
        #expect(NextFireTime.mostRecent(daily, in: berlin, after: instant("2024-03-29T00:00:00+01:00"),
                                        notAfter: instant("2024-03-31T23:00:00+02:00"))
            == instant("2024-03-30T02:30:00+01:00"))
        // `now` exactly on a fire time includes it; `earliest` on one excludes it.
        let fire = instant("2024-06-10T02:30:00+02:00")
        #expect(NextFireTime.mostRecent(daily, in: berlin, after: instant("2024-06-01T00:00:00Z"), notAfter: fire) == fire)
        #expect(NextFireTime.mostRecent(daily, in: berlin, after: fire, notAfter: fire.addingTimeInterval(3_600)) == nil)
        // Empty or inverted windows.
        #expect(NextFireTime.mostRecent(daily, in: berlin, after: fire, notAfter: fire) == nil)
        #expect(NextFireTime.mostRecent(daily, in: berlin, after: fire, notAfter: fire.addingTimeInterval(-10)) == nil)
        // Second pass through the fall-back overlap.
        #expect(NextFireTime.mostRecent(daily, in: berlin, after: instant("2024-10-26T12:00:00+02:00"),
                                        notAfter: instant("2024-10-27T05:00:00+01:00"))
            == instant("2024-10-27T02:30:00+01:00"))
        // A schedule that never fires.
        #expect(NextFireTime.mostRecent(try CronSchedule.parse("0 0 31 2 *"), in: berlin,
                                        after: instant("2024-01-01T00:00:00Z"), notAfter: instant("2024-12-31T00:00:00Z")) == nil)
    }

    @Test("mostRecent for @every counts whole delays from the earliest instant")
    func every() throws {
        let s = try CronSchedule.parse("@every 1h30m")
        let earliest = instant("2024-01-01T00:00:00.500Z")
        #expect(NextFireTime.mostRecent(s, in: zone("UTC"), after: earliest, notAfter: instant("2024-01-01T01:29:59Z")) == nil)
        #expect(NextFireTime.mostRecent(s, in: zone("UTC"), after: earliest, notAfter: instant("2024-01-01T01:30:00Z"))
            == instant("2024-01-01T01:30:00Z"))
        // A week is exactly 112 delays, so the run at the week's end counts...
        #expect(NextFireTime.mostRecent(s, in: zone("UTC"), after: earliest, notAfter: instant("2024-01-08T00:00:00Z"))
            == instant("2024-01-08T00:00:00Z"))
        // ...but a second earlier the previous one is the latest.
        #expect(NextFireTime.mostRecent(s, in: zone("UTC"), after: earliest, notAfter: instant("2024-01-07T23:59:59Z"))
            == instant("2024-01-07T22:30:00Z"))
    }

    @Test("mostRecent agrees with stepping through every run", arguments: [
        "*/7 * * * *", "0 30 2 * * *", "15,45 1-3 * * *", "0 0 * * sun", "0 0 1,15 * mon", "*/20 * * * * *",
        "@hourly", "@every 17m", "0 0 29 2 *",
    ])
    func agreesWithIteration(_ expression: String) throws {
        let s = try CronSchedule.parse(expression)
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: expression.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
        for tz in ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"].map(zone) {
            for _ in 0..<15 {
                let earliest = Date(timeIntervalSince1970: Double(Int64.random(in: 1_711_000_000...1_760_000_000, using: &rng)))
                let now = earliest.addingTimeInterval(Double(Int.random(in: 0...(3 * 86_400), using: &rng)) + 0.25)
                var expected: Date?
                var cursor = earliest
                while let fire = s.next(after: cursor, in: tz), fire <= now {
                    expected = fire
                    cursor = fire
                }
                #expect(NextFireTime.mostRecent(s, in: tz, after: earliest, notAfter: now) == expected,
                        "\(expression) in \(tz.identifier) from \(earliest) to \(now)")
            }
        }
    }
}

/// Found by the cron fuzzer (Fuzz/CronFuzzer): robfig's `Next` can answer with a time before
/// its argument, and the port copied that. Pacific/Chatham falls back from 03:45+13:45 to
/// 02:45+12:45 (2024-04-07, 14:00Z); from anywhere in 02:45-02:59+12:45 robfig truncates to
/// 02:00+13:45, adds an hour and answers 03:00+13:45, up to an hour in the past: for those
/// 15 minutes the "next" run of "0 3 * * *" was one that had already been.
@Suite struct NextNeverGoesBack {
    let chatham = TimeZone(identifier: "Pacific/Chatham")!
    let fallBack = Date(timeIntervalSince1970: 1_712_412_000)

    @Test func dailyRunInChathamsFallBackOverlapIsTheSecondPassNotThePast() throws {
        let schedule = try CronSchedule.parse("0 3 * * *")
        let secondPass = fallBack + 900  // 03:00+12:45, robfig's own next answer after its step back
        for offset in [-1.0, 0, 60, 899.5] {
            #expect(schedule.next(after: fallBack + offset, in: chatham) == secondPass)
        }
        #expect(NextFireTime.upcoming(schedule, in: chatham, after: fallBack - 1, count: 3)
                == [secondPass, secondPass + 86_400, secondPass + 2 * 86_400])
    }

    @Test func theFuzzersScheduleDoesNotCycle() throws {
        let schedule = try CronSchedule.parse("1 */51 3 1 * *")
        let start = Date(timeIntervalSince1970: 1_522_505_161)  // 2018-04-01 02:51:01+12:45, second pass
        #expect(schedule.next(after: start, in: chatham) == Date(timeIntervalSince1970: 1_522_505_701))  // 03:00:01+12:45
        let fires = NextFireTime.upcoming(schedule, in: chatham, after: start - 3_600, count: 6)
        #expect(zip(fires, fires.dropFirst()).allSatisfy { $0 < $1 })
    }
}
