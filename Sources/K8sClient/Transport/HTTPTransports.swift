import AsyncHTTPClient
import Foundation
import Synchronization

/// Transports to arbitrary HTTP(S) servers by URL (Flink JobManagers, JAR downloads), as
/// opposed to the one API server of `KubernetesClient`. Production uses AsyncHTTPClient
/// (system trust roots, TLS verification on), through the proxy the environment names for
/// the origin, with redirects followed by a `RedirectPolicy`; tests script the answers per origin.
public struct HTTPTransports: Sendable {
    private let make: @Sendable (_ origin: String) -> any HTTPTransport

    /// `make` gives the transport for an origin (or a base URL); redirects are followed on
    /// top of it by `redirects`, and every hop goes only to addresses `egress` allows, with
    /// host names resolved by `resolver(origin)` (nil: not resolved here, as behind a proxy).
    public init(
        redirects: RedirectPolicy = .sameOrigin, egress: EgressPolicy = .unrestricted,
        resolver: @escaping @Sendable (_ origin: String) -> HostResolver? = { _ in SystemResolver.resolve },
        _ make: @escaping @Sendable (_ origin: String) -> any HTTPTransport
    ) {
        let guarded: @Sendable (String) -> any HTTPTransport = { origin in
            let transport = make(origin)
            guard egress != .unrestricted else { return transport }
            return EgressGuardedTransport(base: transport, origin: origin, policy: egress, resolve: resolver(origin))
        }
        self.make = { base in RedirectingTransport(base: base, policy: redirects, make: guarded) }
    }

    /// Direct connections only, redirects within an origin.
    public static let shared = HTTPTransports { AsyncHTTPClientTransport(client: directClient, baseURL: $0) }

    /// Each origin through the proxy `proxies` chooses for it, or directly, and only to
    /// addresses `egress` allows (asked again on every redirect hop). `resolve` is how host
    /// names are resolved for that check (the system's resolver; a fixed table in tests).
    public static func external(proxies: ProxyEnvironment, redirects: RedirectPolicy = .sameOrigin, egress: EgressPolicy = .unrestricted, resolve: @escaping HostResolver = SystemResolver.resolve) -> HTTPTransports {
        let clients = [proxies.http, proxies.https].compactMap { $0 }.reduce(into: [ProxyEnvironment.Proxy: HTTPClient]()) { $0[$1] = client(proxy: $1) }
        let proxied: @Sendable (String) -> HTTPClient? = { origin in URL(string: origin).flatMap(proxies.proxy(for:)).flatMap { clients[$0] } }
        return HTTPTransports(redirects: redirects, egress: egress, resolver: { proxied($0) == nil ? resolve : nil }) { origin in
            AsyncHTTPClientTransport(client: proxied(origin) ?? directClient, baseURL: origin)
        }
    }

    private static let directClient = makeClient(proxy: nil)
    /// One client per proxy for the whole process: AsyncHTTPClient clients must be shut down
    /// before they are released, and these live as long as the process.
    private static let proxiedClients = Mutex<[ProxyEnvironment.Proxy: HTTPClient]>([:])

    private static func client(proxy: ProxyEnvironment.Proxy) -> HTTPClient {
        proxiedClients.withLock { clients in
            if let existing = clients[proxy] { return existing }
            let made = makeClient(proxy: proxy)
            clients[proxy] = made
            return made
        }
    }

    /// Unlike `HTTPClient.shared` these do not retry a refused connection until the request's
    /// deadline: a JobManager that is down is reported at once, not after the whole request timeout.
    private static func makeClient(proxy: ProxyEnvironment.Proxy?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        // RedirectingTransport follows them, by its policy.
        configuration.redirectConfiguration = .disallow
        if let proxy {
            switch proxy.kind {
            case .http:
                let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
                configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
            case .socks5:
                configuration.proxy = .socksServer(host: proxy.host, port: proxy.port)
            }
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

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
        // Percent-encoded, so an IPv6 literal keeps its brackets (`url.host` drops them, and
        // URLComponents then refuses the host).
        c.percentEncodedHost = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedHost ?? url.host
        c.port = url.port
        return c.string ?? ""
    }

    static func target(of url: URL) -> String {
        guard let c = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.path }
        let path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        return c.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
    }
}
