/// One parsed field of a cron expression: the set of values it allows, plus
/// robfig's "star" flag that decides how day-of-month and day-of-week combine.
public struct CronField: Sendable, Hashable {
    /// Which position this field occupies.
    public let kind: CronFieldKind
    /// Bit `n` is set when value `n` is allowed.
    public let bits: UInt64
    /// robfig's `starBit`: set when some list item begins with `*` or `?` and
    /// has no step greater than 1. So `*`, `?`, `*/1`, `*,5` and even `*-5`
    /// are "star", while `*/2` is not (robfig v3 clears the bit for steps > 1).
    public let isStar: Bool

    /// Creates a field from raw bits.
    public init(kind: CronFieldKind, bits: UInt64, isStar: Bool) {
        self.kind = kind
        self.bits = bits
        self.isStar = isStar
    }

    /// A field allowing every value, like `*`.
    public static func all(_ kind: CronFieldKind) -> CronField {
        CronField(kind: kind, bits: bitRange(kind.minimum, kind.maximum, step: 1), isStar: true)
    }

    /// A field allowing exactly one value and not counting as a star.
    public static func only(_ value: Int, _ kind: CronFieldKind) -> CronField {
        CronField(kind: kind, bits: 1 << UInt64(value), isStar: false)
    }

    /// Whether `value` is allowed.
    public func contains(_ value: Int64) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The allowed values in ascending order.
    public var values: [Int] {
        (0..<64).filter { bits & (1 << UInt64($0)) != 0 }
    }

    /// Whether no value at all is allowed. robfig accepts such fields (e.g. `,`)
    /// and then never finds a matching time.
    public var isEmpty: Bool { bits == 0 }

    /// Parses one field the way robfig's `getField` does: a comma-separated
    /// list (empty items ignored) of `*`, `?`, `n`, `a-b`, each optionally
    /// followed by `/step`; `n/step` means `n-max/step`.
    public static func parse(_ text: String, kind: CronFieldKind, in expression: String) throws(CronError) -> CronField {
        var bits: UInt64 = 0
        var star = false
        for item in GoStrings.fields(text, separatedBy: ",") {
            let (itemBits, itemStar) = try parseItem(item, kind: kind, in: expression)
            bits |= itemBits
            star = star || itemStar
        }
        return CronField(kind: kind, bits: bits, isStar: star)
    }

    private static func parseItem(_ item: String, kind: CronFieldKind, in expression: String) throws(CronError) -> (UInt64, Bool) {
        func fail(_ reason: String) -> CronError {
            CronError(expression: expression, field: kind, reason: reason)
        }
        let rangeAndStep = GoStrings.split(item, on: "/")
        let lowAndHigh = GoStrings.split(rangeAndStep[0], on: "-")
        let single = lowAndHigh.count == 1
        var start: Int64, end: Int64, step: Int64
        var star = false

        if GoStrings.same(lowAndHigh[0], "*") || GoStrings.same(lowAndHigh[0], "?") {
            // robfig ignores anything after a leading "*-"/"?-": "*-5" is "*".
            start = Int64(kind.minimum)
            end = Int64(kind.maximum)
            star = true
        } else {
            start = try value(lowAndHigh[0], kind: kind, in: expression)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try value(lowAndHigh[1], kind: kind, in: expression)
            default: throw fail("\(kind) \"\(item)\" has too many hyphens")
            }
        }

        switch rangeAndStep.count {
        case 1:
            step = 1
        case 2:
            guard let parsed = GoStrings.atoi(rangeAndStep[1]) else {
                throw fail("\(kind) step \"\(rangeAndStep[1])\" in \"\(item)\" is not a number")
            }
            guard parsed >= 0 else {
                throw fail("\(kind) step \(parsed) in \"\(item)\" must be a positive number")
            }
            step = parsed
            if single { end = Int64(kind.maximum) }
            if step > 1 { star = false }
        default:
            throw fail("\(kind) \"\(item)\" has too many slashes")
        }

        let range = "\(kind.minimum)-\(kind.maximum)"
        if start < kind.minimum {
            throw fail("\(kind) value \(start) out of range \(range)")
        }
        if end > kind.maximum {
            throw fail("\(kind) value \(end) out of range \(range)")
        }
        if start > end {
            throw fail("\(kind) range \"\(item)\" starts after it ends (\(start) > \(end))")
        }
        if step == 0 {
            throw fail("\(kind) step in \"\(item)\" must be a positive number, not 0")
        }
        return (bitRange(Int(start), Int(end), step: step), star)
    }

    /// robfig's `parseIntOrName`: names are matched case-insensitively first,
    /// then the text must be a non-negative integer.
    private static func value(_ text: String, kind: CronFieldKind, in expression: String) throws(CronError) -> Int64 {
        let names = kind.names
        if !names.isEmpty, let lower = GoStrings.asciiLowercased(text), let named = names[lower] {
            return Int64(named)
        }
        guard let number = GoStrings.atoi(text) else {
            let hint = switch kind {
            case .month: "a number 1-12 or a month name JAN-DEC"
            case .dayOfWeek: "a number 0-6 or a weekday name SUN-SAT"
            default: "a number \(kind.minimum)-\(kind.maximum)"
            }
            throw CronError(expression: expression, field: kind,
                            reason: "\(kind) value \"\(text)\" is not valid (expected \(hint))")
        }
        guard number >= 0 else {
            throw CronError(expression: expression, field: kind,
                            reason: "\(kind) value \(number) must not be negative")
        }
        return number
    }

    static func bitRange(_ start: Int, _ end: Int, step: Int64) -> UInt64 {
        var bits: UInt64 = 0
        var i = Int64(start)
        while i <= Int64(end) {
            bits |= 1 << UInt64(i)
            let (next, overflow) = i.addingReportingOverflow(step)
            if overflow { break }
            i = next
        }
        return bits
    }
}
