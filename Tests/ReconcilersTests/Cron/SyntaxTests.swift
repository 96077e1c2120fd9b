import Reconcilers
import Foundation
import Testing

@Suite struct SyntaxTests {
    struct FieldCase: Sendable, CustomTestStringConvertible {
        var expression: String
        var field: CronFieldKind
        var values: [Int]
        var isStar: Bool
        var testDescription: String { "\"\(expression)\" \(field)" }
    }

    @Test("Each syntax element selects the values robfig selects", arguments: [
        FieldCase(expression: "5 * * * *", field: .minute, values: [5], isStar: false),
        FieldCase(expression: "1,2,59 * * * *", field: .minute, values: [1, 2, 59], isStar: false),
        FieldCase(expression: "10-13 * * * *", field: .minute, values: [10, 11, 12, 13], isStar: false),
        FieldCase(expression: "*/20 * * * *", field: .minute, values: [0, 20, 40], isStar: false),
        FieldCase(expression: "10-30/10 * * * *", field: .minute, values: [10, 20, 30], isStar: false),
        FieldCase(expression: "50/4 * * * *", field: .minute, values: [50, 54, 58], isStar: false),
        FieldCase(expression: "0 */6 * * *", field: .hour, values: [0, 6, 12, 18], isStar: false),
        FieldCase(expression: "0 0 */1 * *", field: .dayOfMonth, values: Array(1...31), isStar: true),
        FieldCase(expression: "0 0 ? * *", field: .dayOfMonth, values: Array(1...31), isStar: true),
        FieldCase(expression: "0 0 *-5 * *", field: .dayOfMonth, values: Array(1...31), isStar: true),
        FieldCase(expression: "0 0 */2 * *", field: .dayOfMonth, values: Array(stride(from: 1, through: 31, by: 2)), isStar: false),
        FieldCase(expression: "0 0 1,,15 * *", field: .dayOfMonth, values: [1, 15], isStar: false),
        FieldCase(expression: "0 0 * JAN,jul,Dec *", field: .month, values: [1, 7, 12], isStar: false),
        FieldCase(expression: "0 0 * feb-APR *", field: .month, values: [2, 3, 4], isStar: false),
        FieldCase(expression: "0 0 * jan/3 *", field: .month, values: [1, 4, 7, 10], isStar: false),
        FieldCase(expression: "0 0 * * MON-fri", field: .dayOfWeek, values: [1, 2, 3, 4, 5], isStar: false),
        FieldCase(expression: "0 0 * * sun,Sat", field: .dayOfWeek, values: [0, 6], isStar: false),
        FieldCase(expression: "0 0 * * ?", field: .dayOfWeek, values: Array(0...6), isStar: true),
        FieldCase(expression: "0 0 * * 0-6/2", field: .dayOfWeek, values: [0, 2, 4, 6], isStar: false),
        FieldCase(expression: "30 0 0 * * *", field: .second, values: [30], isStar: false),
        FieldCase(expression: "*/15 * * * * *", field: .second, values: [0, 15, 30, 45], isStar: false),
        FieldCase(expression: "0 * * * *", field: .second, values: [0], isStar: false),
        FieldCase(expression: "+5 * * * *", field: .minute, values: [5], isStar: false),
        FieldCase(expression: "007 * * * *", field: .minute, values: [7], isStar: false),
    ])
    func fieldValues(_ c: FieldCase) throws {
        let s = try spec(c.expression)
        let field = [s.second, s.minute, s.hour, s.dayOfMonth, s.month, s.dayOfWeek][c.field.rawValue]
        #expect(field.values == c.values)
        #expect(field.isStar == c.isStar)
    }

