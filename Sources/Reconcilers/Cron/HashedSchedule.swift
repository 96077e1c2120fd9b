/// Jenkins' `H` in cron fields: a value chosen by a hash of the ScheduledJob's namespace and
/// name, so that a thousand `H * * * *` schedules spread over the hour instead of all firing at
/// minute 0, and each keeps its own minute forever. Rewritten to plain cron before parsing, so
/// the result is robfig-equal like any other schedule.
///
/// - `H`: one value in the field's range (day-of-month 1-28, so every month has it);
/// - `H/n`: every n, from an offset below n (`H/15` in minutes: e.g. `7-59/15`);
/// - `H(a-b)`: one value in a…b; `H(a-b)/n`: every n in a…b from an offset below n.
public enum HashedSchedule {
    /// Whether a field of `text` uses `H` (a day name such as `thu` does not).
    public static func usesH(_ text: String) -> Bool {
        !text.hasPrefix("@") && text.split(whereSeparator: \.isWhitespace).contains { field in
            field.split(separator: ",").contains { $0.first == "H" || $0.first == "h" }
        }
    }

    /// `text` with every `H` replaced; `key` is `namespace/name`. Unchanged when it has no `H`.
    public static func expand(_ text: String, key: String) throws(CronError) -> String {
        guard usesH(text) else { return text }
        var fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 || fields.count == 6 else { return text }  // the parser reports the count
        let kinds: [CronFieldKind] = fields.count == 6 ? CronFieldKind.allCases : Array(CronFieldKind.allCases.dropFirst())
        for (i, field) in fields.enumerated() {
            let kind = kinds[i]
            var parts: [String] = []
            for part in field.split(separator: ",", omittingEmptySubsequences: false) {
                parts.append(try expandPart(String(part), kind: kind, seed: "\(key)/\(kind.rawValue)", in: text))
            }
            fields[i] = parts.joined(separator: ",")
        }
        return fields.joined(separator: " ")
    }

    private static func expandPart(_ part: String, kind: CronFieldKind, seed: String, in text: String) throws(CronError) -> String {
        guard let first = part.first, first == "H" || first == "h" else { return part }
        var rest = Substring(part.dropFirst())
        var low = kind.minimum
        var high = kind == .dayOfMonth ? 28 : kind.maximum
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else { throw CronError(expression: text, reason: "\(kind) field \"\(part)\": H( without )") }
            let range = rest[rest.index(after: rest.startIndex)..<close].split(separator: "-", omittingEmptySubsequences: false)
            guard range.count == 2, let a = Int(range[0]), let b = Int(range[1]), a <= b, a >= kind.minimum, b <= kind.maximum else {
                throw CronError(expression: text, reason: "\(kind) field \"\(part)\": H(a-b) needs a range within \(kind.minimum)-\(kind.maximum)")
            }
            (low, high) = (a, b)
            rest = rest[rest.index(after: close)...]
        }
        if rest.isEmpty { return "\(low + SpreadHash.pick(seed, below: high - low + 1))" }
        guard rest.hasPrefix("/"), let step = Int(rest.dropFirst()), step >= 1, step <= high - low + 1 else {
            throw CronError(expression: text, reason: "\(kind) field \"\(part)\": expected H, H/n, H(a-b) or H(a-b)/n with n between 1 and \(high - low + 1)")
        }
        return "\(low + SpreadHash.pick(seed, below: step))-\(high)/\(step)"
    }
}
