import AsyncHTTPClient
import Foundation

/// Transports to arbitrary HTTP(S) servers by URL (Flink JobManagers, JAR downloads), as
/// opposed to the one API server of `KubernetesClient`. Production uses AsyncHTTPClient's
/// shared client (system trust roots, TLS verification on, redirects followed); tests script
/// the answers per origin.
public struct HTTPTransports: Sendable {
    private let make: @Sendable (_ origin: String) -> any HTTPTransport

    public init(_ make: @escaping @Sendable (_ origin: String) -> any HTTPTransport) {
        self.make = make
    }

    public static let shared = HTTPTransports { AsyncHTTPClientTransport(client: externalClient, baseURL: $0) }

    /// One client for the whole process, never shut down. Unlike `HTTPClient.shared` it does
    /// not retry a refused connection until the request's deadline: a JobManager that is down
    /// is reported at once, not after the whole request timeout.
    private static let externalClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The transport for `url`'s origin and the request target (path and query) on it.
    public func transport(for url: URL) -> (transport: any HTTPTransport, target: String) {
        (make(Self.origin(of: url)), Self.target(of: url))
    }

    /// A transport whose requests are relative to `base` (a JobManager URL, possibly with a path prefix
    /// when it sits behind a proxy).
    public func transport(base url: URL) -> any HTTPTransport {
        let prefix = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        return make(Self.origin(of: url) + prefix)
    }

    public static func origin(of url: URL) -> String {
        var c = URLComponents()
        c.scheme = url.scheme?.lowercased()
        c.host = url.host
        c.port = url.port
        return c.string ?? ""
    }

    static func target(of url: URL) -> String {
        guard let c = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.path }
        let path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        return c.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
    }
}