    @Test("Five fields mean a seconds field of zero and six fields add seconds in front")
    func optionalSeconds() throws {
        #expect(try CronSchedule.parse("0 * * * *") == CronSchedule.parse("0 0 * * * *"))
        #expect(try fires("15 30 * * * *", in: "UTC", after: "2024-05-01T10:00:00Z", count: 2)
            == [instant("2024-05-01T10:30:15Z"), instant("2024-05-01T11:30:15Z")])
    }

    @Test("Fields may be separated by any whitespace Go considers whitespace")
    func whitespace() throws {
        #expect(try CronSchedule.parse(" 0\t0  *\u{00A0}* * ") == CronSchedule.parse("0 0 * * *"))
    }

    @Test("Macros expand to the same schedule as their crontab spelling", arguments: [
        ("@yearly", "0 0 0 1 1 *"), ("@annually", "0 0 0 1 1 *"), ("@monthly", "0 0 0 1 * *"),
        ("@weekly", "0 0 0 * * 0"), ("@daily", "0 0 0 * * *"), ("@midnight", "0 0 0 * * *"),
        ("@hourly", "0 0 * * * *"),
    ])
    func macros(_ macro: String, _ crontab: String) throws {
        let expanded = try CronSchedule.parse(macro)
        let spelled = try CronSchedule.parse(crontab)
        let start = instant("2024-02-27T13:14:15Z")
        for tz in ["UTC", "Europe/Berlin", "Asia/Kolkata"] {
            #expect(NextFireTime.upcoming(expanded, in: zone(tz), after: start, count: 3)
                == NextFireTime.upcoming(spelled, in: zone(tz), after: start, count: 3))
        }
    }

    @Test("Macros fire at the expected instants", arguments: [
        ("@yearly", "2025-01-01T00:00:00+01:00"), ("@annually", "2025-01-01T00:00:00+01:00"),
        ("@monthly", "2024-03-01T00:00:00+01:00"), ("@weekly", "2024-03-03T00:00:00+01:00"),
        ("@daily", "2024-02-28T00:00:00+01:00"), ("@midnight", "2024-02-28T00:00:00+01:00"),
        ("@hourly", "2024-02-27T14:00:00+01:00"),
    ])
    func macroFires(_ macro: String, _ expected: String) throws {
        #expect(try fires(macro, in: "Europe/Berlin", after: "2024-02-27T13:14:15+01:00", count: 1) == [instant(expected)])
    }

    @Test("Macros are case-sensitive and must stand alone, as in robfig",
          arguments: ["@Daily", "@HOURLY", "@daily ", " @daily", "@reboot", "@", "@every"])
    func macroSpelling(_ text: String) {
        #expect(throws: CronError.self) { try CronSchedule.parse(text) }
    }

    @Test("Day-of-month and day-of-week combine with OR only when neither is a star")
    func dayCombination() throws {
        // Both restricted: the 13th OR any Friday.
        #expect(try fires("0 0 13 * fri", in: "UTC", after: "2024-09-01T00:00:00Z", count: 3)
            == [instant("2024-09-06T00:00:00Z"), instant("2024-09-13T00:00:00Z"), instant("2024-09-20T00:00:00Z")])
        // A star in either field means AND, and the star field matches everything: every 13th.
        #expect(try fires("0 0 13 * *", in: "UTC", after: "2024-09-01T00:00:00Z", count: 2)
            == [instant("2024-09-13T00:00:00Z"), instant("2024-10-13T00:00:00Z")])
        // "?" is a star too: every Friday.
        #expect(try fires("0 0 ? * fri", in: "UTC", after: "2024-09-01T00:00:00Z", count: 2)
            == [instant("2024-09-06T00:00:00Z"), instant("2024-09-13T00:00:00Z")])
        // robfig v3 clears the star flag for steps above 1, so "*/2" ORs with Monday...
        #expect(try fires("0 0 */2 * mon", in: "UTC", after: "2024-01-01T00:00:00Z", count: 5)
            == ["2024-01-03", "2024-01-05", "2024-01-07", "2024-01-08", "2024-01-09"].map { instant("\($0)T00:00:00Z") })
        // ...while "*/1" keeps it, so this is every Monday.
        #expect(try fires("0 0 */1 * mon", in: "UTC", after: "2024-01-01T00:00:00Z", count: 2)
            == [instant("2024-01-08T00:00:00Z"), instant("2024-01-15T00:00:00Z")])
    }

    @Test("Equal schedules compare equal regardless of spelling")
    func equality() throws {
        #expect(try CronSchedule.parse("0 0 * * MON-FRI") == CronSchedule.parse("0 0 * * 1,2,3,4,5"))
        #expect(try CronSchedule.parse("@daily") == CronSchedule.parse("0 0 * * *"))
        #expect(try CronSchedule.parse("0 0 * * *") == CronSchedule.parse("0 0 * * ?"))
        #expect(try ScheduleParser.parse("@hourly").description == "@hourly")
    }
}
