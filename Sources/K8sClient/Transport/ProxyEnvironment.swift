import Foundation

/// HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or their lower-case forms) read as Go's net/http
/// reads them (golang.org/x/net/http/httpproxy), so a proxy set up for kubectl and other Go
/// tools behaves the same for sked: http:// URLs use HTTP_PROXY, https:// URLs HTTPS_PROXY
/// (a CONNECT tunnel, TLS end to end), and localhost, loopback addresses and NO_PROXY's
/// entries are reached directly. sked applies it to the URLs ScheduledJobs name (JobManagers,
/// JAR servers), never to the API server.
public struct ProxyEnvironment: Sendable, Equatable {
    /// A proxy server: plain HTTP (the only kind AsyncHTTPClient speaks for both http and
    /// CONNECT) or SOCKS5.
    public struct Proxy: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: Sendable, Hashable { case http, socks5 }
        public var kind: Kind
        public var host: String
        public var port: Int
        /// From the proxy URL's user-info; never printed.
        public var username: String?
        public var password: String?

        public var description: String { "\(kind == .http ? "http" : "socks5")://\(host):\(port)" }
    }

    public var http: Proxy?
    public var https: Proxy?
    private var noProxy: [Matcher]
    private var noProxyAll: Bool

    public static let none = ProxyEnvironment(http: nil, https: nil, noProxy: [], noProxyAll: false)

    private init(http: Proxy?, https: Proxy?, noProxy: [Matcher], noProxyAll: Bool) {
        self.http = http
        self.https = https
        self.noProxy = noProxy
        self.noProxyAll = noProxyAll
    }

    public init(environment: [String: String]) throws(ProxyEnvironmentError) {
        func value(_ name: String) -> (name: String, value: String)? {
            for key in [name, name.lowercased()] { if let v = environment[key], !v.isEmpty { return (key, v) } }
            return nil
        }
        var http: Proxy?
        var https: Proxy?
        if let (name, text) = value("HTTP_PROXY") { http = try Self.parseProxy(text, variable: name) }
        if let (name, text) = value("HTTPS_PROXY") { https = try Self.parseProxy(text, variable: name) }
        var matchers: [Matcher] = []
        var all = false
        for raw in (value("NO_PROXY")?.value ?? "").split(separator: ",") {
            let entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { all = true; break }
            matchers.append(Matcher(entry))
        }
        self.init(http: http, https: https, noProxy: matchers, noProxyAll: all)
    }

    /// The proxy for a request to `scheme://host:port`, nil for a direct connection.
    public func proxy(scheme: String, host: String, port: Int?) -> Proxy? {
        let scheme = scheme.lowercased()
        guard let proxy = scheme == "https" ? https : scheme == "http" ? http : nil else { return nil }
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = port ?? (scheme == "https" ? 443 : 80)
        if noProxyAll || host == "localhost" { return nil }
        let address = IPAddress(host)
        if address?.isLoopback == true { return nil }
        if noProxy.contains(where: { $0.matches(host: host, address: address, port: port) }) { return nil }
        return proxy
    }

    public func proxy(for url: URL) -> Proxy? {
        guard let scheme = url.scheme, let host = url.host else { return nil }
        return proxy(scheme: scheme, host: host, port: url.port)
    }

    /// Go's parseProxy: a value without a scheme is an http:// URL.
    static func parseProxy(_ text: String, variable: String) throws(ProxyEnvironmentError) -> Proxy {
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let c = URLComponents(string: withScheme), let scheme = c.scheme?.lowercased(), let host = c.host, !host.isEmpty else {
            throw ProxyEnvironmentError(variable: variable, reason: "not a proxy URL (want http://host:port)")
        }
        let kind: Proxy.Kind
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h": kind = .socks5
        case "https": throw ProxyEnvironmentError(variable: variable, reason: "an https:// proxy (TLS to the proxy itself) is not supported; use http://")
        default: throw ProxyEnvironmentError(variable: variable, reason: "unsupported proxy scheme \"\(scheme)\" (want http or socks5)")
        }
        let port = c.port ?? (kind == .http ? 80 : 1080)
        guard (1...65535).contains(port) else { throw ProxyEnvironmentError(variable: variable, reason: "port out of range") }
        return Proxy(kind: kind, host: host, port: port, username: c.user?.removingPercentEncoding, password: c.password?.removingPercentEncoding)
    }

    /// One NO_PROXY entry: a CIDR, an IP (optionally with a port) or a domain, which matches
    /// itself and its subdomains, or only subdomains with a leading "." or "*.".
    private enum Matcher: Sendable, Equatable {
        case cidr(IPNetwork)
        case ip(IPAddress, port: Int?)
        case domain(suffix: String, matchesItself: Bool, port: Int?)

        init(_ entry: String) {
            if entry.contains("/"), let network = IPNetwork(entry) {
                self = .cidr(network)
                return
            }
            var host = entry
            var port: Int?
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                let rest = host[host.index(after: close)...]
                if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
                host = String(host[host.index(after: host.startIndex)..<close])
            } else if host.filter({ $0 == ":" }).count == 1, let colon = host.lastIndex(of: ":"), let p = Int(host[host.index(after: colon)...]) {
                port = p
                host = String(host[..<colon])
            }
            if let ip = IPAddress(host) {
                self = .ip(ip, port: port)
                return
            }
            if host.hasPrefix("*") { host.removeFirst() }
            if host.hasPrefix(".") {
                self = .domain(suffix: host, matchesItself: false, port: port)
            } else {
                self = .domain(suffix: "." + host, matchesItself: true, port: port)
            }
        }

        func matches(host: String, address: IPAddress?, port: Int) -> Bool {
            switch self {
            case .cidr(let network):
                return address.map(network.contains) ?? false
            case .ip(let ip, let p):
                return address == ip && (p == nil || p == port)
            case .domain(let suffix, let matchesItself, let p):
                guard host.hasSuffix(suffix) || (matchesItself && host == suffix.dropFirst()) else { return false }
                return p == nil || p == port
            }
        }
    }
}

public struct ProxyEnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    public var reason: String
    public var description: String { "\(variable): \(reason)" }
}
