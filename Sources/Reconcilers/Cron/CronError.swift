/// Why a schedule expression was rejected.
///
/// The description is meant to be shown to a user as-is, e.g.
/// `invalid schedule "61 * * * *": minute value 61 out of range 0-59`.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The complete expression that failed to parse.
    public let expression: String
    /// The field the problem was found in, when it can be attributed to one.
    public let field: CronFieldKind?
    /// The reason, without the `invalid schedule "…":` preamble.
    public let reason: String

    /// Creates an error for `expression`.
    public init(expression: String, field: CronFieldKind? = nil, reason: String) {
        self.expression = expression
        self.field = field
        self.reason = reason
    }

    /// `invalid schedule "<expression>": <reason>`.
    public var description: String {
        "invalid schedule \"\(expression)\": \(reason)"
    }
}
