import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// With `--allowed-service-accounts`, a ScheduledJob whose pods would run as another
/// ServiceAccount gets `Ready=False ServiceAccountNotAllowed` and no Job; the Namespace's
/// annotation (set by whoever may edit the Namespace) allows more there, and takes effect
/// without touching the ScheduledJob. The operator binary against the real API server.
@Suite struct ServiceAccountPolicyEnforcement {
    @Test func onlyAllowedServiceAccountsRunAndTheNamespaceAnnotationAllowsMore() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        // As the operator's own identity, with config/rbac and the component's rights only.
        try await LeastPrivilegeRBAC.applyRBAC(plane)
        let component = TestControlPlane.repositoryRoot + "/config/service-account-policy"
        let (applied, applyOut) = try plane.kubectl(["apply", "-f", component + "/namespaces_role.yaml"])
        try #require(applied == 0, "\(applyOut)")
        defer { _ = try? plane.kubectl(["delete", "-f", component + "/namespaces_role.yaml", "--ignore-not-found"]) }
        try await OperatorFixture.with("sa-policy") { f in
            let op = try OperatorProcess(arguments: [
                "--kubeconfig", plane.operatorKubeconfig, "--namespace", f.namespace, "--leader-election-namespace", "sked-system",
                "--leader-election-id", "sked-\(f.namespace)", "--allowed-service-accounts", "default",
            ])
            defer { Task { await op.stop() } }
            #expect(await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }, "\(op.log)")
            func runningAs(_ account: String?) -> (inout ScheduledJobSpec) -> Void {
                { spec in if let account { spec.jobTemplate?.spec["template"]?["spec"]?["serviceAccountName"] = .string(account) } }
            }
            _ = try await f.create("as-default", schedule: "* * * * * *", configure: runningAs(nil))
            _ = try await f.create("as-builder", schedule: "* * * * * *", configure: runningAs("builder"))
            var ready: Condition?
            #expect(await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
                ready = try? await f.scheduledJobs.get("as-builder").status?.conditions?[type: "Ready"]
                return ready?.status == "False" && ready?.reason == ServiceAccountPolicy.reason
            }, "\(String(describing: ready))\n\(op.log.suffix(2000))")
            #expect(ready?.message.contains("ServiceAccount \"builder\" may not run ScheduledJobs in namespace \(f.namespace) (allowed: default;") == true, "\(ready?.message ?? "")")
            #expect(try await f.scheduledJobs.get("as-builder").status?.phase == "Invalid")
            #expect(try await f.events(for: "as-builder").contains { $0.type == "Warning" && $0.reason == ServiceAccountPolicy.reason })
            #expect(try await eventually(timeout: .seconds(60)) { try await !f.childJobs(of: "as-default").isEmpty }, "the allowed one runs")
            #expect(try await f.childJobs(of: "as-builder").isEmpty, "no Job for a ServiceAccount that is not allowed")

            // The namespace owner allows it: the next tick runs, with no change to the ScheduledJob.
            let (annotated, out) = try plane.kubectl(["annotate", "namespace", f.namespace, "\(ServiceAccountPolicy.annotation)=builder,reporter"])
            try #require(annotated == 0, "\(out)")
            #expect(try await eventually(timeout: .seconds(60)) { try await !f.childJobs(of: "as-builder").isEmpty }, "\(op.log.suffix(2000))")
            let job = try #require(try await f.childJobs(of: "as-builder").first)
            #expect(job.spec?["template"]?["spec"]?["serviceAccountName"] == "builder")
            #expect(try await eventually(timeout: .seconds(30)) { try await f.scheduledJobs.get("as-builder").status?.conditions?[type: "Ready"]?.status == "True" })
        }
    }

    /// The kustomize component adds the flag to config/default's Deployment (and the rights used above).
    @Test func theKustomizeComponentTurnsThePolicyOn() throws {
        let overlay = FileManager.default.temporaryDirectory.appendingPathComponent("sked-sa-overlay-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: overlay, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: overlay) }
        for (link, target) in [("base", "config/default"), ("policy", "config/service-account-policy")] {
            try FileManager.default.createSymbolicLink(atPath: overlay.appendingPathComponent(link).path, withDestinationPath: TestControlPlane.repositoryRoot + "/" + target)
        }
        try "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [base]\ncomponents: [policy]\n"
            .write(to: overlay.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
        let (code, manifests) = try TestProcess.run("/usr/bin/env", ["kubectl", "kustomize", overlay.path])
        try #require(code == 0, "\(manifests)")
        #expect(manifests.contains("- --allowed-service-accounts=default"))
        #expect(manifests.contains("kind: ClusterRoleBinding") && manifests.contains("name: sked-namespaces"))
    }
}
