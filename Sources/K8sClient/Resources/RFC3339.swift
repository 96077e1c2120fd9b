import Foundation

/// Kubernetes timestamps: `metav1.Time` is RFC 3339 with whole seconds, `metav1.MicroTime`
/// (Leases, Events) requires exactly six fractional digits. Writing six digits everywhere
/// is accepted by both, so sked always writes that and reads either.
///
/// Parsing and formatting are done by hand: every watch event and status write carries a
/// dozen timestamps, and Foundation's formatters (an `ISO8601DateFormatter` per call, or a
/// format style that rejects six fractional digits) made date handling the operator's
/// largest CPU cost under load.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        var utf8 = Array(text.utf8)
        guard utf8.count >= 20 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= utf8.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                let c = utf8[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = digits(0, 4), utf8[4] == 45, let month = digits(5, 2), utf8[7] == 45, let day = digits(8, 2),
              utf8[10] == 84 || utf8[10] == 116 || utf8[10] == 32,
              let hour = digits(11, 2), utf8[13] == 58, let minute = digits(14, 2), utf8[16] == 58, let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < utf8.count && utf8[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < utf8.count, utf8[i] >= 48 && utf8[i] <= 57 {
                fraction += Double(utf8[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < utf8.count else { return nil }
        var offset = 0
        switch utf8[i] {
        case 90, 122: i += 1  // Z
        case 43, 45:  // + or -
            guard let oh = digits(i + 1, 2), i + 3 < utf8.count, utf8[i + 3] == 58, let om = digits(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (utf8[i] == 45 ? -1 : 1)
            i += 6
        default: return nil
        }
        guard i == utf8.count else { return nil }
        utf8.removeAll()
        let days = daysFromCivil(year, month, day)
        let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// `2024-05-19T10:00:00Z` — second precision, for annotations and user-facing output.
    public static func format(_ date: Date) -> String {
        let (base, _) = civil(date)
        return base + "Z"
    }

    /// `2024-05-19T10:00:00.123456Z` — the `MicroTime` wire format.
    public static func formatMicro(_ date: Date) -> String {
        let (base, micros) = civil(date)
        return base + "." + pad(micros, 6) + "Z"
    }

    private static func civil(_ date: Date) -> (String, Int) {
        let t = date.timeIntervalSince1970
        var seconds = Int64(t.rounded(.down))
        var micros = Int(((t - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            micros -= 1_000_000
            seconds += 1
        }
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = Int(seconds - Int64(days) * 86400)
        let (y, m, d) = civilFromDays(days)
        let text = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        return (text, micros)
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, 1970-01-01 = 0).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// The JSON coders every request and response goes through.
public enum KubernetesJSON {
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = RFC3339.parse(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(s)")
            }
            return date
        }
        return d
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(RFC3339.formatMicro(date))
        }
        return e
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder().encode(value) }
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder().decode(type, from: data)
    }
}
