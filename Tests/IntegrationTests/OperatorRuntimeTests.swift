import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// The `sked operator` binary as it runs in production: endpoints, logs, leader election, shutdown.
@Suite(.serialized) struct OperatorRuntime {
    func operatorArgs(_ plane: TestControlPlane, _ ns: String, extra: [String] = []) -> [String] {
        ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--leader-election-namespace", ns] + extra
    }

    @Test func metricsReadinessAndJSONLogsFromARunningOperator() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await OperatorFixture.with("runtime") { f in
            let op = try OperatorProcess(arguments: operatorArgs(plane, f.namespace))
            defer { Task { await op.stop() } }
            let ready = await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }
            #expect(ready, "\(op.log)")
            #expect(try op.get("/healthz", port: op.healthPort) == (200, "ok"))

            _ = try await f.create("metered", schedule: "* * * * * *")
            _ = try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "metered").count >= 2 }
            let job = try #require(try await f.childJobs(of: "metered").first)
            try await f.finish(job, succeeded: true)
            let counted = await eventually(timeout: .seconds(60)) {
                let body = (try? op.get("/metrics", port: op.metricsPort).1) ?? ""
                return body.contains(#"sked_runs_finished_total{namespace="\#(f.namespace)",scheduledjob="metered",target="job",result="Succeeded"}"#)
            }
            #expect(counted)
            let (code, metrics) = try op.get("/metrics", port: op.metricsPort)
            #expect(code == 200)
            for name in ["sked_runs_started_total", "sked_schedule_lag_seconds_bucket", "sked_reconcile_duration_seconds_bucket",
                         "sked_kube_requests_total", "sked_workqueue_depth", "sked_leader 1", "sked_build_info"] {
                #expect(metrics.contains(name), "missing \(name)")
            }
            #expect(metrics.contains(#"trigger="schedule""#))
            // Per-ScheduledJob gauges, from the cached status: the success the API server holds.
            let succeeded = try #require(try await f.scheduledJobs.get("metered").status?.lastSuccessfulTime)
            let gauges = await eventually(timeout: .seconds(60)) {
                let body = (try? op.get("/metrics", port: op.metricsPort).1) ?? ""
                return body.contains(#"sked_scheduledjob_last_success_timestamp_seconds{namespace="\#(f.namespace)",name="metered"} \#(String(format: "%.3f", succeeded.timeIntervalSince1970))"#)
                    && body.contains(#"sked_scheduledjob_info{namespace="\#(f.namespace)",name="metered",phase="#)
                    && body.contains(#"ready="True",reason="Scheduled",suspended="false"} 1"#)
                    && body.contains(#"sked_scheduledjob_next_schedule_timestamp_seconds{namespace="\#(f.namespace)",name="metered"}"#)
            }
            #expect(gauges, "\((try? op.get("/metrics", port: op.metricsPort).1) ?? "")")
            #expect(!metrics.contains("metered-1"), "run names must not be metric labels")

            let lines = op.log.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count >= 3)
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["level"] != nil && object?["msg"] != nil && object?["ts"] != nil, "not a JSON log line: \(line)")
            }
            let started = lines.first { $0.contains("started run") }
            #expect(started?.contains(#""name":"metered""#) == true && started?.contains(#""namespace":"\#(f.namespace)""#) == true && started?.contains("reconcileID") == true, "\(started ?? "no 'started run' line")")
            #expect(!op.log.contains("admintoken"), "the token leaked into the logs")

            // A deleted ScheduledJob's series go with it.
            try await f.scheduledJobs.delete("metered")
            #expect(await eventually(timeout: .seconds(60)) {
                let body = (try? op.get("/metrics", port: op.metricsPort).1) ?? #"scheduledjob="metered""#
                return !body.contains(#"scheduledjob="metered""#) && !body.contains(#"name="metered""#) && body.contains("sked_schedule_lag_seconds_bucket")
            })

            op.signal(SIGTERM)
            #expect(await op.waitForExit(timeout: .seconds(15)) == 0)
            #expect(op.log.contains("released leadership"))
        }
    }

    @Test func invalidConfigurationFailsAtStartWithOneLineAndExitTwo() async throws {
        for args in [["--workers", "0"], ["--graceful-shutdown-timeout", "soon"], ["--metrics-bind-address", "nowhere"],
                     ["--leader-election-lease-duration", "5s", "--leader-election-renew-deadline", "10s"], ["--default-time-zone", "Moon/Base"]] {
            let (status, out) = try TestProcess.run(OperatorProcess.binary, ["operator", "--kubeconfig", try await TestControlPlane.shared().adminKubeconfig] + args)
            #expect(status == 2, "\(args): \(out)")
            #expect(out.split(separator: "\n").count == 1, "\(args): \(out)")
            #expect(out.hasPrefix("sked: error: "))
        }
    }

    @Test func theStandbyTakesOverWhenTheLeaderIsKilledWithoutDoubleOrLostTicks() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await OperatorFixture.with("failover") { f in
            let fast = ["--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s", "--leader-election-retry-period", "500ms"]
            let a = try OperatorProcess(arguments: operatorArgs(plane, f.namespace, extra: fast))
            defer { Task { await a.stop() } }
            _ = await eventually(timeout: .seconds(60)) { a.log.contains("became leader") }
            let b = try OperatorProcess(arguments: operatorArgs(plane, f.namespace, extra: fast))
            defer { Task { await b.stop() } }
            _ = await eventually(timeout: .seconds(60)) { (try? b.get("/readyz", port: b.healthPort).0) == 200 }
            #expect(!b.log.contains("became leader"))
            let standbyMetrics = try b.get("/metrics", port: b.metricsPort).1
            #expect(standbyMetrics.contains("# TYPE sked_scheduledjob_info gauge") && !standbyMetrics.contains("sked_scheduledjob_info{"),
                    "only the replica that reconciles reports per-ScheduledJob gauges")

            _ = try await f.create("ha", schedule: "*/2 * * * * *") { $0.startingDeadlineSeconds = 30 }
            _ = try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "ha").count >= 2 }
            a.signal(SIGKILL)
            let killedAt = ContinuousClock.now
            // The lease (4 s) expires, then the standby's next try takes it: about 4.5 s when the
            // machine is idle, longer when it is loaded (the takeover time is measured by the
            // fault-injection suite, not bounded here).
            let tookOver = await eventually(timeout: .seconds(60)) { b.log.contains("became leader") }
            #expect(tookOver)
            let takeover = killedAt.duration(to: .now)
            let leading = Date()
            // Read once the status has caught up with the Jobs (a Job exists a moment before the
            // status that counts the ticks around it).
            let settled = try await eventually(timeout: .seconds(60)) {
                let a = try await f.tickAccounting(of: "ha")
                return a.times.filter { TimeInterval($0) > leading.timeIntervalSince1970 }.count >= 2 && a.times.count + a.missed == a.ticks
            }
            #expect(settled)

            let (times, _, missed, ticks) = try await f.tickAccounting(of: "ha")
            #expect(Set(times).count == times.count, "a tick produced two Jobs: \(times)")
            // Every tick is accounted for: a Job, or counted as missed while no leader was up
            // (the most recent tick inside the deadline is started, the ones before it are not).
            // How many are missed is not bounded here (a reconcile later than one interval on a
            // loaded machine skips ticks by design); the suite measures takeovers.
            #expect(times.count + missed == ticks, "jobs \(times), missed \(missed), takeover \(takeover)")
            #expect(missed < ticks)

            // The new leader's gauges come from the status the old one wrote: no reset on failover.
            #expect(await eventually(timeout: .seconds(60)) {
                let body = (try? b.get("/metrics", port: b.metricsPort).1) ?? ""
                let last = try? await f.scheduledJobs.get("ha").status?.lastScheduleTime
                return body.contains(#"sked_scheduledjob_info{namespace="\#(f.namespace)",name="ha""#)
                    && last.flatMap { $0 }.map { body.contains(#"sked_scheduledjob_last_schedule_timestamp_seconds{namespace="\#(f.namespace)",name="ha"} \#(String(format: "%.3f", $0.timeIntervalSince1970))"#) } == true
            })
        }
    }

    @Test func sigtermLeavesNoHalfMadeRunAndTheNextOperatorContinues() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await OperatorFixture.with("sigterm") { f in
            _ = try await f.create("drain", schedule: "* * * * * *")
            for round in 0..<2 {
                let op = try OperatorProcess(arguments: operatorArgs(plane, f.namespace))
                _ = await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }
                try await Task.sleep(for: .milliseconds(2500 + 300 * round))
                op.signal(SIGTERM)
                #expect(await op.waitForExit(timeout: .seconds(15)) == 0, "\(op.log)")
            }
            // Every Job is accounted for in status (active) and no tick has two Jobs.
            let jobs = try await f.childJobs(of: "drain")
            let status = try #require(try await f.scheduledJobs.get("drain").status)
            let active = Set(status.active?.map(\.name) ?? [])
            #expect(Set(jobs.compactMap(\.metadata.name)).isSubset(of: active), "jobs \(jobs.compactMap(\.metadata.name)) vs status \(active)")
            let times = jobs.compactMap { $0.metadata.annotations?["sked.dev/scheduled-time"] }
            #expect(Set(times).count == times.count)
            #expect(jobs.count >= 4)
        }
    }
}

