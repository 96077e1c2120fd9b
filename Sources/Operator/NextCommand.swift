import ArgumentParser
import Foundation
import K8sClient
import Reconcilers

/// `sked next`: check a schedule before applying it.
struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next", abstract: "Print the next fire times of a schedule.",
        discussion: "Example: sked next '30 2 * * *' --time-zone Europe/Berlin --count 3")

    @Argument(help: "A cron expression (5 or 6 fields), a macro such as @daily, or @every <duration>.")
    var schedule: String

    @Option(name: .customLong("time-zone"), help: "IANA time zone the schedule is interpreted in.")
    var timeZone: String = "UTC"

    @Option(help: "Start from this RFC 3339 time instead of now.")
    var from: String?

    @Option(help: "How many fire times to print.")
    var count: Int = 5

    @Flag(help: "Print a JSON array of RFC 3339 UTC times.")
    var json = false

    @Option(name: .customLong("for"), help: "namespace/name of the ScheduledJob an H in the schedule is hashed for.")
    var hashKey: String?

    func run() throws {
        do {
            print(try Self.render(schedule: schedule, timeZone: timeZone, from: from, count: count, json: json, now: Date(), hashKey: hashKey))
        } catch let e as NextError {
            throw fail(e.message)
        }
    }

    struct NextError: Error {
        let message: String
    }

    /// The command's whole output, as a pure function so it is tested without a process.
    static func render(schedule: String, timeZone: String, from: String?, count: Int, json: Bool, now: Date, hashKey: String? = nil) throws -> String {
        let parsed: CronSchedule
        if HashedSchedule.usesH(schedule) && hashKey == nil {
            throw NextError(message: "the schedule uses H: name the ScheduledJob it is for with --for namespace/name")
        }
        do { parsed = try ScheduleParser.parse(try HashedSchedule.expand(schedule, key: hashKey ?? "")) } catch { throw NextError(message: "\(error)") }
        guard let tz = TimeZone(identifier: timeZone) else {
            throw NextError(message: "unknown time zone \"\(timeZone)\" (use an IANA name such as Europe/Berlin)")
        }
        guard count >= 1 && count <= 10_000 else { throw NextError(message: "--count must be between 1 and 10000, got \(count)") }
        var start = now
        if let from {
            guard let d = RFC3339.parse(from) else { throw NextError(message: "--from \"\(from)\" is not an RFC 3339 time (for example 2024-05-19T10:00:00Z)") }
            start = d
        }
        let times = NextFireTime.upcoming(parsed, in: tz, after: start, count: count)
        if json {
            let encoded = try JSONEncoder().encode(times.map(RFC3339.format))
            return String(decoding: encoded, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
        }
        if times.isEmpty { return "(no fire time within five years)" }
        return times.map { LocalTime.format($0, in: tz) }.joined(separator: "\n")
    }
}

/// RFC 3339 with the zone's offset at that instant, e.g. `2024-03-31T03:30:00+02:00`.
enum LocalTime {
    static func format(_ date: Date, in tz: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = tz
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = tz.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let zone = offset == 0 ? "Z" : String(format: "%@%02d:%02d", sign, abs(offset) / 3600, (abs(offset) % 3600) / 60)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!) + zone
    }
}
