/// Parses cron expressions with the grammar of robfig/cron v3's
/// `NewParser(SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor)`.
///
/// Accepted: five fields (minute hour day-of-month month day-of-week), six
/// fields (a leading seconds field), the descriptors `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, and
/// `@every <Go duration>`. `TZ=`/`CRON_TZ=` prefixes are rejected on purpose:
/// the time zone belongs in the resource's `timeZone` field.
public enum ScheduleParser {
    /// Parses `text` or throws a ``CronError`` naming the offending field and value.
    public static func parse(_ text: String) throws(CronError) -> CronSchedule {
        if text.isEmpty {
            throw CronError(expression: text, reason: "the schedule is empty")
        }
        let trimmed = text.unicodeScalars.drop(while: GoStrings.isSpace)
        if GoStrings.hasPrefix(String(trimmed), "TZ=") || GoStrings.hasPrefix(String(trimmed), "CRON_TZ=") {
            throw CronError(
                expression: text,
                reason: "time zone prefixes (TZ= or CRON_TZ=) are not supported in the schedule; "
                    + "remove the prefix and set the timeZone field instead")
        }
        // Like robfig, only an "@" in the very first byte selects a descriptor,
        // and the descriptor must match exactly (no surrounding whitespace).
        if GoStrings.hasPrefix(text, "@") {
            return try parseDescriptor(text)
        }

        var fields = GoStrings.fields(text)
        guard fields.count == 5 || fields.count == 6 else {
            throw CronError(
                expression: text,
                reason: "expected 5 fields (minute hour day-of-month month day-of-week) "
                    + "or 6 fields (with a leading second), found \(fields.count)")
        }
        if fields.count == 5 { fields.insert("0", at: 0) }

        // Fields are checked left to right, so the first bad one is reported.
        let second = try CronField.parse(fields[0], kind: .second, in: text)
        let minute = try CronField.parse(fields[1], kind: .minute, in: text)
        let hour = try CronField.parse(fields[2], kind: .hour, in: text)
        let dom = try CronField.parse(fields[3], kind: .dayOfMonth, in: text)
        let month = try CronField.parse(fields[4], kind: .month, in: text)
        let dow = try CronField.parse(fields[5], kind: .dayOfWeek, in: text)
        return CronSchedule(
            .spec(CronSpec(second: second, minute: minute, hour: hour,
                           dayOfMonth: dom, month: month, dayOfWeek: dow)),
            expression: text)
    }

    private static func parseDescriptor(_ text: String) throws(CronError) -> CronSchedule {
        func spec(second: CronField = .only(0, .second), minute: CronField = .only(0, .minute),
                  hour: CronField = .only(0, .hour), dom: CronField = .all(.dayOfMonth),
                  month: CronField = .all(.month), dow: CronField = .all(.dayOfWeek)) -> CronSchedule {
            CronSchedule(.spec(CronSpec(second: second, minute: minute, hour: hour,
                                        dayOfMonth: dom, month: month, dayOfWeek: dow)),
                         expression: text)
        }
        switch text {
        case _ where GoStrings.same(text, "@yearly") || GoStrings.same(text, "@annually"):
            return spec(dom: .only(1, .dayOfMonth), month: .only(1, .month))
        case _ where GoStrings.same(text, "@monthly"):
            return spec(dom: .only(1, .dayOfMonth))
        case _ where GoStrings.same(text, "@weekly"):
            return spec(dow: .only(0, .dayOfWeek))
        case _ where GoStrings.same(text, "@daily") || GoStrings.same(text, "@midnight"):
            return spec()
        case _ where GoStrings.same(text, "@hourly"):
            return spec(hour: .all(.hour))
        default:
            break
        }
        let every = "@every "
        if GoStrings.hasPrefix(text, every) {
            let durationText = String(decoding: text.utf8.dropFirst(every.utf8.count), as: UTF8.self)
            let nanoseconds: Int64
            do {
                nanoseconds = try GoDuration.parseNanoseconds(durationText)
            } catch {
                throw CronError(expression: text, reason: error.reason)
            }
            return CronSchedule(.every(ConstantDelay(nanoseconds: nanoseconds)), expression: text)
        }
        throw CronError(
            expression: text,
            reason: "unknown descriptor \"\(text)\" (expected @yearly, @annually, @monthly, @weekly, "
                + "@daily, @midnight, @hourly or @every <duration>)")
    }
}
