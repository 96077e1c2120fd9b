import Reconcilers
import Foundation
import Testing

/// Compares this package with the real robfig/cron v3 (through the Go oracle
/// named by CRON_ORACLE) on thousands of generated expressions, time zones and
/// start instants clustered around DST transitions in 2024-2027.
@Suite struct DifferentialTests {
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                        "Asia/Kolkata", "America/Sao_Paulo"]
    static let firesPerCase = 5

    /// DST transitions of `zone` in 2024-2027 (none for zones without DST).
    static func transitions(of zone: TimeZone) -> [Int64] {
        var result: [Int64] = []
        var cursor = Date(timeIntervalSince1970: 1_704_067_200) // 2024-01-01Z
        let end = Date(timeIntervalSince1970: 1_830_297_600)    // 2028-01-01Z
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            result.append(Int64(next.timeIntervalSince1970))
            cursor = next
        }
        return result
    }

    struct Case {
        var query: CronOracle.Query
        var start: Date
        var zone: TimeZone
    }

    static func cases(count: Int, seed: UInt64) -> [Case] {
        var rng = SplitMix64(seed: seed ^ 0xC0FFEE)
        var generator = ExpressionGenerator(seed: seed)
        let transitionTable = zones.map { transitions(of: TimeZone(identifier: $0)!) }
        return (0..<count).map { _ in
            let zoneIndex = Int.random(in: 0..<zones.count, using: &rng)
            let table = transitionTable[zoneIndex]
            var seconds: Int64
            if table.isEmpty || Int.random(in: 0..<5, using: &rng) == 0 {
                seconds = Int64.random(in: 1_704_067_200..<1_830_297_600, using: &rng)
            } else {
                let transition = table[Int.random(in: 0..<table.count, using: &rng)]
                let spread: Int64 = Bool.random(using: &rng) ? 3 * 3_600 : 3 * 86_400
                seconds = transition + Int64.random(in: -spread...spread, using: &rng)
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { seconds -= seconds % 3_600 } // exact hours matter
            let fractional = Int.random(in: 0..<10, using: &rng) == 0
            let instant = Double(seconds) + (fractional ? 0.5 : 0)
            return Case(
                query: .init(zone: zones[zoneIndex], unixSeconds: fractional ? "\(seconds).5" : "\(seconds)",
                             expression: generator.expression()),
                start: Date(timeIntervalSince1970: instant),
                zone: TimeZone(identifier: zones[zoneIndex])!)
        }
    }

    /// Whether our fire times agree with robfig's from `start`. robfig's are compared up to
    /// the first that is not after the one before (or the start): from there robfig goes back
    /// and round in circles (Pacific/Chatham's fall-back overlap, for one), which
    /// `CronSpec.next` deliberately does not copy.
    static func agrees(_ mine: [Int64?], _ theirs: [Int64?], start: Date) -> Bool {
        var previous = start.timeIntervalSince1970
        for (index, fire) in theirs.enumerated() {
            guard let fire else { break }
            if Double(fire) <= previous { return Array(mine.prefix(index)) == Array(theirs.prefix(index)) }
            previous = Double(fire)
        }
        return mine == theirs
    }

    static func ours(_ c: Case) -> CronOracle.Answer {
        guard let schedule = try? CronSchedule.parse(c.query.expression) else { return nil }
        var result: [Int64?] = []
        var cursor = c.start
        for _ in 0..<firesPerCase {
            guard let fire = schedule.next(after: cursor, in: c.zone) else {
                result.append(nil)
                break
            }
            result.append(Int64(fire.timeIntervalSince1970))
            cursor = fire
        }
        return result
    }

    @Test("Next fire times and acceptance agree with robfig/cron v3 on generated expressions")
    func agreesWithRobfig() throws {
        let oracle = try CronOracle()
        // CRON_DIFF_CASES / CRON_DIFF_SEED allow longer fuzzing runs by hand.
        let environment = ProcessInfo.processInfo.environment
        let count = environment["CRON_DIFF_CASES"].flatMap { Int($0) } ?? 6_000
        let seed = environment["CRON_DIFF_SEED"].flatMap { UInt64($0) } ?? 20_240_331
        let cases = Self.cases(count: count, seed: seed)
        let theirs = try oracle.answer(cases.map(\.query), count: Self.firesPerCase)

        var acceptedByBoth = 0, rejectedByBoth = 0, comparedFires = 0
        var acceptanceDisagreements: [String] = [], valueDisagreements: [String] = []
        for (c, their) in zip(cases, theirs) {
            let mine = Self.ours(c)
            let q = c.query
            switch (mine, their) {
            case (nil, nil):
                rejectedByBoth += 1
            case (let m?, let t?):
                acceptedByBoth += 1
                comparedFires += t.count
                if !Self.agrees(m, t, start: c.start) {
                    valueDisagreements.append("\(q.zone) \(q.unixSeconds) \"\(q.expression)\": ours \(m) robfig \(t)")
                }
            default:
                acceptanceDisagreements.append(
                    "\(q.zone) \"\(q.expression)\": ours \(mine == nil ? "rejects" : "accepts"), robfig \(their == nil ? "rejects" : "accepts")")
            }
        }
        print("differential: \(cases.count) cases, \(acceptedByBoth) accepted by both (\(comparedFires) fire times compared), "
              + "\(rejectedByBoth) rejected by both, \(acceptanceDisagreements.count) acceptance disagreements, "
              + "\(valueDisagreements.count) value disagreements")
        #expect(acceptedByBoth > count / 2, "too few accepted expressions to be a meaningful comparison")
        #expect(rejectedByBoth > count / 50, "too few rejected expressions to compare error handling")
        #expect(acceptanceDisagreements.isEmpty, "\(acceptanceDisagreements.prefix(20).joined(separator: "\n"))")
        #expect(valueDisagreements.isEmpty, "\(valueDisagreements.prefix(20).joined(separator: "\n"))")
    }

    /// The one intended difference: robfig honours TZ=/CRON_TZ= prefixes, we
    /// reject them so the time zone comes from the resource's timeZone field.
    @Test("TZ and CRON_TZ prefixes are accepted by robfig but rejected here on purpose")
    func timeZonePrefixesAreTheOnlyIntendedDifference() throws {
        let oracle = try CronOracle()
        let expressions = ["TZ=UTC 0 * * * *", "CRON_TZ=Europe/Berlin 0 0 * * *", "TZ=Asia/Kolkata @daily"]
        let theirs = try oracle.answer(
            expressions.map { .init(zone: "UTC", unixSeconds: "1711846800", expression: $0) }, count: 1)
        for (expression, their) in zip(expressions, theirs) {
            #expect(their != nil, "robfig should accept \(expression)")
            #expect(throws: CronError.self) { try CronSchedule.parse(expression) }
        }
    }
}
