import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A transport to one origin that asks the egress policy before every request. Redirects are
/// followed hop by hop with a transport per origin (`RedirectingTransport`), so each hop is
/// checked too. Host names are resolved first and every address they resolve to must be
/// allowed: one internal address among public ones is refused.
///
/// Through a proxy, the proxy resolves the name and connects, so only an IP literal can be
/// checked here; the proxy's own policy governs the rest.
struct EgressGuardedTransport: HTTPTransport {
    let base: any HTTPTransport
    let host: String
    let port: Int
    let policy: EgressPolicy
    /// Nil: the host is not resolved here (a proxy connects to it).
    let resolve: HostResolver?

    /// An origin whose host cannot be read is refused, never let through unchecked.
    init(base: any HTTPTransport, origin: String, policy: EgressPolicy, resolve: HostResolver?) {
        let url = URL(string: origin)
        let host = url?.host ?? ""
        self.base = base
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = url?.port ?? (url?.scheme?.lowercased() == "https" ? 443 : 80)
        self.policy = policy
        self.resolve = resolve
    }

    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        try await check()
        return try await base.send(request, timeout: timeout)
    }

    func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse {
        try await check()
        return try await base.stream(request, timeout: timeout)
    }

    func shutdown() async throws { try await base.shutdown() }

    private func check() async throws {
        guard !host.isEmpty else { throw URLNotAllowed(unreadableHost: ()) }
        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else if let resolve {
            // A name that does not resolve is left to the connection, which reports it as such.
            addresses = (try? await resolve(host)) ?? []
        } else {
            return
        }
        for address in addresses {
            if case .denied(let why) = policy.verdict(for: address, port: port) {
                throw URLNotAllowed(host: host, address: address, why: why)
            }
        }
    }
}

/// The addresses a host name resolves to.
public typealias HostResolver = @Sendable (_ host: String) async throws -> [IPAddress]

public enum SystemResolver {
    /// getaddrinfo, as the connection itself resolves (numeric forms such as `0x7f.1` included),
    /// on NIO's thread pool: it blocks, and must not hold one of the few cooperative threads.
    public static let resolve: HostResolver = { host in
        try await NIOThreadPool.singleton.runIfActive { try addresses(of: host) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "cannot resolve the host name (getaddrinfo \(code))" }
    }

    static func addresses(of host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, nil, &hints, &result)
        guard code == 0 else { throw Failure(code: code) }
        defer { freeaddrinfo(result) }
        var out: [IPAddress] = []
        var next = result
        while let info = next {
            if let sa = info.pointee.ai_addr {
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    let bytes = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) } }
                    if let a = IPAddress(bytes: bytes) { out.append(a) }
                case AF_INET6:
                    let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) } }
                    if let a = IPAddress(bytes: bytes) { out.append(a.unmapped) }
                default: break
                }
            }
            next = info.pointee.ai_next
        }
        return Array(Set(out))
    }
}
