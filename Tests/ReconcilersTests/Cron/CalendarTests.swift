import Reconcilers
import Foundation
import Testing

@Suite struct CalendarTests {
    @Test("February 29 schedules fire only in leap years")
    func leapDay() throws {
        #expect(try fires("0 0 29 2 *", in: "UTC", after: "2024-01-01T00:00:00Z", count: 2)
            == [instant("2024-02-29T00:00:00Z"), instant("2028-02-29T00:00:00Z")])
        #expect(try fires("0 12 29 feb *", in: "Europe/Berlin", after: "2025-01-01T00:00:00+01:00", count: 1)
            == [instant("2028-02-29T12:00:00+01:00")])
    }

    @Test("Days that never exist never fire", arguments: ["0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 feb *"])
    func impossibleDays(_ expression: String) throws {
        let schedule = try CronSchedule.parse(expression)
        for tz in ["UTC", "Europe/Berlin", "Australia/Lord_Howe"] {
            #expect(schedule.next(after: instant("2024-01-01T00:00:00Z"), in: zone(tz)) == nil)
        }
    }

    @Test("Fields with no values are accepted, like robfig, and never fire", arguments: [", * * * *", "0 0 , * *", "0 0 * , *"])
    func emptyLists(_ expression: String) throws {
        let schedule = try CronSchedule.parse(expression)
        #expect(schedule.next(after: instant("2024-01-01T00:00:00Z"), in: zone("UTC")) == nil)
    }

    @Test("The 31st fires only in months that have one")
    func thirtyFirst() throws {
        #expect(try fires("0 0 31 * *", in: "UTC", after: "2024-01-31T00:00:00Z", count: 3)
            == ["2024-03-31", "2024-05-31", "2024-07-31"].map { instant("\($0)T00:00:00Z") })
    }

    @Test("Next is strictly after the given instant and ignores fractions of a second")
    func strictlyAfter() throws {
        let schedule = try CronSchedule.parse("* * * * * *")
        #expect(schedule.next(after: instant("2024-01-01T00:00:00Z"), in: zone("UTC")) == instant("2024-01-01T00:00:01Z"))
        #expect(schedule.next(after: instant("2024-01-01T00:00:00.750Z"), in: zone("UTC")) == instant("2024-01-01T00:00:01Z"))
        let minutely = try CronSchedule.parse("* * * * *")
        #expect(minutely.next(after: instant("2024-01-01T00:00:00Z"), in: zone("UTC")) == instant("2024-01-01T00:01:00Z"))
    }

    @Test("Schedules are searched at most five years ahead")
    func fiveYearLimit() throws {
        let rare = try CronSchedule.parse("0 0 29 2 *")
        // From March 2024 the next leap day (2028) is within the limit...
        #expect(rare.next(after: instant("2024-03-01T00:00:00Z"), in: zone("UTC")) == instant("2028-02-29T00:00:00Z"))
        // ...but 2100 is not a leap year, so from 2097 nothing is found before 2103.
        #expect(rare.next(after: instant("2097-01-01T00:00:00Z"), in: zone("UTC")) == nil)
    }
}
