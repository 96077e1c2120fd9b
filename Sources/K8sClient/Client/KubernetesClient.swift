import Foundation
import Logging
import Tracing

/// A cheap-to-copy handle on one API server: transport, authentication, rate limit and
/// retries. Typed access goes through `api(_:namespace:)`.
public struct KubernetesClient: Sendable {
    public let configuration: ClientConfiguration
    public let transport: any HTTPTransport
    public let retryPolicy: RetryPolicy
    public var logger: Logger
    private let tokens: TokenSource
    private let limiter: TokenBucket
    /// Called after every API request with (verb, HTTP status or 0), for metrics.
    public var onResponse: (@Sendable (String, Int) -> Void)?

    public init(
        configuration: ClientConfiguration, transport: any HTTPTransport, retryPolicy: RetryPolicy = RetryPolicy(),
        logger: Logger = Logger(label: "sked.k8s"), environment: ClientConfiguration.Environment = .init()
    ) {
        self.configuration = configuration
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.logger = logger
        self.tokens = TokenSource(authentication: configuration.authentication, server: configuration.server, refreshInterval: configuration.tokenRefreshInterval, readFile: environment.readFile)
        self.limiter = TokenBucket(qps: configuration.qps, burst: configuration.burst)
    }

    /// Runs `body` with a client on a fresh AsyncHTTPClient, shutting it down afterwards.
    @discardableResult
    public static func withClient<T: Sendable>(
        configuration: ClientConfiguration, logger: Logger = Logger(label: "sked.k8s"),
        _ body: (KubernetesClient) async throws -> T
    ) async throws -> T {
        let transport = try AsyncHTTPClientTransport(configuration: configuration)
        let client = KubernetesClient(configuration: configuration, transport: transport, logger: logger)
        do {
            let result = try await body(client)
            try await transport.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    /// A typed view of one resource in `namespace` (nil: all namespaces, or cluster-scoped).
    public func api<R: KubernetesResource>(_ type: R.Type = R.self, namespace: String?, resource: ResourceDescriptor = R.resource) -> API<R> {
        API(client: self, namespace: namespace, resource: resource)
    }

    private func prepare(method: String, path: String, query: [(String, String)], body: Data?, contentType: String?, accept: String = "application/json") async throws -> TransportRequest {
        var headers = ["Accept": accept, "User-Agent": "sked"]
        if let auth = try await tokens.authorizationHeader() { headers["Authorization"] = auth }
        if body != nil { headers["Content-Type"] = contentType ?? "application/json" }
        return TransportRequest(method: method, target: path + Self.queryString(query), headers: headers, body: body)
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?" + query.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
    }

    /// One API call with rate limiting and retries of transient failures. Returns the body
    /// of a 2xx answer; anything else becomes a `KubernetesError`.
    public func request(
        _ method: String, path: String, query: [(String, String)] = [], body: Data? = nil,
        contentType: String? = nil, timeout: Duration? = nil, accept: String? = nil
    ) async throws -> Data {
        // A client span per API call (a no-op unless a tracer is bootstrapped).
        try await withSpan("kube \(method)", ofKind: .client) { span in
            span.attributes["http.request.method"] = method
            span.attributes["url.path"] = path
            return try await requestWithRetries(method, path: path, query: query, body: body, contentType: contentType, timeout: timeout, accept: accept)
        }
    }

    private func requestWithRetries(
        _ method: String, path: String, query: [(String, String)], body: Data?, contentType: String?, timeout: Duration?, accept: String?
    ) async throws -> Data {
        var attempt = 0
        var reauthenticated = false
        while true {
            attempt += 1
            try await limiter.acquire()
            let request = try await prepare(method: method, path: path, query: query, body: body, contentType: contentType, accept: accept ?? "application/json")
            let error: KubernetesError
            do {
                let response = try await transport.send(request, timeout: timeout ?? configuration.requestTimeout)
                onResponse?(method, response.status)
                if (200..<300).contains(response.status) { return response.body }
                error = KubernetesError.fromResponse(
                    statusCode: response.status, body: response.body,
                    retryAfter: response.headers["retry-after"].flatMap(Double.init))
            } catch let e as TransportError {
                onResponse?(method, e.statusCode ?? 0)
                error = KubernetesError(e)
            }
            if error.statusCode == 401, tokens.canRefresh {
                // A plugin's token can be revoked before it expires: fetch a new one, once.
                await tokens.unauthorized(request.headers["Authorization"])
                if !reauthenticated {
                    reauthenticated = true
                    continue
                }
            }
            guard error.isTransient, attempt < retryPolicy.maxAttempts, !Task.isCancelled else { throw error }
            let delay = retryPolicy.delay(afterAttempt: attempt, error: error)
            logger.debug("retrying API request", metadata: ["verb": "\(method)", "path": "\(path)", "attempt": "\(attempt)", "error": "\(error)"])
            try await Task.sleep(for: delay)
        }
    }

    /// Starts a streaming request (a watch). Non-2xx answers are read whole and thrown.
    public func stream(path: String, query: [(String, String)], timeout: Duration, accept: String? = nil) async throws -> ByteChunks {
        try await limiter.acquire()
        let request = try await prepare(method: "GET", path: path, query: query, body: nil, contentType: nil, accept: accept ?? "application/json")
        let response: TransportStreamResponse
        do {
            response = try await transport.stream(request, timeout: timeout)
        } catch let e as TransportError {
            onResponse?("WATCH", 0)
            throw KubernetesError(e)
        }
        onResponse?("WATCH", response.status)
        guard (200..<300).contains(response.status) else {
            var body = Data()
            for try await chunk in response.body {
                body.append(chunk)
                if body.count > 64 * 1024 { break }
            }
            if response.status == 401 { await tokens.unauthorized(request.headers["Authorization"]) }
            throw KubernetesError.fromResponse(statusCode: response.status, body: body)
        }
        return response.body
    }

    public func shutdown() async throws { try await transport.shutdown() }
}
