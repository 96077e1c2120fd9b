import Foundation
import K8sTestSupport
import Testing

@testable import K8sClient

/// Which redirects of a user's URL are followed, and what is sent on.
@Suite struct RedirectPolicyRules {
    let from = URL(string: "https://jm.example:8081/prefix/jars/upload?x=1")!
    let request = TransportRequest(method: "POST", target: "/prefix/jars/upload?x=1", headers: ["X-Api-Key": "k", "Accept": "application/json", "Content-Type": "application/json"], body: Data("{}".utf8))

    func follow(_ d: RedirectPolicy.Decision) -> (URL, TransportRequest)? {
        if case .follow(let url, let r) = d { return (url, r) } else { return nil }
    }

    @Test func withinTheOriginHeadersAndMethodAreKept() throws {
        for policy in [RedirectPolicy.sameOrigin, .any] {
            let (url, next) = try #require(follow(policy.decide(from: from, status: 307, location: "/prefix/v2/jars/upload", request: request)))
            #expect(url.absoluteString == "https://jm.example:8081/prefix/v2/jars/upload")
            #expect(next.target == "/prefix/v2/jars/upload" && next.method == "POST" && next.body == request.body && next.headers == request.headers)
        }
    }

    @Test func anotherHostIsRefusedByDefaultAndFollowedWithoutHeadersOnAny() throws {
        let location = "https://files.other.example/x.jar?sig=abc"
        #expect(RedirectPolicy.sameOrigin.decide(from: from, status: 302, location: location, request: request) == .refuse(
            "redirected (HTTP 302) to another host (files.other.example): not followed, so the request's headers stay with its own host (--flink-follow-redirects=any follows it without them)"))
        let (url, next) = try #require(follow(RedirectPolicy.any.decide(from: from, status: 302, location: location, request: request)))
        #expect(url.host == "files.other.example" && next.target == "/x.jar?sig=abc")
        // 302 after a POST: a GET without the body, and nothing configured for the first host.
        #expect(next.method == "GET" && next.body == nil && next.headers == ["Accept": "application/json"])
        // Another port is another origin.
        #expect(follow(RedirectPolicy.sameOrigin.decide(from: from, status: 301, location: "https://jm.example:9999/", request: request)) == nil)
    }

    @Test(arguments: RedirectPolicy.allCases)
    func neverToHTTPFromHTTPSNorToOtherSchemes(policy: RedirectPolicy) {
        #expect(policy.decide(from: from, status: 301, location: "http://jm.example:8081/prefix/x", request: request) == .refuse("redirected (HTTP 301) from https to http (jm.example): not followed"))
        #expect(policy.decide(from: from, status: 302, location: "file:///etc/passwd", request: request) == .refuse("redirected (HTTP 302) to a file: URL"))
    }

    @Test func noneFollowsNothing() {
        #expect(RedirectPolicy.none.decide(from: from, status: 308, location: "/prefix/elsewhere", request: request)
            == .refuse("redirected (HTTP 308) to jm.example: redirects are not followed (--flink-follow-redirects=none)"))
    }

    @Test func allHopsShareTheRequestsTimeout() async throws {
        let timeouts = LockedBox<[Duration]>([])
        let transports = HTTPTransports(redirects: .sameOrigin) { _ in
            ScriptedTimeoutTransport { timeout in
                timeouts.withLock { $0.append(timeout) }
                Thread.sleep(forTimeInterval: 0.02)
                return TransportResponse(status: 302, headers: ["location": "/next"], body: Data())
            }
        }
        let (transport, target) = transports.transport(for: URL(string: "http://jm:8081/first")!)
        _ = try? await transport.send(TransportRequest(method: "GET", target: target), timeout: .seconds(5))
        let seen = timeouts.value
        #expect(seen.count == 6 && seen.first! <= .seconds(5))
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $1 < $0 }, "each hop gets what is left, not the whole timeout again: \(seen)")
    }

    @Test func aLoopEndsAfterFiveHopsWithoutAnyHeaderInTheError() async throws {
        let loop = LoopingTransport()
        let transports = HTTPTransports(redirects: .sameOrigin) { _ in loop }
        let (transport, target) = transports.transport(for: URL(string: "http://jm:8081/overview?token=SECRET")!)
        await #expect {
            _ = try await transport.send(TransportRequest(method: "GET", target: target, headers: ["X-Api-Key": "k"]), timeout: .seconds(5))
        } throws: { error in
            "\(error)".contains("GET /overview: more than 5 redirects") && !"\(error)".contains("SECRET")
        }
        #expect(loop.count.withLock { $0 } == 6)
    }
}

import Synchronization

final class LoopingTransport: HTTPTransport {
    let count = Mutex(0)
    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        count.withLock { $0 += 1 }
        return TransportResponse(status: 302, headers: ["location": request.target], body: Data())
    }
    func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse { throw CancellationError() }
    func shutdown() async throws {}
}

/// Answers every request with `answer(timeout)`, so a test sees the timeout each hop got.
final class ScriptedTimeoutTransport: HTTPTransport {
    let answer: @Sendable (Duration) -> TransportResponse
    init(_ answer: @escaping @Sendable (Duration) -> TransportResponse) { self.answer = answer }
    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse { answer(timeout) }
    func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse { throw CancellationError() }
    func shutdown() async throws {}
}
