import Foundation

/// An error answer of the Flink REST API. Flink wraps everything in
/// `{"errors":["<message or Java stack trace>", …]}`; the useful part is usually the last
/// `Caused by:` line, which is what `message` holds.
public struct FlinkRESTError: Error, Sendable, Hashable, CustomStringConvertible {
    public let statusCode: Int
    public let message: String
    /// The full text of `errors`, for classification (exception class names).
    public let detail: String

    /// An HTTP error answer. Only Flink's own `{"errors": [...]}` is read; any other body (a
    /// proxy's page, a server's debug output with its configuration in it) is never repeated:
    /// the message is then the status code alone, since it reaches status and Events, which
    /// more people may read than the server's operators meant.
    public init(statusCode: Int, body: Data) {
        self.statusCode = statusCode
        struct Errors: Decodable { var errors: [String] }
        let texts = (try? JSONDecoder().decode(Errors.self, from: body))?.errors ?? []
        detail = texts.joined(separator: "\n")
        message = Self.rootCause(of: detail) ?? texts.first { !$0.isEmpty && $0 != "Internal server error." }.map { String($0.prefix(1024)) }
            ?? "HTTP \(statusCode)"
    }

    private init(statusCode: Int, message: String, detail: String) {
        self.statusCode = statusCode
        self.message = message
        self.detail = detail
    }

    /// No HTTP answer (connection refused, timeout, TLS); `why` comes from the transport's
    /// fixed vocabulary, never from a library's error text.
    public static func unreachable(_ why: String) -> FlinkRESTError {
        FlinkRESTError(statusCode: 0, message: "JobManager unreachable: \(why)", detail: "")
    }

    /// An answer that is not what the endpoint gives (not JSON, the wrong shape, too large):
    /// not a passing outage, so not retried as one.
    public static func unexpectedAnswer(_ what: String) -> FlinkRESTError {
        FlinkRESTError(statusCode: 0, message: "unexpected answer to \(what)", detail: "unexpected answer")
    }

    public var description: String { "Flink REST API answered \(statusCode): \(message)" }

    /// Flink refused a run because a job with the same id was already submitted: for sked that
    /// means the run exists (adopt it), not that it failed.
    public var isDuplicateSubmission: Bool {
        detail.contains("DuplicateApplicationSubmissionException") || detail.contains("DuplicateJobSubmissionException")
    }

    public var isNotFound: Bool {
        statusCode == 404 || detail.contains("FlinkJobNotFoundException") || detail.contains("NotFoundException")
    }

    /// Unreachable JobManagers (status 0), 5xx answers and timeouts are worth retrying; 4xx are
    /// about the request, and so are the 500s Flink gives for a wrong JAR or entry class.
    public var isTransient: Bool {
        if statusCode == 0 { return !detail.contains("unexpected answer") }
        return statusCode >= 500 && !detail.contains("ProgramInvocationException") && !detail.contains("does not exist")
    }

    /// The message of the innermost `Caused by: <class>: <message>` line, or of the first line
    /// when there is no cause chain.
    public static func rootCause(of text: String) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let causes = lines.filter { $0.hasPrefix("Caused by: ") }.map { String($0.dropFirst("Caused by: ".count)) }
        let firstLine = lines.first { !$0.isEmpty && !$0.hasPrefix("at ") && $0 != "Internal server error." && !$0.hasPrefix("<Exception on server side") }
        let candidate = causes.last ?? firstLine
        guard let candidate else { return nil }
        return String(stripExceptionClass(candidate).prefix(1024))
    }

    /// `java.lang.RuntimeException: boom` → `boom (java.lang.RuntimeException)`: the message first,
    /// as users read it, with the class kept for searching.
    static func stripExceptionClass(_ line: String) -> String {
        guard let colon = line.range(of: ": "), line[..<colon.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "$" || $0 == "_" }),
              line[..<colon.lowerBound].contains(".")
        else { return line }
        let cls = line[..<colon.lowerBound]
        let rest = line[colon.upperBound...]
        return "\(rest) (\(cls))"
    }
}
