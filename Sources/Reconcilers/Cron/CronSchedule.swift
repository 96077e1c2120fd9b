import Foundation

/// A parsed cron schedule whose activation times agree with robfig/cron v3,
/// the library behind Kubernetes' CronJob controller.
///
/// Equality and hashing compare meaning, not spelling: `0 * * * *` equals
/// `0 0 * * * *`.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The two kinds of schedule robfig knows.
    public enum Kind: Sendable, Hashable {
        /// Field-based: a crontab line or a descriptor such as `@daily`.
        case spec(CronSpec)
        /// `@every <duration>`.
        case every(ConstantDelay)
    }

    /// What the schedule does.
    public let kind: Kind
    /// The text it was parsed from (not part of equality).
    public let expression: String

    /// Wraps an already-built schedule.
    public init(_ kind: Kind, expression: String) {
        self.kind = kind
        self.expression = expression
    }

    /// Parses a cron expression; see ``ScheduleParser`` for the grammar.
    public static func parse(_ text: String) throws(CronError) -> CronSchedule {
        try ScheduleParser.parse(text)
    }

    /// The first activation strictly after `date`, computed on the wall clock
    /// of `timeZone`; `nil` if there is none within five years (robfig's limit).
    /// `@every` schedules ignore the time zone and never return `nil`.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        switch kind {
        case .spec(let spec): spec.next(after: date, in: timeZone)
        case .every(let delay): delay.next(after: date)
        }
    }

    /// The expression as written.
    public var description: String { expression }

    public static func == (lhs: CronSchedule, rhs: CronSchedule) -> Bool {
        lhs.kind == rhs.kind
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
    }
}
