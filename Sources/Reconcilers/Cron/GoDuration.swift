/// A port of Go's `time.ParseDuration`, which robfig uses for `@every`.
///
/// Go accepts things like `90s`, `1h30m`, `1.5h`, `500ms`, `-2m`, `0` and
/// `.5s`; any mismatch here would change which `@every` schedules we accept.
public enum GoDuration {
    private static let units: [[UInt8]: UInt64] = [
        Array("ns".utf8): 1,
        Array("us".utf8): 1_000,
        Array("µs".utf8): 1_000, // U+00B5 micro sign
        Array("μs".utf8): 1_000, // U+03BC Greek mu
        Array("ms".utf8): 1_000_000,
        Array("s".utf8): 1_000_000_000,
        Array("m".utf8): 60_000_000_000,
        Array("h".utf8): 3_600_000_000_000,
    ]

    private static let limit: UInt64 = 1 << 63

    /// Parses `text` the way Go's `time.ParseDuration` does.
    /// - Returns: the duration in nanoseconds (may be negative).
    public static func parseNanoseconds(_ text: String) throws(CronError) -> Int64 {
        let bytes = Array(text.utf8)
        func invalid(_ why: String = "invalid duration") -> CronError {
            CronError(expression: "@every \(text)",
                      reason: "\(why) \"\(text)\" (expected a Go duration such as 90s, 1h30m or 1.5h)")
        }
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        if bytes.count - i == 1, bytes[i] == UInt8(ascii: "0") { return 0 }
        if i == bytes.count { throw invalid() }

        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        var total: UInt64 = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: ".") || isDigit(bytes[i]) else { throw invalid() }

            // Integer part; overflow is an error, as in Go's leadingInt.
            var whole: UInt64 = 0
            let wholeStart = i
            while i < bytes.count, isDigit(bytes[i]) {
                if whole > limit / 10 { throw invalid() }
                whole = whole * 10 + UInt64(bytes[i] - 0x30)
                if whole > limit { throw invalid() }
                i += 1
            }
            let hadWhole = i != wholeStart

            // Fraction; Go silently stops accumulating precision on overflow.
            var fraction: UInt64 = 0
            var scale: Double = 1
            var hadFraction = false
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                let fractionStart = i
                var overflow = false
                while i < bytes.count, isDigit(bytes[i]) {
                    defer { i += 1 }
                    if overflow { continue }
                    if fraction > (limit - 1) / 10 { overflow = true; continue }
                    let next = fraction * 10 + UInt64(bytes[i] - 0x30)
                    if next > limit { overflow = true; continue }
                    fraction = next
                    scale *= 10
                }
                hadFraction = i != fractionStart
            }
            if !hadWhole && !hadFraction { throw invalid() }

            let unitStart = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "."), !isDigit(bytes[i]) { i += 1 }
            if i == unitStart { throw invalid("missing unit in duration") }
            let unitBytes = Array(bytes[unitStart..<i])
            guard let unit = units[unitBytes] else {
                throw invalid("unknown unit \"\(String(decoding: unitBytes, as: UTF8.self))\" in duration")
            }
            if whole > limit / unit { throw invalid() }
            var value = whole * unit
            if fraction > 0 {
                // Same float expression as Go so rounding of e.g. "1.1h" agrees.
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                if value > limit { throw invalid() }
            }
            total &+= value // Go wraps here too (2^63 + 2^63 == 0)
            if total > limit { throw invalid() }
        }
        if negative {
            return total == limit ? Int64.min : -Int64(total)
        }
        if total > limit - 1 { throw invalid() }
        return Int64(total)
    }
}
