import Reconcilers
import Foundation
import Testing

/// A denser comparison right at DST transitions: schedules that name the
/// hours DST moves, started shortly before every transition in 2024-2027,
/// including zones whose transitions happen at midnight or shift by 30 minutes
/// or 2 hours, where robfig's day-loop fix-ups come into play.
@Suite struct DSTDifferentialTests {
    static let zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo",
                        "America/Santiago", "America/Havana", "Africa/Cairo", "Asia/Beirut",
                        "Pacific/Chatham", "Antarctica/Troll", "Europe/Dublin", "America/Asuncion"]
    static let expressions = [
        "0 2 * * *", "30 2 * * *", "0 3 * * *", "30 1 * * *", "0 0 * * *", "30 0 * * *", "0 23 * * *",
        "0 * * * *", "*/15 * * * *", "15,45 1-3 * * *", "0 */2 * * *", "59 23 * * *", "45 2 * * *",
        "0 0 * * 0", "0 0 1 * *", "0 0 * * 5", "0 0 * * 6", "30 0 * * sun", "0 0 1-7 * 0",
        "0 30 2 * * *", "59 59 1 * * *", "*/30 * 2 * * *", "0 0 0,1 * * *", "@daily", "@hourly", "@weekly",
    ]

    @Test("Schedules near DST transitions agree with robfig/cron v3 in zones with unusual DST rules")
    func agreesAroundTransitions() throws {
        let oracle = try CronOracle()
        var queries: [CronOracle.Query] = []
        var starts: [(Date, TimeZone)] = []
        for name in Self.zones {
            let zone = try #require(TimeZone(identifier: name))
            for transition in DifferentialTests.transitions(of: zone) {
                for lead in [1, 7_200, 86_400 + 1_800, 3 * 86_400] as [Int64] {
                    for expression in Self.expressions {
                        queries.append(.init(zone: name, unixSeconds: "\(transition - lead)", expression: expression))
                        starts.append((Date(timeIntervalSince1970: TimeInterval(transition - lead)), zone))
                    }
                }
            }
        }
        let theirs = try oracle.answer(queries, count: DifferentialTests.firesPerCase)
        var mismatches: [String] = []
        for ((query, (start, zone)), their) in zip(zip(queries, starts), theirs) {
            let mine = DifferentialTests.ours(.init(query: query, start: start, zone: zone))
            let same = if let mine, let their { DifferentialTests.agrees(mine, their, start: start) } else { mine == their }
            if !same {
                mismatches.append("\(query.zone) \(query.unixSeconds) \"\(query.expression)\": ours \(String(describing: mine)) robfig \(String(describing: their))")
            }
        }
        print("DST differential: \(queries.count) cases, \(mismatches.count) disagreements")
        #expect(queries.count > 5_000)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).joined(separator: "\n"))")
    }
}
