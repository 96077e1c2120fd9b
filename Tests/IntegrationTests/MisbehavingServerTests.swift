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
                    let e = $0 as? TransportError
                    return e?.kind == .tooLarge(status: 200, limit: FlinkRESTClient.maxAnswerBytes) && e?.message == "GET /\(path)/status: the answer is larger than 1 MiB, the limit for it"
                        && e.map { KubernetesError($0).isTransient } == false
                }
                // Of 300 MB, the client read at most its limit plus what socket buffers hold.
                let written = try #require(await sent(server, path))
                #expect(written < 32 * 1024 * 1024, "\(path): the server wrote \(written) bytes")
            }
        }
    }

    /// A HEAD answer announces what a GET would get, with no body: a JAR larger than any
    /// answer limit is still looked at (and then refused by the JAR limit, not by this).
    @Test func aHeadAnswersLengthIsNotABody() async throws {
        try await withServer { server, _ in
            let t = HTTPTransports.shared.transport(base: URL(string: server.baseURL)!)
            let head = try await t.send(TransportRequest(method: "HEAD", target: "/huge-declared/job.jar", maxResponseBytes: 1024), timeout: .seconds(30))
            #expect(head.status == 200 && head.headers["content-length"] == "\(MisbehavingHTTPServer.hugeBytes)" && head.body.isEmpty)
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
                    return !text.contains("TOPSECRET") && ($0 as? TransportError)?.message.hasPrefix("GET /ok: ") == true
                }
            }
        }
    }

    @Test func aClosedPortSaysConnectionRefused() async throws {
        let port = try freeLoopbackPort()
        let t = HTTPTransports.shared.transport(base: URL(string: "http://127.0.0.1:\(port)")!)
        await #expect { _ = try await t.send(TransportRequest(method: "GET", target: "/x?token=TOPSECRET"), timeout: .seconds(30)) } throws: {
            let e = $0 as? TransportError
            return e?.message == "GET /x: connection refused" && e?.kind == .connection
        }
    }
}

/// The same through the whole operator, on the real API server: ScheduledJobs whose JobManager
/// misbehaves or whose header Secret holds a value HTTP cannot carry each say what is wrong on
/// their own `Ready` condition, a healthy ScheduledJob beside them keeps running, and no
/// Secret value or server body ever appears in an object, an Event or the log.
@Suite struct TenantInputNeverLeaks {
    @Test func misbehavingJobManagersAndBadSecretsAreReportedWithoutTheirContent() async throws {
        let sane = try MisbehavingHTTPServer(otherPaths: .sane)
        let leaky = try MisbehavingHTTPServer(otherPaths: .leaky)
        let huge = try MisbehavingHTTPServer(otherPaths: .huge)
        defer { [sane, leaky, huge].forEach { $0.stop() } }
        let lines = CapturingLogHandler.Lines()
        try await OperatorFixture.with("leaks") { f in
            _ = try await f.client.api(Secret.self, namespace: f.namespace).create(Secret(
                metadata: ObjectMeta(name: "flink-auth", labels: [FlinkTarget.headersSecretLabel: "true"]), data: ["Authorization": Data("TOPSECRET-PASSWORD\u{01}rest".utf8)]))
            func flink(_ name: String, _ server: MisbehavingHTTPServer, secret: Bool = false) async throws {
                var job = FlinkJobSpec(jobManagerURL: server.baseURL, jarURL: server.baseURL + "/job.jar", entryClass: "dev.sked.Job")
                if secret { job.headersSecretRef = SecretReference(name: "flink-auth") }
                _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: name), spec: ScheduledJobSpec(schedule: "*/2 * * * * *", flinkJob: job)))
            }
            try await f.running(logger: .capturing("sked", into: lines)) {
                _ = try await f.create("steady", schedule: "*/2 * * * * *")
                try await flink("bad-header", sane, secret: true)
                try await flink("leaky", leaky)
                try await flink("huge", huge)
                func ready(_ name: String, _ reason: String, _ text: String) async throws -> Bool {
                    await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
                        guard let c = try? await f.scheduledJobs.get(name).status?.conditions?[type: "Ready"] else { return false }
                        return c.status == "False" && c.reason == reason && c.message.contains(text)
                    }
                }
                #expect(try await ready("bad-header", "RunStartFailed", #"the value of key "Authorization" of Secret flink-auth is not a valid HTTP header value"#))
                #expect(try await ready("leaky", "FlinkUnreachable", "HTTP 500"))
                #expect(try await ready("huge", "FlinkUnreachable", "the answer is larger than 1 MiB"))
                // The healthy ScheduledJob kept its schedule meanwhile.
                #expect(await eventually(timeout: .seconds(60)) { (try? await f.childJobs(of: "steady").count) ?? 0 >= 3 })
            }
            let objects = try await f.scheduledJobs.list().items.map { String(decoding: try KubernetesJSON.encode($0), as: UTF8.self) }
            let events = try await f.client.api(Event.self, namespace: f.namespace).list().items.map { "\($0.reason ?? "") \($0.message ?? "")" }
            #expect(events.contains { $0.hasPrefix("FlinkUnreachable") })
            for text in objects + events + lines.all {
                #expect(!text.contains("TOPSECRET") && !text.contains("hunter2"), "\(text)")
            }
            #expect(lines.all.contains { $0.contains("run rejected") })  // the log was captured
        }
    }
}

/// Twenty ScheduledJobs whose JobManager accepts connections and never answers (each call
/// waits out the 30 s request timeout) cannot hold every worker: a Job ScheduledJob beside
/// them keeps starting its runs on time.
@Suite struct SlowJobManagersDoNotStarveOthers {
    @Test func aJobScheduledJobKeepsItsLagBesideTwentyTarpits() async throws {
        let tarpit = try MisbehavingHTTPServer(otherPaths: .tarpit)
        defer { tarpit.stop() }
        try await OperatorFixture.with("tarpit") { f in
            try await f.running {
                for i in 1...20 {
                    _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: "tarpit-\(i)"), spec: ScheduledJobSpec(
                        schedule: "*/2 * * * * *", flinkJob: FlinkJobSpec(jobManagerURL: tarpit.baseURL, jarURL: tarpit.baseURL + "/job.jar", entryClass: "dev.sked.Job"))))
                }
                let since = Date()
                _ = try await f.create("steady", schedule: "*/2 * * * * *")
                // Ten runs, each started within a few seconds of its tick (the workers all waiting
                // on the tarpit would start them ~30 s late, or skip them).
                #expect(await eventually(timeout: .seconds(90)) { (try? await f.childJobs(of: "steady").count) ?? 0 >= 10 })
                let lags = try await f.childJobs(of: "steady").compactMap { job -> Double? in
                    guard let created = job.metadata.creationTimestamp, created > since,
                          let scheduled = job.metadata.annotations?["sked.dev/scheduled-time"].flatMap(RFC3339.parse) else { return nil }
                    return created.timeIntervalSince(scheduled)
                }
                print("tarpit: steady's run lag over \(lags.count) runs: max \(lags.max() ?? -1) s, mean \(lags.reduce(0, +) / Double(max(1, lags.count))) s")
                #expect(lags.count >= 10)
                #expect(lags.allSatisfy { $0 < 10 }, "\(lags)")
            }
        }
    }
}
