import Reconcilers

/// Produces pseudo-random cron expressions that exercise every part of the
/// grammar, including a share of invalid ones so acceptance is compared too.
struct ExpressionGenerator {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    private mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
    private mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    mutating func expression() -> String {
        let roll = int(1...100)
        if roll <= 6 { return descriptor() }
        if roll <= 12 { return every() }
        if roll <= 14 { return oddity() }
        let kinds: [CronFieldKind] = chance(35) ? CronFieldKind.allCases : Array(CronFieldKind.allCases.dropFirst())
        var fields = kinds.map { field($0) }
        if chance(2) { fields.append(field(.minute)) }      // 7 fields
        if chance(2) { fields.removeLast() }                // 4 or 5 fields
        let separator = chance(5) ? pick(["  ", "\t", " \u{00A0}"]) : " "
        return fields.joined(separator: separator)
    }

    private mutating func descriptor() -> String {
        pick(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
              "@Daily", "@HOURLY", "@reboot", "@daily ", "@ daily", "@", "@every"])
    }

    private mutating func every() -> String {
        let duration = pick([
            "90s", "1h30m", "1.5h", "500ms", "0", "-5s", "2h", "1m30.5s", ".5s", "1us", "3µs", "1μs",
            "45m", "1.999s", "999ms", "24h", "168h", "\(int(1...5000))s", "\(int(1...300))m",
            "\(int(1...100))h\(int(0...59))m", "1d", "x", "5", "1..5s", "", "+10s", "1e3s", "0.0001h",
            "7.25m", "3h0m0s", "100000h", "9223372036854775807ns", "9223372036854775808ns", "1hh",
        ])
        return "@every " + duration
    }

    private mutating func oddity() -> String {
        pick([
            "", " ", "* * * * *", " * * * * * ", "*-5 * * * *", "1,,2 * * * *", ", * * * *",
            "* * * * 7", "* * * * sun-sat", "* * * * SAT-SUN", "+5 * * * *", "0 0 30 2 *",
            "0 0 31 2 *", "0 0 29 2 *", "0 0 31 * *", "*/0 * * * *", "5/0 * * * *", "1-2-3 * * * *",
            "1/2/3 * * * *", "? ? ? ? ?", "0 0 ? * MON", "0 0 1 * ?", "* * * JAN-DEC/2 *",
            "0 0 * * FRİ", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 0 *", "* * * 13 *",
            "0 0 */2 * 1", "0 0 */1 * 1", "0 0 1-31/2 * 1", "0 0 *,15 * 1", "0 0 *-3 * 1",
            "-1 * * * *", "* * * * -1", "*/-1 * * * *", "*/+2 * * * *", "007 * * * *",
            "99999999999999999999 * * * *", "*/99999999999999 * * * *", "30 2 * * *",
            "@every 9223372036854775808ns9223372036854775808ns", "@every -9223372036854775808ns",
            "@every 2562047h47m16.854775807s", "@every 2562048h", "0\u{2003}0 * * *", "0 0 * * fri\u{301}",
            "0,\u{301} * * * *", "0 0 * * \u{212A}", "0 0 * * FR\u{130}-SAT", "0\u{200B} 0 * * *",
            "0 0 * * *\u{3000}", "\u{85}0 0 * * *", "0 0 1 1 * 2024", "*/1 * * * * *", "? * * * * ?",
        ])
    }

    private mutating func field(_ kind: CronFieldKind) -> String {
        if chance(30) { return chance(90) ? "*" : "?" }
        let count = chance(70) ? 1 : int(2...4)
        return (0..<count).map { _ in item(kind) }.joined(separator: ",")
    }

    private mutating func value(_ kind: CronFieldKind) -> String {
        // Mostly in range, sometimes just outside to exercise the bounds checks.
        let v = chance(4) ? pick([kind.minimum - 1, kind.maximum + 1, 7, 60, 32, 13, 24])
                          : int(kind.minimum...kind.maximum)
        if v >= 0, kind == .month, chance(40), v >= 1, v <= 12 { return cased(Self.monthNames[v - 1]) }
        if v >= 0, kind == .dayOfWeek, chance(40), v <= 6 { return cased(Self.dayNames[v]) }
        return String(v)
    }

    private mutating func cased(_ name: String) -> String {
        switch int(1...3) {
        case 1: name
        case 2: name.uppercased()
        default: name.prefix(1).uppercased() + name.dropFirst()
        }
    }

    private mutating func item(_ kind: CronFieldKind) -> String {
        let span = kind.maximum - kind.minimum
        let step = chance(3) ? "0" : String(int(1...max(2, span / 2 + 2)))
        switch int(1...10) {
        case 1, 2, 3: return value(kind)
        case 4, 5:
            var a = value(kind), b = value(kind)
            if chance(80), let x = Int(a), let y = Int(b), x > y { swap(&a, &b) }
            return "\(a)-\(b)"
        case 6, 7: return "\(chance(85) ? "*" : "?")/\(step)"
        case 8: return "\(value(kind))/\(step)"
        case 9:
            let lo = int(kind.minimum...kind.maximum)
            let hi = int(lo...kind.maximum)
            return "\(lo)-\(hi)/\(step)"
        default: return chance(50) ? "*" : value(kind)
        }
    }
}
