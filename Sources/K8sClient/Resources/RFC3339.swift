import Foundation

/// Kubernetes timestamps: `metav1.Time` is RFC 3339 with whole seconds, `metav1.MicroTime`
/// (Leases, Events) requires exactly six fractional digits. Writing six digits everywhere
/// is accepted by both, so sked always writes that and reads either.
public enum RFC3339 {
    private static let whole = Date.ISO8601FormatStyle(timeZone: .gmt)
    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public static func parse(_ text: String) -> Date? {
        if let d = try? whole.parse(text) { return d }
        if let d = try? fractional.parse(text) { return d }
        // Offsets other than Z, and fractions longer than milliseconds, go through the formatter.
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }

    /// `2024-05-19T10:00:00Z` — second precision, for annotations and user-facing output.
    public static func format(_ date: Date) -> String {
        whole.format(Date(timeIntervalSince1970: (date.timeIntervalSince1970).rounded(.down)))
    }

    /// `2024-05-19T12:00:00+02:00` — second precision with `zone`'s offset at that instant
    /// (`Z` for UTC), as Go's `t.In(zone).Format(time.RFC3339)`.
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: zone).format(Date(timeIntervalSince1970: (date.timeIntervalSince1970).rounded(.down)))
    }

    /// `2024-05-19T10:00:00.123456Z` — the `MicroTime` wire format.
    public static func formatMicro(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let seconds = t.rounded(.down)
        let micros = min(999_999, Int(((t - seconds) * 1_000_000).rounded()))
        let base = whole.format(Date(timeIntervalSince1970: seconds))
        return String(base.dropLast()) + "." + String(format: "%06d", micros) + "Z"
    }
}
