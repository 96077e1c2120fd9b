import Foundation

/// Everything needed to talk to one API server: where, how to trust it, who we are.
public struct ClientConfiguration: Sendable, Hashable {
    public enum Authentication: Sendable, Hashable {
        case none
        case bearerToken(String)
        /// Re-read periodically: projected service-account tokens rotate.
        case bearerTokenFile(String)
        case basic(username: String, password: String)
        /// A credential plugin's token, cached until it expires and fetched again after a 401.
        case exec(ExecConfig)
    }

    /// `https://host:port`, without a trailing slash.
    public var server: String
    /// PEM bytes of the CA bundle to trust; nil means the system trust store.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// Name to verify the serving certificate against (and send as SNI) instead of the URL's host.
    public var tlsServerName: String?
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    public var authentication: Authentication
    /// The namespace of the current context (or the pod), `default` when none is set.
    public var namespace: String
    /// Client-side rate limit. Generous by default: the API server's own priority and
    /// fairness is the real limit, and a scheduler must not queue its own ticks.
    public var qps: Double = 1000
    public var burst: Int = 2000
    public var requestTimeout: Duration = .seconds(30)
    /// How often a token file is re-read.
    public var tokenRefreshInterval: Duration = .seconds(60)

    public init(
        server: String, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        authentication: Authentication = .none, namespace: String = "default"
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.authentication = authentication
        self.namespace = namespace
    }
}

extension ClientConfiguration: CustomStringConvertible {
    /// Safe to log: never includes credentials.
    public var description: String {
        let auth: String
        switch authentication {
        case .none: auth = "none"
        case .bearerToken: auth = "token"
        case .bearerTokenFile(let path): auth = "token file \(path)"
        case .basic(let user, _): auth = "basic (\(user))"
        case .exec(let e): auth = "exec plugin \((e.command as NSString).lastPathComponent)"
        }
        return "server \(server), namespace \(namespace), auth \(auth)\(insecureSkipTLSVerify ? ", TLS verification OFF" : "")"
    }
}
