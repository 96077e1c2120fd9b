import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// The real transport (AsyncHTTPClient, as the operator uses it for JobManagers and JAR
/// servers) against a loopback server that answers like a broken or hostile one: an answer
/// never makes the operator hold more than its limit, and no answer body or request header
/// value ever reaches an error message (which goes to status, Events and logs).
@Suite struct MisbehavingServers {
    func withServer(otherPaths: MisbehavingHTTPServer.Behaviour = .sane, _ body: (MisbehavingHTTPServer, FlinkRESTClient) async throws -> Void) async throws {
        let server = try MisbehavingHTTPServer(otherPaths: otherPaths)
        defer { server.stop() }
        let rest = FlinkRESTClient(transport: HTTPTransports.shared.transport(base: URL(string: server.baseURL)!), timeout: .seconds(60))
        try await body(server, rest)
    }

    /// What the server managed to write on `path` once the client has gone away.
    func sent(_ server: MisbehavingHTTPServer, _ path: String) async -> Int? {
        var n: Int?
        _ = await eventually(timeout: .seconds(60), interval: .milliseconds(100)) {
            n = server.bytesSent(path)
            return n != nil
        }
        return n
    }

    @Test func aHugeAnswerIsRefusedAfterReadingNoMoreThanTheLimit() async throws {
        try await withServer { server, rest in
            #expect(try await rest.state(of: "sane") == .running)  // the server itself works
            for path in ["huge", "huge-declared"] {
                let t = HTTPTransports.shared.transport(base: URL(string: server.baseURL)!)
                await #expect {
                    _ = try await t.send(TransportRequest(method: "GET", target: "/\(path)/status", maxResponseBytes: FlinkRESTClient.maxAnswerBytes), timeout: .seconds(60))
                } throws: {
                    let e = $0 as? KubernetesError
                    return e?.reason == .tooLarge && e?.message == "GET /\(path)/status: the answer is larger than 1 MiB, the limit for it" && e?.isTransient == false
                }
                // Of 300 MB, the client read at most its limit plus what socket buffers hold.
                let written = try #require(await sent(server, path))
                #expect(written < 32 * 1024 * 1024, "\(path): the server wrote \(written) bytes")
            }
        }
    }

    @Test func flinkCallsSayTheAnswerWasTooLargeAndTheOperatorKeepsGoing() async throws {
        try await withServer(otherPaths: .huge) { _, rest in
            // Every JobManager call goes through the limit: here the job status poll.
            await #expect { _ = try await rest.state(of: "job") } throws: {
                let e = $0 as? FlinkRESTError
                return e?.message == "JobManager unreachable: GET /jobs/job/status: the answer is larger than 1 MiB, the limit for it" && e?.isTransient == true
            }
        }
    }

    @Test func errorBodiesAreReadOnlyInPartAndNeverRepeated() async throws {
        try await withServer { server, _ in
            let t = HTTPTransports.shared.transport(base: URL(string: server.baseURL)!)
            // An error page that never ends: 64 KiB of it are read, then the connection is dropped.
            let endless = try await t.send(TransportRequest(method: "GET", target: "/endless-error"), timeout: .seconds(60))
            #expect(endless.status == 500 && endless.body.count == TransportRequest.maxErrorBodyBytes)
            let written = try #require(await sent(server, "endless-error"))
            #expect(written < 32 * 1024 * 1024, "the server wrote \(written) bytes")

        }
        try await withServer(otherPaths: .leaky) { _, rest in
            // A 5xx whose body holds a server's secrets: the status code is all a message says.
            await #expect { _ = try await rest.state(of: "job") } throws: {
                let e = $0 as? FlinkRESTError
                return e?.message == "HTTP 500" && !"\($0)".contains("hunter2") && !"\($0)".contains("TOPSECRET")
            }
        }
    }

    @Test func aRequestHeaderTheLibraryRefusesIsNotRepeatedInTheError() async throws {
        try await withServer { server, _ in
            let t = HTTPTransports.shared.transport(base: URL(string: server.baseURL)!)
            for value in ["TOPSECRET-PASSWORD\u{01}rest", "TOPSECRET-PASSWORD\r\nX-Injected: 1", "TOPSECRET\u{7F}"] {
                await #expect {
                    _ = try await t.send(TransportRequest(method: "GET", target: "/ok", headers: ["Authorization": value]), timeout: .seconds(30))
                } throws: {
                    let text = "\($0)"
                    return !text.contains("TOPSECRET") && ($0 as? KubernetesError)?.message.hasPrefix("GET /ok: ") == true
                }
            }
        }
    }

    @Test func aClosedPortSaysConnectionRefused() async throws {
        let port = try freeLoopbackPort()
        let t = HTTPTransports.shared.transport(base: URL(string: "http://127.0.0.1:\(port)")!)
        await #expect { _ = try await t.send(TransportRequest(method: "GET", target: "/x?token=TOPSECRET"), timeout: .seconds(30)) } throws: {
            let e = $0 as? KubernetesError
            return e?.message == "GET /x: connection refused" && e?.isTransient == true
        }
    }
}