/// OTLP/HTTP export of reconcile spans, received by a minimal collector stand-in.
@Suite struct OperatorTracing {
    static let receiver = #"""
    import http.server, sys
    port, out = int(sys.argv[1]), sys.argv[2]
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(out, "ab") as f:
                f.write(self.path.encode() + b"\n" + body + b"\n")
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *a): pass
    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
    """#

    @Test func reconcileAndAPISpansAreExportedWhenAnEndpointIsSet() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await OperatorFixture.with("tracing") { f in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let script = dir.appendingPathComponent("receiver.py")
            try Self.receiver.write(to: script, atomically: true, encoding: .utf8)
            let received = dir.appendingPathComponent("received.bin")
            let port = try freeLoopbackPort()
            let collector = try ChildProcess(
                executable: "/usr/bin/env", arguments: ["python3", script.path, String(port), received.path],
                environment: ProcessInfo.processInfo.environment, outputPath: dir.appendingPathComponent("receiver.log").path)
            defer {
                collector.signal(SIGKILL)
                _ = collector.waitForExit()
            }
            let op = try OperatorProcess(
                arguments: ["--kubeconfig", plane.adminKubeconfig, "--namespace", f.namespace, "--leader-elect=false"],
                environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(port)", "OTEL_BSP_SCHEDULE_DELAY": "300"])
            defer { Task { await op.stop() } }
            _ = try await f.create("traced", schedule: "* * * * * *")
            let exported = await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                let data = (try? Data(contentsOf: received)) ?? Data()
                return data.range(of: Data("reconcile ScheduledJob".utf8)) != nil && data.range(of: Data("kube POST".utf8)) != nil
            }
            #expect(exported, "\(op.log)")
            let data = (try? Data(contentsOf: received)) ?? Data()
            #expect(data.range(of: Data("/v1/traces".utf8)) != nil)
            #expect(data.range(of: Data(f.namespace.utf8)) != nil)
        }
    }
}
