import Foundation

/// Which redirects of a user's URL (a JobManager, a JAR server) the operator follows.
/// AsyncHTTPClient would forward every header but Authorization, Cookie and Proxy-Authorization
/// to any host a server redirects to, so a ScheduledJob's Secret headers (an API key) would
/// reach whatever host a compromised or malicious server names (CVE-2021-32690 was Helm doing
/// this). sked follows redirects itself:
///
/// - `sameOrigin` (the default): within the URL's own scheme, host and port, headers kept; a
///   redirect elsewhere is refused, naming the host it pointed to;
/// - `any`: elsewhere too, but without the request's headers from then on;
/// - `none`: no redirect is followed.
///
/// https to http is refused under every policy, as are non-HTTP locations and more than five hops.
public enum RedirectPolicy: String, Sendable, CaseIterable {
    case sameOrigin = "same-origin"
    case any
    case none

    public static let maxHops = 5

    /// What to do with a redirect from `from` (status `status`) to `location`.
    public enum Decision: Sendable, Equatable {
        /// Send `request` to `url` next.
        case follow(url: URL, request: TransportRequest)
        case refuse(String)
    }

    public func decide(from: URL, status: Int, location: String, request: TransportRequest) -> Decision {
        guard let to = URL(string: location, relativeTo: from)?.absoluteURL, let scheme = to.scheme?.lowercased() else {
            return .refuse("redirected (HTTP \(status)) to a location that is not a URL")
        }
        guard scheme == "http" || scheme == "https" else { return .refuse("redirected (HTTP \(status)) to a \(scheme): URL") }
        guard let host = to.host, !host.isEmpty else { return .refuse("redirected (HTTP \(status)) to a URL without a host") }
        if from.scheme?.lowercased() == "https" && scheme == "http" { return .refuse("redirected (HTTP \(status)) from https to http (\(host)): not followed") }
        if self == .none { return .refuse("redirected (HTTP \(status)) to \(host): redirects are not followed (--flink-follow-redirects=none)") }
        let sameOrigin = HTTPTransports.origin(of: from) == HTTPTransports.origin(of: to)
        if !sameOrigin && self == .sameOrigin {
            return .refuse("redirected (HTTP \(status)) to another host (\(host)): not followed, so the request's headers stay with its own host (--flink-follow-redirects=any follows it without them)")
        }
        var next = request
        next.target = HTTPTransports.target(of: to)
        // 303, and 301/302 after a POST, are repeated as a GET without the body (as browsers and Go do).
        if status == 303 || ((status == 301 || status == 302) && request.method == "POST") {
            if next.method != "HEAD" { next.method = "GET" }
            next.body = nil
            next.fileBody = nil
            next.headers = next.headers.filter { $0.key.lowercased() != "content-type" }
        }
        if !sameOrigin {
            // Nothing the user configured for the first host goes to another one.
            next.headers = next.headers.filter { ["accept", "content-type"].contains($0.key.lowercased()) }
        }
        return .follow(url: to, request: next)
    }

    static func isRedirect(_ status: Int) -> Bool { [301, 302, 303, 307, 308].contains(status) }
}

/// A transport to one base URL that follows redirects by `policy`, each hop through the
/// transport `make` gives for the hop's origin.
struct RedirectingTransport: HTTPTransport {
    let base: String
    let policy: RedirectPolicy
    let make: @Sendable (_ origin: String) -> any HTTPTransport

    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        try await following(request, timeout: timeout, status: \.status, headers: \.headers) { try await $0.send($1, timeout: $2) }
    }

    func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse {
        try await following(request, timeout: timeout, status: \.status, headers: \.headers) { try await $0.stream($1, timeout: $2) }
    }

    /// Sends `request` with `call`, then each redirect the policy follows, up to `maxHops`,
    /// all within `timeout` (a chain of slow redirects takes no longer than one request may).
    private func following<Response>(
        _ request: TransportRequest, timeout: Duration, status: (Response) -> Int, headers: (Response) -> [String: String],
        _ call: (any HTTPTransport, TransportRequest, Duration) async throws -> Response
    ) async throws -> Response {
        let deadline = ContinuousClock.now + timeout
        var (transport, current, url) = (make(base), request, URL(string: base + request.target))
        for hop in 0...RedirectPolicy.maxHops {
            let left = deadline - ContinuousClock.now
            if hop > 0 && left <= .zero {
                throw TransportError(.connection, method: request.method, path: request.path, detail: "timed out waiting for the answer (following redirects)")
            }
            let response = try await call(transport, current, max(left, .milliseconds(1)))
            guard RedirectPolicy.isRedirect(status(response)), let location = headers(response)["location"], let from = url else { return response }
            (transport, current, url) = try next(from: from, status: status(response), location: location, request: current)
        }
        throw tooMany(request)
    }

    private func next(from: URL, status: Int, location: String, request: TransportRequest) throws -> (any HTTPTransport, TransportRequest, URL?) {
        switch policy.decide(from: from, status: status, location: location, request: request) {
        case .refuse(let why):
            throw TransportError(.redirectRefused(status: status), method: request.method, path: request.path, detail: why)
        case .follow(let url, let next):
            return (make(HTTPTransports.origin(of: url)), next, url)
        }
    }

    private func tooMany(_ request: TransportRequest) -> TransportError {
        TransportError(.tooManyRedirects, method: request.method, path: request.path, detail: "more than \(RedirectPolicy.maxHops) redirects")
    }

    func shutdown() async throws {}
}
