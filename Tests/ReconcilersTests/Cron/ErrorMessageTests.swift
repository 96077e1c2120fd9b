import Reconcilers
import Testing

@Suite struct ErrorMessageTests {
    @Test("Invalid schedules are rejected with a message naming the field and value", arguments: [
        ("61 * * * *", "invalid schedule \"61 * * * *\": minute value 61 out of range 0-59"),
        ("* 24 * * *", "invalid schedule \"* 24 * * *\": hour value 24 out of range 0-23"),
        ("* * 0 * *", "invalid schedule \"* * 0 * *\": day-of-month value 0 out of range 1-31"),
        ("* * * 13 *", "invalid schedule \"* * * 13 *\": month value 13 out of range 1-12"),
        ("* * * * 7", "invalid schedule \"* * * * 7\": day-of-week value 7 out of range 0-6"),
        ("60 * * * * *", "invalid schedule \"60 * * * * *\": second value 60 out of range 0-59"),
        ("* * * * FUN", "invalid schedule \"* * * * FUN\": day-of-week value \"FUN\" is not valid (expected a number 0-6 or a weekday name SUN-SAT)"),
        ("* * * JANUARY *", "invalid schedule \"* * * JANUARY *\": month value \"JANUARY\" is not valid (expected a number 1-12 or a month name JAN-DEC)"),
        ("mon * * * *", "invalid schedule \"mon * * * *\": minute value \"mon\" is not valid (expected a number 0-59)"),
        ("* * * *", "invalid schedule \"* * * *\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (with a leading second), found 4"),
        ("* * * * * * *", "invalid schedule \"* * * * * * *\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (with a leading second), found 7"),
        ("", "invalid schedule \"\": the schedule is empty"),
        ("   ", "invalid schedule \"   \": expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (with a leading second), found 0"),
        ("*/0 * * * *", "invalid schedule \"*/0 * * * *\": minute step in \"*/0\" must be a positive number, not 0"),
        ("30-10 * * * *", "invalid schedule \"30-10 * * * *\": minute range \"30-10\" starts after it ends (30 > 10)"),
        ("1-2-3 * * * *", "invalid schedule \"1-2-3 * * * *\": minute \"1-2-3\" has too many hyphens"),
        ("*/2/3 * * * *", "invalid schedule \"*/2/3 * * * *\": minute \"*/2/3\" has too many slashes"),
        ("@reboot", "invalid schedule \"@reboot\": unknown descriptor \"@reboot\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>)"),
        ("@every 1d", "invalid schedule \"@every 1d\": unknown unit \"d\" in duration \"1d\" (expected a Go duration such as 90s, 1h30m or 1.5h)"),
        ("TZ=Europe/Berlin 0 0 * * *", "invalid schedule \"TZ=Europe/Berlin 0 0 * * *\": time zone prefixes (TZ= or CRON_TZ=) are not supported in the schedule; remove the prefix and set the timeZone field instead"),
        ("CRON_TZ=UTC @daily", "invalid schedule \"CRON_TZ=UTC @daily\": time zone prefixes (TZ= or CRON_TZ=) are not supported in the schedule; remove the prefix and set the timeZone field instead"),
    ])
    func messages(_ expression: String, _ message: String) {
        #expect {
            try CronSchedule.parse(expression)
        } throws: { error in
            (error as? CronError)?.description == message
        }
    }

    @Test("Errors name the field they were found in")
    func fieldAttribution() {
        do {
            _ = try CronSchedule.parse("0 0 * * 8")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == .dayOfWeek)
            #expect(error.expression == "0 0 * * 8")
        }
    }

    @Test("ScheduleParser is an alias for CronSchedule.parse")
    func alias() throws {
        #expect(try ScheduleParser.parse("*/5 * * * *") == CronSchedule.parse("*/5 * * * *"))
        #expect(throws: CronError.self) { try ScheduleParser.parse("nope") }
    }
}
