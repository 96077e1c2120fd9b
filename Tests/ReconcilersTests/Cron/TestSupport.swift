import Reconcilers
import Foundation
import Testing

/// Parses an ISO 8601 timestamp with an explicit offset, e.g. `2024-03-31T03:00:00+02:00`.
/// Writing expectations with offsets keeps DST tables readable.
func instant(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
    guard let date = formatter.date(from: text) else {
        Issue.record("bad timestamp in test: \(text)", sourceLocation: sourceLocation)
        return Date(timeIntervalSince1970: 0)
    }
    return date
}

func zone(_ identifier: String) -> TimeZone {
    TimeZone(identifier: identifier)!
}

/// The first `count` fire times of `expression` after `start`, iterating `next`.
func fires(_ expression: String, in zoneName: String, after start: String, count: Int) throws -> [Date] {
    let schedule = try CronSchedule.parse(expression)
    return NextFireTime.upcoming(schedule, in: zone(zoneName), after: instant(start), count: count)
}

/// The fields of a parsed field-based schedule.
func spec(_ expression: String) throws -> CronSpec {
    let schedule = try CronSchedule.parse(expression)
    guard case .spec(let spec) = schedule.kind else {
        Issue.record("\(expression) is not a field-based schedule")
        throw CancellationError()
    }
    return spec
}
