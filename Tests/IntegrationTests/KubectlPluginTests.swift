import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// The `sked` binary installed as `kubectl-sked`, driven through real kubectl.
@Suite struct KubectlPlugin {
    func kubectlSked(_ plane: TestControlPlane, _ args: [String], kubeconfig: String? = nil) throws -> (Int32, String) {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("sked-plugin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("kubectl-sked").path, withDestinationPath: OperatorProcess.binary)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["KUBECONFIG"] = kubeconfig ?? plane.adminKubeconfig
        return try TestProcess.run("/usr/bin/env", ["kubectl", "sked"] + args, environment: env)
    }

    /// `kubectl sked backfill`: every tick in the range once, named after it, progress in status;
    /// the same command again starts nothing.
    @Test func backfillRunsEachTickInTheRangeOnce() async throws {
        let plane = try await TestControlPlane.shared()
        try await OperatorFixture.with("plugin-backfill") { f in
            try await f.running {
                _ = try await f.create("hourly", schedule: "0 * * * *")
                let now = Date()
                let from = RFC3339.format(now.addingTimeInterval(-5 * 3600)), to = RFC3339.format(now.addingTimeInterval(-3600))
                let ticks = EffectiveSchedule(crons: [try ScheduleParser.parse("0 * * * *")], timeZone: .gmt).ticks(after: now.addingTimeInterval(-5 * 3600 - 1), before: now.addingTimeInterval(-3600 + 1), limit: 10)
                let (code, out) = try kubectlSked(plane, ["backfill", "hourly", "-n", f.namespace, "--from", from, "--to", to])
                #expect(code == 0 && out.contains("backfill requested"), "\(out)")
                let completed = try await eventually(timeout: .seconds(60)) { try await f.scheduledJobs.get("hourly").status?.backfill?.completed == true }
                let seen = try await f.scheduledJobs.get("hourly")
                #expect(completed, "\(String(describing: seen.status?.backfill)) \(seen.metadata.annotations ?? [:])")
                let names = try await f.childJobs(of: "hourly").compactMap(\.metadata.name).sorted()
                #expect(names == ticks.map { "hourly-\(Int64($0.timeIntervalSince1970))" }.sorted(), "\(names) for \(ticks)")
                #expect(try await f.childJobs(of: "hourly").allSatisfy { $0.metadata.annotations?["sked.dev/trigger"] == "backfill" })
                #expect(try await f.scheduledJobs.get("hourly").status?.backfill?.started == ticks.count)
                let (again, _) = try kubectlSked(plane, ["backfill", "hourly", "-n", f.namespace, "--from", from, "--to", to])
                #expect(again == 0)
                try await Task.sleep(for: .seconds(2))
                #expect(try await f.childJobs(of: "hourly").count == ticks.count, "the same request acts once")
                let (bad, badOut) = try kubectlSked(plane, ["backfill", "hourly", "-n", f.namespace, "--from", to, "--to", from])
                #expect(bad == 2 && badOut.split(separator: "\n").count == 1 && badOut.contains("is after --to"), "\(badOut)")
            }
        }
    }

    /// The next five starts: in status, in `kubectl get sj -o wide`, and the same in `kubectl sked next`.
    @Test func theUpcomingStartsAreInStatusInKubectlGetWideAndInSkedNext() async throws {
        let plane = try await TestControlPlane.shared()
        try await OperatorFixture.with("plugin-upcoming") { f in
            try await f.running {
                // Hourly, even hours excluded, four runs at most: the odd hours, four of them.
                _ = try await f.create("odd", schedule: "0 * * * *") {
                    $0.exclude = [ExclusionSpec(schedule: "0 */2 * * *")]
                    $0.maxRuns = 4
                }
                let listed = try await eventually(timeout: .seconds(30)) { try await f.scheduledJobs.get("odd").status?.nextScheduleTimes?.count == 4 }
                let status = try #require(try await f.scheduledJobs.get("odd").status)
                #expect(listed, "\(String(describing: status.nextScheduleTimes))")
                let times = try #require(status.nextScheduleTimes)
                #expect(times.first == status.nextScheduleTime)
                var utc = Calendar(identifier: .gregorian)
                utc.timeZone = .gmt
                #expect(times.allSatisfy { utc.component(.hour, from: $0) % 2 == 1 && utc.component(.minute, from: $0) == 0 }, "\(times)")
                #expect(zip(times, times.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 7200 }, "\(times)")
                let (code, table) = try plane.kubectl(["get", "sj", "odd", "-n", f.namespace, "-o", "wide"])
                #expect(code == 0 && table.contains("UPCOMING"), "\(table)")
                // The API server prints a list column as compact JSON.
                let cell = table.firstRange(of: #/\[\"[^\]]*\]/#).map { String(table[$0]) } ?? ""
                let column = (try? JSONDecoder().decode([String].self, from: Data(cell.utf8)))?.compactMap(RFC3339.parse)
                #expect(column == times, "\(table)")
                let (narrow, plain) = try plane.kubectl(["get", "sj", "odd", "-n", f.namespace])
                #expect(narrow == 0 && !plain.contains("UPCOMING"), "a wide column only: \(plain)")
                let (s, next) = try kubectlSked(plane, ["next", "odd", "-n", f.namespace, "--count", "10"])
                #expect(s == 0, "\(next)")
                let shown = next.split(separator: "\n").compactMap { RFC3339.parse(String($0)) }
                #expect(shown == times, "sked next: \(next), status: \(times)")
            }
        }
    }

    @Test func runNowSuspendResumeHistoryAndNextWorkLikeKubectl() async throws {
        let plane = try await TestControlPlane.shared()
        try await OperatorFixture.with("plugin") { f in
            try await f.running {
                _ = try await f.create("nightly", schedule: "30 2 * * *") { $0.timeZone = "Europe/Berlin" }
                let (s1, next) = try kubectlSked(plane, ["next", "nightly", "-n", f.namespace, "--count", "2"])
                #expect(s1 == 0, "\(next)")
                let times = next.split(separator: "\n")
                #expect(times.count == 2)
                #expect(times.allSatisfy { $0.contains("T02:30:00+0") })

                let (s2, out) = try kubectlSked(plane, ["run-now", "nightly", "-n", f.namespace])
                #expect(s2 == 0, "\(out)")
                #expect(try await eventually { try await f.childJobs(of: "nightly").count == 1 })
                let job = try #require(try await f.childJobs(of: "nightly").first)
                try await f.finish(job, succeeded: true)
                #expect(try await eventually { try await f.scheduledJobs.get("nightly").status?.history?.count == 1 })
                let (s3, history) = try kubectlSked(plane, ["history", "nightly", "-n", f.namespace])
                #expect(s3 == 0)
                #expect(history.contains(job.metadata.name!) && history.contains("manual") && history.contains("Succeeded"), "\(history)")

                _ = try kubectlSked(plane, ["suspend", "nightly", "-n", f.namespace])
                #expect(try await f.scheduledJobs.get("nightly").spec.suspend == true)
                _ = try kubectlSked(plane, ["resume", "nightly", "-n", f.namespace])
                #expect(try await f.scheduledJobs.get("nightly").spec.suspend == false)

                let (s4, missing) = try kubectlSked(plane, ["stop", "nope", "-n", f.namespace])
                #expect(s4 == 2)
                #expect(missing.contains("scheduledjob \"nope\" not found"))
            }
        }
    }

    /// A kubeconfig whose user is an exec credential plugin (as on EKS, GKE, AKS): the plugin's
    /// first token is refused (revoked), so sked runs it again after the 401 and goes on.
    @Test(arguments: ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
    func execCredentialPluginsWorkAndAreRunAgainAfterA401(version: String) async throws {
        let plane = try await TestControlPlane.shared()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-execkc-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
            #!/bin/sh
            echo run >> "\(dir.path)/runs"
            tok=admintoken; [ "$(wc -l < "\(dir.path)/runs")" -eq 1 ] && tok=revoked
            echo "{\\"apiVersion\\":\\"\(version)\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$tok\\",\\"expirationTimestamp\\":\\"2099-01-01T00:00:00Z\\"}}"
            """
        try script.write(to: dir.appendingPathComponent("get-token"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.appendingPathComponent("get-token").path)
        // The admin kubeconfig with its token replaced by the plugin, named relative to the file.
        let admin = try String(contentsOfFile: plane.adminKubeconfig, encoding: .utf8)
        let exec = "exec:\n      apiVersion: \(version)\n      command: ./get-token\n      interactiveMode: Never"
        let kubeconfig = dir.appendingPathComponent("config")
        try admin.replacingOccurrences(of: "token: admintoken", with: exec).write(to: kubeconfig, atomically: true, encoding: .utf8)
        var runs: Int { ((try? String(contentsOf: dir.appendingPathComponent("runs"), encoding: .utf8)) ?? "").split(separator: "\n").count }

        try await OperatorFixture.with("exec") { f in
            _ = try await f.create("nightly", schedule: "30 2 * * *")
            // In process: one refused token, one good one, then the cache.
            let configuration = try ClientConfiguration.fromKubeConfigFiles([kubeconfig.path])
            try await KubernetesClient.withClient(configuration: configuration) { client in
                #expect(try await client.api(ScheduledJob.self, namespace: f.namespace).get("nightly").spec.schedule == "30 2 * * *")
                _ = try await client.api(ScheduledJob.self, namespace: f.namespace).list()
            }
            #expect(runs == 2)
            // The plugin binary, as kubectl runs it.
            let (status, out) = try kubectlSked(plane, ["next", "nightly", "-n", f.namespace, "--count", "1"], kubeconfig: kubeconfig.path)
            #expect(status == 0 && out.contains("T02:30:00Z"), "\(out)")
            #expect(runs == 3, "a new process runs the plugin once")
        }
    }
}
