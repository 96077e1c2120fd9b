import Foundation
import Reconcilers
import Testing

/// Jenkins' `H`: a value per ScheduledJob, the same every time, spread between ScheduledJobs.
@Suite struct HashedScheduleRules {
    @Test func theSameKeyGivesTheSameScheduleAndManyKeysSpreadOverTheHour() throws {
        let one = try HashedSchedule.expand("H * * * *", key: "team-a/report")
        #expect(one == (try HashedSchedule.expand("H * * * *", key: "team-a/report")))
        let minute = try #require(Int(one.split(separator: " ")[0]))
        #expect((0...59).contains(minute) && one.hasSuffix(" * * * *"))
        let minutes = try (0..<1000).map { try HashedSchedule.expand("H * * * *", key: "ns/job-\($0)").split(separator: " ")[0] }
        let counts = Dictionary(grouping: minutes, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 60, "every minute of the hour is used by some of 1,000: \(counts.count)")
        #expect(counts.values.max()! < 40, "no minute holds more than twice its share: \(counts.values.max()!)")
    }

    /// The fields' values are independent: 10,000 `H H/4 * * * *` use every second of the
    /// 4-minute cycle (with FNV-1a alone, the minute followed from the second: 109 of 240).
    @Test func theFieldsOfOneScheduleAreIndependent() throws {
        var perSlot = [Int](repeating: 0, count: 240)
        for i in 0..<10_000 {
            let fields = try HashedSchedule.expand("H H/4 * * * *", key: "sked-h10000-12345/sj-\(String(format: "%05d", i))").split(separator: " ")
            let second = try #require(Int(fields[0]))
            let offset = try #require(Int(fields[1].split(separator: "-")[0]))
            perSlot[offset * 60 + second] += 1
        }
        #expect(perSlot.min()! > 0, "every second of the cycle is used: \(perSlot.filter { $0 > 0 }.count) of 240")
        #expect(perSlot.max()! < 84, "no second holds more than twice its share (41.7): \(perSlot.max()!)")
    }

    @Test func stepsRangesAndEveryField() throws {
        let stepped = try HashedSchedule.expand("H/15 * * * *", key: "ns/a").split(separator: " ")[0]
        let start = try #require(Int(stepped.split(separator: "-")[0]))
        #expect(start < 15 && stepped.hasSuffix("-59/15"))
        let ranged = try HashedSchedule.expand("0 H(9-17) * * 1-5", key: "ns/a").split(separator: " ")[1]
        #expect((9...17).contains(Int(ranged)!))
        let daily = try HashedSchedule.expand("H H H * *", key: "ns/a").split(separator: " ")
        #expect(Int(daily[2])! <= 28, "day-of-month H stays in 1-28: every month has it")
        // Six fields: the seconds field too; names are left alone.
        let six = try HashedSchedule.expand("H H * * * thu", key: "ns/a")
        #expect(six.hasSuffix(" * * * thu") && Int(six.split(separator: " ")[0])! <= 59)
        #expect(try HashedSchedule.expand("0 9 * * thu", key: "ns/a") == "0 9 * * thu")
        #expect(try ScheduleParser.parse(HashedSchedule.expand("H/10 H(0-5) * * *", key: "ns/a")).expression.contains("/10"))
    }

    @Test(arguments: ["H(30-20) * * * *", "H/0 * * * *", "H/61 * * * *", "H(0-99) * * * *", "H(1-2 * * * *", "Hx * * * *"])
    func badUsesNameTheField(text: String) {
        #expect(throws: CronError.self) { try ScheduleParser.parse(try HashedSchedule.expand(text, key: "ns/a")) }
    }

    @Test func validationHashesTheObjectsNameAndNeedsIt() {
        let spec = ScheduledJobSpec(schedule: "H 3 * * *", jobTemplate: JobTemplate(spec: ["template": ["spec": [:]]]))
        guard case .failure(let p) = spec.validated() else { Issue.record("H without a key was accepted"); return }
        #expect(p.reason == "InvalidSchedule" && p.message.contains("H needs the ScheduledJob's namespace and name"))
        guard case .success(let v) = spec.validated(hashKey: "ns/nightly") else { Issue.record("H with a key was refused"); return }
        #expect(v.schedule?.expression == (try? HashedSchedule.expand("H 3 * * *", key: "ns/nightly")))
        #expect((try? ScheduledJobSpec(schedule: "0 9 * * thu", jobTemplate: JobTemplate(spec: [:])).validated().get()) != nil, "a day name is not an H")
    }
}
