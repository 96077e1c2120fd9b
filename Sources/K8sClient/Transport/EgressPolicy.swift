/// Which addresses the operator may fetch a user's URL from (a JobManager, a JAR server).
///
/// Any ScheduledJob author picks these URLs, and the operator fetches them from its own network
/// position: without a policy, `jarURL: http://169.254.169.254/…` reads a cloud's instance
/// metadata (credentials included) and `jobManagerURL` probes whatever the operator's pod can
/// reach (kube-controller-manager's CVE-2020-8555 was this). So some ranges are always denied
/// unless explicitly allowed: link-local (cloud metadata), the pod's own loopback and the
/// unspecified addresses, which Linux connects to loopback. The API server's own address and
/// port is denied whatever is allowed.
///
/// An address is decided by the most specific range that holds it (the longest prefix; an
/// allowed range wins a tie, so `--allowed-url-cidrs=127.0.0.0/8` undoes the default for
/// loopback). An address in no range is allowed when no allowed range is configured, and
/// refused when some are (an allow list).
public struct EgressPolicy: Sendable, Hashable {
    public var allowed: [IPNetwork]
    /// The defaults and the configured ranges.
    public var denied: [IPNetwork]
    /// Addresses and ports always refused: the API server's.
    public var deniedEndpoints: [Endpoint]

    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var address: IPAddress
        public var port: Int
        public init(address: IPAddress, port: Int) {
            self.address = address
            self.port = port
        }
        public var description: String { address.bytes.count == 4 ? "\(address):\(port)" : "[\(address)]:\(port)" }
    }

    /// Denied unless allowed: link-local (169.254.169.254 is AWS, GCP and Azure instance
    /// metadata; fd00:ec2::254 is AWS's over IPv6), loopback, and the unspecified addresses.
    public static let defaultDenied: [IPNetwork] = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128"]
        .map { IPNetwork($0)! }

    /// No check at all (tests of other things, embedders that filter egress themselves).
    public static let unrestricted = EgressPolicy(allowed: [], denied: [], deniedEndpoints: [], includingDefaults: false)

    public init(allowed: [IPNetwork] = [], denied: [IPNetwork] = [], deniedEndpoints: [Endpoint] = [], includingDefaults: Bool = true) {
        self.allowed = allowed
        self.denied = (includingDefaults ? Self.defaultDenied : []) + denied
        self.deniedEndpoints = deniedEndpoints
    }

    public enum Verdict: Sendable, Hashable {
        case allowed
        /// Why, naming the range or the endpoint that refuses it.
        case denied(String)
    }

    public func verdict(for address: IPAddress, port: Int) -> Verdict {
        if deniedEndpoints.contains(Endpoint(address: address, port: port)) {
            return .denied("the Kubernetes API server's address")
        }
        let allow = allowed.filter { $0.contains(address) }.max { $0.prefix < $1.prefix }
        let deny = denied.filter { $0.contains(address) }.max { $0.prefix < $1.prefix }
        switch (allow, deny) {
        case (let a?, let d?): return a.prefix >= d.prefix ? .allowed : .denied("inside the denied range \(d)")
        case (_?, nil): return .allowed
        case (nil, let d?): return .denied("inside the denied range \(d)")
        case (nil, nil): return allowed.isEmpty ? .allowed : .denied("outside every allowed range (\(allowed.map(\.description).joined(separator: ", ")))")
        }
    }
}

/// A user's URL the egress policy refuses. The message names the host and the address it
/// resolved to, never the URL's path or query (they may carry credentials).
public struct URLNotAllowed: Error, Sendable, Hashable, CustomStringConvertible {
    public static let reason = "URLNotAllowed"
    public let host: String
    public let message: String

    public init(host: String, address: IPAddress, why: String) {
        self.host = host
        let resolved = IPAddress(host) == address ? "" : " resolves to \(address), which is"
        message = "URL host \(host) is not allowed:\(resolved) \(why) (operator flags --allowed-url-cidrs / --denied-url-cidrs)"
    }

    init(unreadableHost: Void) {
        host = ""
        message = "URL host cannot be read, so it cannot be checked against the egress policy (operator flags --allowed-url-cidrs / --denied-url-cidrs)"
    }

    public var description: String { message }
}
