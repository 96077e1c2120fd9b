import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// The `sked` binary installed as `kubectl-sked`, driven through real kubectl.
@Suite struct KubectlPlugin {
    func kubectlSked(_ plane: TestControlPlane, _ args: [String]) throws -> (Int32, String) {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("sked-plugin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("kubectl-sked").path, withDestinationPath: OperatorProcess.binary)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["KUBECONFIG"] = plane.adminKubeconfig
        return try TestProcess.run("/usr/bin/env", ["kubectl", "sked"] + args, environment: env)
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
}
