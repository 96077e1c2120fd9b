import Foundation

/// An error answer of the Flink REST API. Flink wraps everything in
/// `{"errors":["<message or Java stack trace>", …]}`; the useful part is usually the last
/// `Caused by:` line, which is what `message` holds.
public struct FlinkRESTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What came back.
    public enum Kind: Sendable, Hashable {
        /// No HTTP answer (connection refused, timeout, TLS).
        case unreachable
        /// An answer the endpoint does not give (not JSON, the wrong shape, too large).
        case unexpectedAnswer
        /// An HTTP error status.
        case http(status: Int)
    }

    public let kind: Kind
    public let message: String
    /// The Java exception classes Flink's `errors` name, outermost first (each line that
    /// starts with a class, or `Caused by:` one): what the error is classified by.
    public let exceptionClasses: [String]
    /// Flink refused to run a JAR it no longer has. Its `RestHandlerException` is generic and
    /// carries no code, so this one case is told by Flink's message ("Jar file … does not exist").
    public let isMissingJar: Bool

    /// The HTTP status, or 0 when there was none.
    public var statusCode: Int {
        if case .http(let status) = kind { return status }
        return 0
    }

    /// An HTTP error answer. Only Flink's own `{"errors": [...]}` is read; any other body (a
    /// proxy's page, a server's debug output with its configuration in it) is never repeated:
    /// the message is then the status code alone, since it reaches status and Events, which
    /// more people may read than the server's operators meant.
    public init(statusCode: Int, body: Data) {
        struct Errors: Decodable { var errors: [String] }
        let texts = (try? JSONDecoder().decode(Errors.self, from: body))?.errors ?? []
        let detail = texts.joined(separator: "\n")
        kind = .http(status: statusCode)
        message = Self.rootCause(of: detail) ?? texts.first { !$0.isEmpty && $0 != "Internal server error." }.map { String($0.prefix(1024)) }
            ?? "HTTP \(statusCode)"
        exceptionClasses = Self.exceptionClasses(in: detail)
        isMissingJar = detail.contains("does not exist")
    }

    private init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
        exceptionClasses = []
        isMissingJar = false
    }

    /// No HTTP answer (connection refused, timeout, TLS); `why` comes from the transport's
    /// fixed vocabulary, never from a library's error text.
    public static func unreachable(_ why: String) -> FlinkRESTError {
        FlinkRESTError(kind: .unreachable, message: "JobManager unreachable: \(why)")
    }

    /// An answer that is not what the endpoint gives (not JSON, the wrong shape, too large):
    /// not a passing outage, so not retried as one.
    public static func unexpectedAnswer(_ what: String) -> FlinkRESTError {
        FlinkRESTError(kind: .unexpectedAnswer, message: "unexpected answer to \(what)")
    }

    public var description: String { "Flink REST API answered \(statusCode): \(message)" }

    /// Whether Flink's answer names this exception (by its simple name: Flink has moved
    /// classes between packages across versions).
    public func names(_ simpleName: String) -> Bool {
        exceptionClasses.contains { $0.split(separator: ".").last.map(String.init) == simpleName }
    }

    /// Flink refused a run because a job with the same id was already submitted: for sked that
    /// means the run exists (adopt it), not that it failed.
    public var isDuplicateSubmission: Bool {
        names("DuplicateApplicationSubmissionException") || names("DuplicateJobSubmissionException")
    }

    /// The job (or JAR) is unknown to the JobManager. A job whose own code threw
    /// `ClassNotFoundException` is not "not found".
    public var isNotFound: Bool {
        statusCode == 404 || names("FlinkJobNotFoundException") || names("NotFoundException")
    }

    /// Unreachable JobManagers and 5xx answers are worth retrying; 4xx are about the request,
    /// and so are the 500s Flink gives for a wrong JAR or entry class.
    public var isTransient: Bool {
        switch kind {
        case .unreachable: return true
        case .unexpectedAnswer: return false
        case .http(let status): return status >= 500 && !names("ProgramInvocationException") && !isMissingJar
        }
    }

    /// The classes of lines shaped `a.b.Class: message`, `a.b.Class` or `Caused by: a.b.Class: …`.
    static func exceptionClasses(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { raw in
            var line = raw.trimmingCharacters(in: .whitespaces)[...]
            if line.hasPrefix("Caused by: ") { line = line.dropFirst("Caused by: ".count) }
            let name = line.prefix { $0 != ":" && $0 != " " }
            guard name.contains("."), !name.hasPrefix("at"), !name.hasSuffix("."),
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "$" || $0 == "_" }),
                  name.split(separator: ".").last?.first?.isUppercase == true
            else { return nil }
            return String(name)
        }
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
