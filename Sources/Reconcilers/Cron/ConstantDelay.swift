import Foundation

/// An `@every <duration>` schedule (robfig's `ConstantDelaySchedule`):
/// fires a fixed number of seconds after the previous activation, with no
/// regard for the wall clock.
public struct ConstantDelay: Sendable, Hashable {
    /// The delay in whole seconds, always at least 1.
    public let seconds: Int64

    /// Builds the delay as robfig's `Every` does: durations under one second
    /// become one second, and sub-second remainders are dropped.
    public init(nanoseconds: Int64) {
        let clamped = max(nanoseconds, 1_000_000_000)
        self.seconds = clamped / 1_000_000_000
    }

    /// `date` truncated to the whole second, plus the delay. There is no
    /// five-year limit for this kind of schedule in robfig.
    public func next(after date: Date) -> Date {
        let start = date.timeIntervalSince1970.rounded(.down)
        return Date(timeIntervalSince1970: start + TimeInterval(seconds))
    }
}
