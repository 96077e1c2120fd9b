import Reconcilers
import Foundation
import Testing

@Suite struct EveryTests {
    @Test("@every accepts Go durations and rounds them down to whole seconds, minimum one second", arguments: [
        ("90s", 90), ("1h30m", 5_400), ("1.5h", 5_400), ("500ms", 1), ("1.999s", 1), ("0", 1), ("-5s", 1),
        (".5s", 1), ("2m30.5s", 150), ("1us", 1), ("3µs", 1), ("168h", 604_800), ("+10s", 10),
        ("1h0m0s", 3_600), ("0.0001h", 1),
    ] as [(String, Int64)])
    func durations(_ text: String, _ seconds: Int64) throws {
        let schedule = try CronSchedule.parse("@every \(text)")
        guard case .every(let delay) = schedule.kind else {
            Issue.record("not an @every schedule")
            return
        }
        #expect(delay.seconds == seconds)
    }

    @Test("@every rejects what Go's ParseDuration rejects",
          arguments: ["1d", "x", "5", "1..5s", "", "1e3s", " 5s", "5 s", "1hh", "9223372036854775808ns"])
    func badDurations(_ text: String) {
        #expect(throws: CronError.self) { try CronSchedule.parse("@every \(text)") }
    }

    @Test("@every fires a fixed delay after the previous fire, truncated to the second, in any zone")
    func nextTimes() throws {
        #expect(try fires("@every 90s", in: "UTC", after: "2024-01-01T00:00:00.700Z", count: 3)
            == ["00:01:30", "00:03:00", "00:04:30"].map { instant("2024-01-01T\($0)Z") })
        // Wall clock changes are irrelevant: 24h after 00:00 CET is 01:00 CEST.
        #expect(try fires("@every 24h", in: "Europe/Berlin", after: "2024-03-30T12:00:00+01:00", count: 1)
            == [instant("2024-03-31T13:00:00+02:00")])
    }
}
