/// The six positions of a cron expression, with robfig/cron v3's bounds and names.
public enum CronFieldKind: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case second, minute, hour, dayOfMonth, month, dayOfWeek

    /// Smallest accepted value.
    public var minimum: Int {
        switch self {
        case .dayOfMonth, .month: 1
        default: 0
        }
    }

    /// Largest accepted value. Day-of-week stops at 6: robfig rejects 7 for Sunday.
    public var maximum: Int {
        switch self {
        case .second, .minute: 59
        case .hour: 23
        case .dayOfMonth: 31
        case .month: 12
        case .dayOfWeek: 6
        }
    }

    /// Lower-case names accepted in place of numbers (months and weekdays only).
    public var names: [String: Int] {
        switch self {
        case .month:
            ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
             "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
        case .dayOfWeek:
            ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
        default:
            [:]
        }
    }

    /// Human-readable name used in error messages.
    public var description: String {
        switch self {
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }
}
