/// A request that got no usable HTTP answer, from any transport: to the API server, a
/// JobManager or a JAR server. `KubernetesClient` turns it into a `KubernetesError`; the
/// Flink clients read it as it is.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No answer: refused, reset, closed, timed out, the name did not resolve. Worth retrying.
        case connection
        /// The server's certificate is not trusted or does not match: the same next time,
        /// until a certificate or trust bundle changes.
        case tls
        /// The answer (with this HTTP status) is larger than the request allows.
        case tooLarge(status: Int, limit: Int)
        /// A redirect (with this HTTP status) the redirect policy refuses to follow.
        case redirectRefused(status: Int)
        case tooManyRedirects
    }

    public let kind: Kind
    /// The request line, without its query (which may hold credentials).
    public let method: String
    public let path: String
    /// What went wrong, in `TransportFailure`'s fixed words (or the redirect policy's): never
    /// an HTTP library's own description, which can quote header values.
    public let detail: String

    public init(_ kind: Kind, method: String, path: some StringProtocol, detail: String) {
        self.kind = kind
        self.method = method
        self.path = String(path)
        self.detail = detail
    }

    /// The request line and what went wrong.
    public var message: String { "\(method) \(path): \(detail)" }
    public var description: String { message }

    /// The HTTP status an answer had, when there was one (too large, a refused redirect).
    public var statusCode: Int? {
        switch kind {
        case .tooLarge(let status, _), .redirectRefused(let status): status
        case .connection, .tls, .tooManyRedirects: nil
        }
    }
}

extension KubernetesError {
    /// An API request that got no usable answer: retried like a server error, except a TLS
    /// failure (it repeats) and an answer too large (it would be as large again).
    public init(_ e: TransportError) {
        let reason: Reason = switch e.kind {
        case .connection, .redirectRefused, .tooManyRedirects: .transport
        case .tls: .tls
        case .tooLarge: .tooLarge
        }
        self.init(statusCode: e.statusCode, reason: reason, message: e.message)
    }
}

extension TransportError.Kind {
    public var isTooLarge: Bool { if case .tooLarge = self { true } else { false } }
}
