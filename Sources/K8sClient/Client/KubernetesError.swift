import Foundation

/// An error from the Kubernetes API or from reaching it.
///
/// Carries the HTTP status, the API's machine-readable `reason` and its message, so
/// callers can branch on `reason` (for example treat `AlreadyExists` as success) and
/// users see what the API server actually said.
public struct KubernetesError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The `reason` field of a `metav1.Status`, or a client-side reason for errors
    /// that never reached the API server.
    public struct Reason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notFound = Reason(rawValue: "NotFound")
        public static let alreadyExists = Reason(rawValue: "AlreadyExists")
        public static let conflict = Reason(rawValue: "Conflict")
        public static let forbidden = Reason(rawValue: "Forbidden")
        public static let unauthorized = Reason(rawValue: "Unauthorized")
        public static let invalid = Reason(rawValue: "Invalid")
        public static let badRequest = Reason(rawValue: "BadRequest")
        public static let gone = Reason(rawValue: "Gone")
        public static let expired = Reason(rawValue: "Expired")
        public static let tooManyRequests = Reason(rawValue: "TooManyRequests")
        public static let internalError = Reason(rawValue: "InternalError")
        public static let serviceUnavailable = Reason(rawValue: "ServiceUnavailable")
        public static let timeout = Reason(rawValue: "Timeout")
        public static let unknown = Reason(rawValue: "Unknown")
        /// The request never got an HTTP answer (connection refused, reset, TLS failure, timeout).
        public static let transport = Reason(rawValue: "Transport")
        /// The TLS handshake failed: the server's certificate is not trusted or does not match.
        public static let tls = Reason(rawValue: "TLS")
        /// The answer was larger than the request allowed (`TransportRequest.maxResponseBytes`).
        public static let tooLarge = Reason(rawValue: "ResponseTooLarge")
        /// The answer could not be decoded into the expected type.
        public static let decoding = Reason(rawValue: "Decoding")
    }

    /// HTTP status code, or nil when no HTTP response was received.
    public let statusCode: Int?
    public let reason: Reason
    public let message: String
    /// Seconds the server asked us to wait (429 `Retry-After`), if any.
    public let retryAfter: Double?

    public init(statusCode: Int?, reason: Reason, message: String, retryAfter: Double? = nil) {
        self.statusCode = statusCode
        self.reason = reason
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String {
        if let statusCode { return "\(reason) (HTTP \(statusCode)): \(message)" }
        return "\(reason): \(message)"
    }

    /// Whether repeating the same request later may succeed: throttling, server errors
    /// and connection failures are transient; 4xx answers about the request itself are not.
    public var isTransient: Bool {
        if reason == .transport || reason == .tooManyRequests { return true }
        guard let statusCode else { return false }
        return statusCode == 429 || statusCode >= 500
    }

    public var isNotFound: Bool { reason == .notFound || (statusCode == 404 && reason == .unknown) }
    public var isAlreadyExists: Bool { reason == .alreadyExists }
    public var isConflict: Bool { reason == .conflict || statusCode == 409 && reason != .alreadyExists }
    /// `410 Gone` or `Expired`: the requested resourceVersion is too old; a watcher must relist.
    public var isResourceExpired: Bool { reason == .gone || reason == .expired || statusCode == 410 }

    /// Builds the error for a non-2xx answer, using the `Status` body when the server sent one.
    public static func fromResponse(statusCode: Int, body: Data, retryAfter: Double? = nil) -> KubernetesError {
        let status = KubernetesProtobuf.isProtobuf(body)
            ? try? KubernetesProtobuf.decodeStatus(from: body) : try? JSONDecoder().decode(Status.self, from: body)
        if let status, status.kind == "Status" {
            let reason = status.reason.map(Reason.init(rawValue:)) ?? defaultReason(for: statusCode)
            return KubernetesError(
                statusCode: statusCode, reason: reason,
                message: status.message ?? "HTTP status \(statusCode)", retryAfter: retryAfter)
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return KubernetesError(
            statusCode: statusCode, reason: defaultReason(for: statusCode),
            message: text.isEmpty ? "HTTP status \(statusCode)" : text, retryAfter: retryAfter)
    }

    static func defaultReason(for statusCode: Int) -> Reason {
        switch statusCode {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 410: .gone
        case 422: .invalid
        case 429: .tooManyRequests
        case 500: .internalError
        case 503: .serviceUnavailable
        case 504: .timeout
        default: .unknown
        }
    }
}
