import Reconcilers
import Foundation
import Testing

/// Expected values were produced by robfig/cron v3 itself (see DifferentialTests).
@Suite struct DaylightSavingTests {
    struct DSTCase: Sendable, CustomTestStringConvertible {
        var zone: String
        var start: String
        var expression: String
        var expected: [String]
        var note: String
        var testDescription: String { "\(zone) \(expression): \(note)" }
    }

    @Test("Fire times across DST gaps and overlaps match robfig", arguments: [
        DSTCase(zone: "Europe/Berlin", start: "2024-03-30T12:00:00+01:00", expression: "30 2 * * *",
                expected: ["2024-04-01T02:30:00+02:00", "2024-04-02T02:30:00+02:00"],
                note: "a daily run inside the spring-forward gap is skipped that day"),
        DSTCase(zone: "Europe/Berlin", start: "2024-03-31T00:30:00+01:00", expression: "0 * * * *",
                expected: ["2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00"],
                note: "hourly runs jump from 01:00 to 03:00"),
        DSTCase(zone: "Europe/Berlin", start: "2024-10-27T00:00:00+02:00", expression: "30 2 * * *",
                expected: ["2024-10-27T02:30:00+02:00", "2024-10-27T02:30:00+01:00", "2024-10-28T02:30:00+01:00"],
                note: "a daily run inside the fall-back overlap fires on both passes"),
        DSTCase(zone: "Europe/Berlin", start: "2024-10-27T00:30:00+02:00", expression: "0 * * * *",
                expected: ["2024-10-27T01:00:00+02:00", "2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00",
                           "2024-10-27T03:00:00+01:00"],
                note: "hourly runs repeat 02:00"),
        DSTCase(zone: "Europe/Berlin", start: "2024-10-27T01:59:30+02:00", expression: "*/15 * * * * *",
                expected: ["2024-10-27T01:59:45+02:00", "2024-10-27T02:00:00+02:00", "2024-10-27T02:00:15+02:00"],
                note: "per-second schedules walk through the first pass of the overlap"),
        DSTCase(zone: "America/New_York", start: "2024-03-09T12:00:00-05:00", expression: "30 2 * * *",
                expected: ["2024-03-11T02:30:00-04:00", "2024-03-12T02:30:00-04:00"],
                note: "the gap swallows the 02:30 run"),
        DSTCase(zone: "America/New_York", start: "2024-11-02T12:00:00-04:00", expression: "30 1 * * *",
                expected: ["2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00", "2024-11-04T01:30:00-05:00"],
                note: "01:30 happens twice and fires twice"),
        DSTCase(zone: "America/New_York", start: "2024-03-10T00:00:00-05:00", expression: "0 */1 * * *",
                expected: ["2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-10T04:00:00-04:00"],
                note: "there is no 02:00"),
        DSTCase(zone: "Australia/Lord_Howe", start: "2024-10-05T12:00:00+10:30", expression: "15 2 * * *",
                expected: ["2024-10-07T02:15:00+11:00", "2024-10-08T02:15:00+11:00"],
                note: "the 30-minute gap swallows 02:15"),
        DSTCase(zone: "Australia/Lord_Howe", start: "2024-10-06T01:00:00+10:30", expression: "*/30 * * * *",
                expected: ["2024-10-06T01:30:00+10:30", "2024-10-06T02:30:00+11:00", "2024-10-06T03:00:00+11:00"],
                note: "02:00 does not exist, 02:30 does"),
        DSTCase(zone: "Australia/Lord_Howe", start: "2024-04-06T12:00:00+11:00", expression: "45 1 * * *",
                expected: ["2024-04-07T01:45:00+11:00", "2024-04-07T01:45:00+10:30", "2024-04-08T01:45:00+10:30"],
                note: "01:45 is in the 30-minute overlap and fires twice"),
        DSTCase(zone: "Australia/Lord_Howe", start: "2024-04-07T01:00:00+11:00", expression: "*/20 * * * *",
                expected: ["2024-04-07T01:20:00+11:00", "2024-04-07T01:40:00+11:00", "2024-04-07T01:40:00+10:30",
                           "2024-04-07T02:00:00+10:30", "2024-04-07T02:20:00+10:30"],
                note: "only 01:40 falls into the overlap, so only it repeats"),
        DSTCase(zone: "Asia/Kolkata", start: "2024-01-01T00:00:00+05:30", expression: "@daily",
                expected: ["2024-01-02T00:00:00+05:30", "2024-01-03T00:00:00+05:30"],
                note: "half-hour offsets without DST"),
        DSTCase(zone: "America/Sao_Paulo", start: "2024-01-01T00:00:00-03:00", expression: "@weekly",
                expected: ["2024-01-07T00:00:00-03:00", "2024-01-14T00:00:00-03:00"],
                note: "Sunday midnight, no DST since 2019"),
    ])
    func dst(_ c: DSTCase) throws {
        #expect(try fires(c.expression, in: c.zone, after: c.start, count: c.expected.count) == c.expected.map { instant($0) })
    }

    @Test("The same expression fires at different instants in different time zones")
    func zonesMatter() throws {
        let schedule = try CronSchedule.parse("0 9 * * *")
        let start = instant("2024-06-01T00:00:00Z")
        #expect(schedule.next(after: start, in: zone("UTC")) == instant("2024-06-01T09:00:00Z"))
        #expect(schedule.next(after: start, in: zone("Europe/Berlin")) == instant("2024-06-01T09:00:00+02:00"))
        #expect(schedule.next(after: start, in: zone("Asia/Kolkata")) == instant("2024-06-01T09:00:00+05:30"))
    }
}
