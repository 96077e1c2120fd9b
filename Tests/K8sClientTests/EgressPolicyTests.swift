import Foundation
import K8sTestSupport
import Testing

@testable import K8sClient

/// Which addresses a user's URL may reach.
@Suite struct EgressPolicyRules {
    func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    func net(_ s: String) -> IPNetwork { IPNetwork(s)! }
    let apiServer = EgressPolicy.Endpoint(address: IPAddress("10.96.0.1")!, port: 443)

    @Test(arguments: ["169.254.169.254", "169.254.0.1", "127.0.0.1", "127.8.9.10", "::1", "0.0.0.0", "::", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:169.254.169.254"])
    func theDefaultsDenyMetadataLoopbackAndUnspecified(address: String) {
        guard case .denied(let why) = EgressPolicy().verdict(for: ip(address), port: 80) else {
            Issue.record("\(address) is allowed by default")
            return
        }
        #expect(why.hasPrefix("inside the denied range "))
    }

    @Test(arguments: ["10.1.2.3", "192.168.0.10", "8.8.8.8", "fd12::1", "2001:db8::1", "169.255.0.1", "128.0.0.1"])
    func everythingElseIsAllowedWithoutAnAllowList(address: String) {
        #expect(EgressPolicy().verdict(for: ip(address), port: 8081) == .allowed)
    }

    @Test func theMostSpecificRangeDecidesAndAnAllowedRangeWinsATie() {
        let policy = EgressPolicy(allowed: [net("127.0.0.0/8"), net("10.0.0.0/8")], denied: [net("10.1.0.0/16"), net("10.0.0.0/8")])
        #expect(policy.verdict(for: ip("127.0.0.1"), port: 80) == .allowed)   // undoes the default for loopback
        #expect(policy.verdict(for: ip("10.2.0.1"), port: 80) == .allowed)    // tie: allowed
        #expect(policy.verdict(for: ip("10.1.0.1"), port: 80) == .denied("inside the denied range 10.1.0.0/16"))
        #expect(policy.verdict(for: ip("169.254.169.254"), port: 80) == .denied("inside the denied range 169.254.0.0/16"))
        // An allow list: what is in no range is refused.
        #expect(policy.verdict(for: ip("8.8.8.8"), port: 80) == .denied("outside every allowed range (127.0.0.0/8, 10.0.0.0/8)"))
        // A narrower allowed range inside a denied one opens just that.
        let metadata = EgressPolicy(allowed: [net("169.254.10.0/24")])
        #expect(metadata.verdict(for: ip("169.254.10.7"), port: 80) == .allowed && metadata.verdict(for: ip("169.254.169.254"), port: 80) != .allowed)
    }

    @Test func theAPIServerIsRefusedAtItsPortWhateverIsAllowed() {
        let policy = EgressPolicy(allowed: [net("0.0.0.0/0")], deniedEndpoints: [apiServer])
        #expect(policy.verdict(for: ip("10.96.0.1"), port: 443) == .denied("the Kubernetes API server's address"))
        #expect(policy.verdict(for: ip("10.96.0.1"), port: 8081) == .allowed)
    }

    @Test func unrestrictedAllowsAll() {
        #expect(EgressPolicy.unrestricted.verdict(for: ip("169.254.169.254"), port: 80) == .allowed)
    }

    @Test func networksParseAsCIDROrBareAddress() {
        #expect(IPNetwork("10.0.0.0/8")?.prefix == 8 && IPNetwork("fd00::/8")?.prefix == 8)
        #expect(IPNetwork("192.0.2.1")?.prefix == 32 && IPNetwork("::1")?.prefix == 128)
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "example.com/8", "", "10.0.0.0/8/8", "10.0.0.0/٨"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func theRefusalNamesTheHostAndAddressNeverThePath() {
        let named = URLNotAllowed(host: "metadata.internal", address: ip("169.254.169.254"), why: "inside the denied range 169.254.0.0/16")
        #expect(named.message == "URL host metadata.internal is not allowed: resolves to 169.254.169.254, which is inside the denied range 169.254.0.0/16 (operator flags --allowed-url-cidrs / --denied-url-cidrs)")
        let literal = URLNotAllowed(host: "127.0.0.1", address: ip("127.0.0.1"), why: "inside the denied range 127.0.0.0/8")
        #expect(literal.message == "URL host 127.0.0.1 is not allowed: inside the denied range 127.0.0.0/8 (operator flags --allowed-url-cidrs / --denied-url-cidrs)")
    }
}

/// The policy applied on the way out: before every request and every redirect hop, after
/// resolving the host name as the connection would.
@Suite struct EgressGuardedTransports {
    static let table: [String: [String]] = [
        "jm.example": ["10.0.0.5"],
        "files.example": ["203.0.113.9"],
        "metadata.example": ["169.254.169.254"],
        "mixed.example": ["203.0.113.10", "127.0.0.1"],
    ]
    let resolve: HostResolver = { host in (Self.table[host] ?? []).compactMap(IPAddress.init) }

    func transports(_ policy: EgressPolicy, redirects: RedirectPolicy = .any, _ answer: @escaping @Sendable (String, TransportRequest) -> TransportResponse)
        -> (HTTPTransports, LockedBox<[String]>) {
        let reached = LockedBox<[String]>([])
        let transports = HTTPTransports(redirects: redirects, egress: policy, resolver: { _ in resolve }) { origin in
            ScriptedTransport { request in
                reached.withLock { $0.append(origin + request.target) }
                return .response(answer(origin, request))
            }
        }
        return (transports, reached)
    }

    func get(_ transports: HTTPTransports, _ url: String) async throws -> TransportResponse {
        let (transport, target) = transports.transport(for: URL(string: url)!)
        return try await transport.send(TransportRequest(method: "GET", target: target, headers: ["X-Api-Key": "k"]), timeout: .seconds(5))
    }

    @Test func aNameThatResolvesIntoADeniedRangeIsRefusedBeforeAnythingIsSent() async throws {
        let (transports, reached) = transports(EgressPolicy()) { _, _ in TransportResponse(status: 200, body: Data()) }
        await #expect(throws: URLNotAllowed(host: "metadata.example", address: IPAddress("169.254.169.254")!, why: "inside the denied range 169.254.0.0/16")) {
            _ = try await get(transports, "http://metadata.example/latest/meta-data/iam?token=SECRET")
        }
        // One internal address among public ones is enough.
        await #expect(throws: URLNotAllowed.self) { _ = try await get(transports, "http://mixed.example/x.jar") }
        await #expect(throws: URLNotAllowed.self) { _ = try await get(transports, "http://[::ffff:127.0.0.1]:8081/jars") }
        #expect(reached.value.isEmpty)
        #expect(try await get(transports, "http://jm.example:8081/overview").status == 200)
    }

    @Test func everyRedirectHopIsCheckedAgain() async throws {
        let (transports, reached) = transports(EgressPolicy()) { origin, request in
            origin == "http://files.example"
                ? TransportResponse(status: 302, headers: ["location": "http://metadata.example/latest/meta-data/?k=SECRET"], body: Data())
                : TransportResponse(status: 200, body: Data())
        }
        await #expect {
            _ = try await get(transports, "http://files.example/job.jar")
        } throws: { error in
            let text = "\(error)"
            return error is URLNotAllowed && text.contains("metadata.example") && !text.contains("SECRET") && !text.contains("meta-data")
        }
        #expect(reached.value == ["http://files.example/job.jar"])
    }

    @Test func behindAProxyOnlyIPLiteralsAreChecked() async throws {
        let reached = LockedBox<[String]>([])
        let transports = HTTPTransports(egress: EgressPolicy(), resolver: { _ in nil }) { origin in
            ScriptedTransport { request in
                reached.withLock { $0.append(origin) }
                return .response(TransportResponse(status: 200, body: Data()))
            }
        }
        #expect(try await get(transports, "http://metadata.example/").status == 200)
        await #expect(throws: URLNotAllowed.self) { _ = try await get(transports, "http://169.254.169.254/") }
        #expect(reached.value == ["http://metadata.example"])
    }

    @Test func theSystemResolverReadsNumericFormsAsTheConnectionWould() async throws {
        // glibc's getaddrinfo takes inet_aton's forms: hex, octal, a single number.
        for form in ["0x7f.1", "2130706433", "0177.0.0.1", "localhost"] {
            let addresses = try await SystemResolver.resolve(form)
            #expect(addresses.contains(IPAddress("127.0.0.1")!), "\(form) resolved to \(addresses)")
            #expect(addresses.allSatisfy { EgressPolicy().verdict(for: $0, port: 80) != .allowed }, "\(form)")
        }
    }
}
