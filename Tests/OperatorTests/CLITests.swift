import Foundation
import K8sTestSupport
import Testing

@testable import Operator

@Suite struct NextCommandOutput {
    let from = "2024-03-29T00:00:00Z"

    @Test func localTimesCarryTheZonesOffsetAcrossDST() throws {
        let out = try NextCommand.render(schedule: "30 2 * * *", timeZone: "Europe/Berlin", from: from, count: 3, json: false, now: Date())
        // 2024-03-31 02:30 does not exist in Berlin: robfig skips that day.
        #expect(out == "2024-03-29T02:30:00+01:00\n2024-03-30T02:30:00+01:00\n2024-04-01T02:30:00+02:00")
    }

    @Test func jsonIsAnArrayOfUTCTimes() throws {
        let out = try NextCommand.render(schedule: "@every 90s", timeZone: "UTC", from: from, count: 2, json: true, now: Date())
        #expect(out == #"["2024-03-29T00:01:30Z","2024-03-29T00:03:00Z"]"#)
    }

    @Test func sixFieldSchedulesAndNowAsTheDefaultStart() throws {
        let now = Date(timeIntervalSince1970: 1_463_652_000.5)
        #expect(try NextCommand.render(schedule: "*/10 * * * * *", timeZone: "UTC", from: nil, count: 1, json: false, now: now) == "2016-05-19T10:00:10Z")
    }

    @Test(arguments: [
        ("0 0 30 2 *", "UTC", "(no fire time within five years)"),
    ])
    func aScheduleThatNeverFiresSaysSo(schedule: String, zone: String, expected: String) throws {
        #expect(try NextCommand.render(schedule: schedule, timeZone: zone, from: from, count: 1, json: false, now: Date()) == expected)
    }
}

/// The built `sked` binary, as a user runs it.
@Suite struct SkedBinary {
    static var binary: String { TestControlPlane.repositoryRoot + "/.build/debug/sked" }

    @Test(arguments: [
        (["next", "61 * * * *"], "minute value 61 out of range"),
        (["next", "CRON_TZ=UTC 0 * * * *"], "timeZone"),
        (["next", "@daily", "--time-zone", "Nowhere/Land"], "unknown time zone \"Nowhere/Land\""),
        (["next", "@daily", "--from", "yesterday"], "--from \"yesterday\" is not an RFC 3339 time"),
        (["operator", "--kubeconfig", "/nonexistent/kubeconfig"], "/nonexistent/kubeconfig"),
        (["operator", "--log-level", "loud"], "--log-level"),
    ])
    func badInputExitsWithTwoAndOneReadableLine(arguments: [String], mentions: String) throws {
        let (status, output) = try TestProcess.run(Self.binary, arguments, environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 2)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "\(output)")
        #expect(output.hasPrefix("sked: error: "))
        #expect(output.contains(mentions), "\(output)")
    }

    @Test func nextPrintsFireTimesAndVersionPrintsTheVersion() throws {
        let (status, output) = try TestProcess.run(Self.binary, ["next", "0 12 * * MON-FRI", "--time-zone", "America/New_York", "--from", "2024-11-01T00:00:00Z", "--count", "2"])
        #expect(status == 0)
        #expect(output == "2024-11-01T12:00:00-04:00\n2024-11-04T12:00:00-05:00\n")
        let (vs, vout) = try TestProcess.run(Self.binary, ["version"])
        #expect(vs == 0)
        #expect(vout.hasPrefix("sked \(BuildInfo.version) (commit "))
        #expect(vout.contains("Swift 6."))
        let (js, jout) = try TestProcess.run(Self.binary, ["version", "--json"])
        #expect(js == 0)
        let object = try JSONSerialization.jsonObject(with: Data(jout.utf8)) as? [String: String]
        #expect(object?["version"] == BuildInfo.version)
        #expect(object?.keys.sorted() == ["buildDate", "commit", "swiftVersion", "version"])
    }
}
