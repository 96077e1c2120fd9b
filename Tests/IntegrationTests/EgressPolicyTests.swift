import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// The operator fetches only URLs its egress policy allows, checked after DNS resolution and on
/// every redirect hop; a refused one is `Ready=False URLNotAllowed` naming the host, never the
/// path or query, and the server behind it receives nothing. Run as the operator binary with
/// its flags, against the real API server and a loopback server that records what it gets.
@Suite struct UserURLEgress {
    func operatorArgs(_ plane: TestControlPlane, _ ns: String, _ extra: [String]) -> [String] {
        ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--leader-election-namespace", ns, "--leader-elect=false"] + extra
    }

    func flink(_ name: String, _ jobManagerURL: String, jarURL: String? = nil) -> ScheduledJob {
        ScheduledJob(metadata: ObjectMeta(name: name), spec: ScheduledJobSpec(
            schedule: "*/2 * * * * *", flinkJob: FlinkJobSpec(jobManagerURL: jobManagerURL, jarURL: jarURL ?? jobManagerURL + "/job.jar?token=QUERY-SECRET", entryClass: "dev.sked.Job")))
    }

    /// Waits until every named ScheduledJob's Ready is False with URLNotAllowed and a message containing its text.
    func expectRefused(_ f: OperatorFixture, _ op: OperatorProcess, _ expected: [String: String]) async throws {
        var last: [String: String] = [:]
        let all = await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
            for (name, text) in expected {
                let ready = try? await f.scheduledJobs.get(name).status?.conditions?[type: "Ready"]
                last[name] = "\(ready?.status ?? "-") \(ready?.reason ?? "-"): \(ready?.message ?? "-")"
                guard ready?.status == "False", ready?.reason == URLNotAllowed.reason, ready?.message.contains(text) == true else { return false }
            }
            return true
        }
        #expect(all, "\(last)\n\(op.log.suffix(3000))")
        for (name, _) in expected {
            let ready = try await f.scheduledJobs.get(name).status?.conditions?[type: "Ready"]
            #expect(ready?.message.contains("SECRET") == false, "the path or query is not repeated: \(ready?.message ?? "")")
            #expect(try await f.events(for: name).contains { $0.type == "Warning" && $0.reason == URLNotAllowed.reason })
            // Stalled, not Reconciling: GitOps tools show it as needing a change, not as progress.
            let conditions = try await f.scheduledJobs.get(name).status?.conditions
            #expect(conditions?[type: "Stalled"]?.status == "True" && conditions?[type: "Reconciling"]?.status != "True", "\(String(describing: conditions))")
        }
    }

    @Test func byDefaultLoopbackLinkLocalAndNamesResolvingToThemAreRefused() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        try await OperatorFixture.with("egress-default") { f in
            let op = try OperatorProcess(arguments: operatorArgs(plane, f.namespace, []), allowLoopbackURLs: false)
            defer { Task { await op.stop() } }
            #expect(await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }, "\(op.log)")
            for sj in [
                flink("loopback", server.baseURL + "/PATH-SECRET"),
                flink("by-name", "http://localhost:\(server.port)/PATH-SECRET"),
                // inet_aton's hex form of 127.0.0.1: resolved as the connection would.
                flink("hex-form", "http://0x7f.1:\(server.port)/PATH-SECRET"),
                flink("metadata", "http://169.254.169.254/latest/meta-data/PATH-SECRET"),
                flink("ipv6", "http://[::1]:\(server.port)/PATH-SECRET"),
            ] { _ = try await f.scheduledJobs.create(sj) }
            try await expectRefused(f, op, [
                "loopback": "URL host 127.0.0.1 is not allowed: inside the denied range 127.0.0.0/8",
                "by-name": "URL host localhost is not allowed: resolves to ",
                "hex-form": "URL host 0x7f.1 is not allowed: resolves to 127.0.0.1, which is inside the denied range 127.0.0.0/8",
                "metadata": "URL host 169.254.169.254 is not allowed: inside the denied range 169.254.0.0/16",
                "ipv6": "URL host ::1 is not allowed: inside the denied range ::1/128",
            ])
            #expect(server.requests.isEmpty, "a refused URL's server received \(server.requests.map(\.path))")
            #expect(op.log.contains("egress policy"), "the policy is logged at start")
        }
    }

    @Test func allowedRangesTheAPIServerAndARedirectIntoADeniedRange() async throws {
        let plane = try await TestControlPlane.shared()
        let cluster = try await TestFlinkCluster.shared()
        try await CRDInstaller.shared.install(plane)
        let apiServer = try plane.admin.server
        let redirecting = try RecordingHTTPServer(redirectTo: "http://127.0.0.2:9")
        defer { redirecting.stop() }
        try await OperatorFixture.with("egress-allowed") { f in
            let op = try OperatorProcess(arguments: operatorArgs(plane, f.namespace, [
                "--allowed-url-cidrs", "127.0.0.0/8", "--denied-url-cidrs", "127.0.0.2/32", "--flink-follow-redirects", "any",
            ]))
            defer { Task { await op.stop() } }
            #expect(await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }, "\(op.log)")
            _ = try await f.scheduledJobs.create(flink("api-server", apiServer))
            _ = try await f.scheduledJobs.create(flink("redirected", redirecting.baseURL))
            // The JobManager (real Flink, on loopback) is allowed; the JAR's host is not.
            _ = try await f.scheduledJobs.create(flink("jar-denied", cluster.url, jarURL: "http://127.0.0.2:9/job.jar?token=QUERY-SECRET"))
            let apiHost = try #require(URL(string: apiServer)?.host)
            try await expectRefused(f, op, [
                "api-server": "URL host \(apiHost) is not allowed: the Kubernetes API server's address",
                "redirected": "URL host 127.0.0.2 is not allowed: inside the denied range 127.0.0.2/32",
                "jar-denied": "URL host 127.0.0.2 is not allowed: inside the denied range 127.0.0.2/32",
            ])
            // The first hop was allowed (loopback, by the flag) and asked; the hop it pointed to was not.
            #expect(!redirecting.requests.isEmpty)
        }
    }
}
