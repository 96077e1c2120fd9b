import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// config/rbac, tested for real: the operator runs with the service-account identity the
/// ClusterRole is bound to, so any missing permission fails these tests.
@Suite(.serialized) struct LeastPrivilegeRBAC {
    /// Log lines that report the API server refusing the operator (403), as
    /// `KubernetesError` and the API server word it; a 409 "cannot be fulfilled" is not one.
    static func rbacDenials(in log: String) -> [Substring] {
        log.split(separator: "\n").filter { $0.contains("Forbidden (HTTP 403)") || $0.contains(" is forbidden: ") }
    }

    static func applyRBAC(_ plane: TestControlPlane) async throws {
        try await KubernetesClient.withClient(configuration: try plane.admin) { client in
            _ = try? await client.api(Namespace.self, namespace: nil).create(Namespace(name: "sked-system"))
        }
        let (status, out) = try plane.kubectl(["apply", "-k", TestControlPlane.repositoryRoot + "/config/rbac"])
        guard status == 0 else { throw TestHarnessError("kubectl apply -k config/rbac failed: \(out)") }
    }

    @Test func theOperatorDoesItsWholeJobWithOnlyConfigRBAC() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await Self.applyRBAC(plane)
        try await OperatorFixture.with("rbac") { f in
            _ = try await f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: ResourceDescriptor(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true))
                .create(UnstructuredObject(apiVersion: "v1", kind: "ServiceAccount", metadata: ObjectMeta(name: "default")))
            let op = try OperatorProcess(arguments: [
                // One namespace, so this operator leaves the other tests' ScheduledJobs alone; the
                // cluster-wide grants are checked with `kubectl auth can-i` below.
                "--kubeconfig", plane.operatorKubeconfig, "--namespace", f.namespace, "--leader-election-namespace", "sked-system",
                "--leader-election-id", "sked-\(f.namespace)",
            ])
            defer { Task { await op.stop() } }
            let ready = await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }
            #expect(ready, "\(op.log)")
            _ = try await f.create("limited", schedule: "* * * * * *") { $0.successfulRunsHistoryLimit = 1 }
            let created = try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "limited").count >= 3 }
            #expect(created, "\(op.log)")
            let jobs = try await f.childJobs(of: "limited")
            // A failure with a pod (pods list), and successes beyond the limit (jobs delete).
            let pods = f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: .pods)
            var pod = try await pods.create(UnstructuredObject(
                apiVersion: "v1", kind: "Pod", metadata: ObjectMeta(name: "p-\(jobs[0].metadata.name!)", labels: ["job-name": jobs[0].metadata.name!]),
                fields: ["spec": ["restartPolicy": "Never", "automountServiceAccountToken": false, "containers": [["name": "main", "image": "busybox:1.36"]]]]))
            pod["status"] = ["phase": "Failed", "containerStatuses": [["name": "main", "image": "busybox:1.36", "imageID": "", "ready": false, "restartCount": 0, "state": ["terminated": ["exitCode": 7, "message": "quota"]]]]]
            _ = try await pods.updateStatus(pod)
            try await f.finish(jobs[0], succeeded: false)
            try await f.finish(jobs[1], succeeded: true)
            try await f.finish(jobs[2], succeeded: true)
            let done = try await eventually(timeout: .seconds(60)) {
                let s = try await f.scheduledJobs.get("limited").status
                return s?.history?.contains { $0.result == .failed && ($0.message ?? "").contains("exited with code 7: quota") } == true
                    && s?.history?.filter { $0.result == .succeeded }.count == 1
            }
            #expect(done, "\(op.log)")
            let deleted = try await eventually(timeout: .seconds(60)) { try await f.jobs.getIfPresent(jobs[1].metadata.name!) == nil }
            #expect(deleted)
            #expect(try await f.events(for: "limited").contains { $0.reason == "RunStarted" })
            // An RBAC denial reads "User … cannot <verb> resource …".
            #expect(Self.rbacDenials(in: op.log).isEmpty, "\(op.log)")
            #expect(op.log.contains("became leader"))
        }
    }

    /// The Flink scenario with only config/rbac: without config/flink-secrets a header Secret
    /// cannot be read and the ScheduledJob says so; with it (secrets get), the finalizer
    /// (scheduledjobs patch), status and events, against the real Flink cluster.
    @Test func theFlinkTargetNeedsConfigRBACAndFlinkSecretsOnly() async throws {
        let plane = try await TestControlPlane.shared()
        let cluster = try await TestFlinkCluster.shared()
        try await CRDInstaller.shared.install(plane)
        try await Self.applyRBAC(plane)
        let files = try TestFileServer()
        defer { files.stop() }
        let jarURL = try files.serve("job.jar", try Data(contentsOf: URL(fileURLWithPath: cluster.testJar)))
        try await OperatorFixture.with("rbac-flink") { f in
            _ = try await f.client.api(Secret.self, namespace: f.namespace).create(Secret(metadata: ObjectMeta(name: "flink-headers", labels: [FlinkTarget.headersSecretLabel: "true"]), data: ["X-Sked-Test": Data("secret-value-123".utf8)]))
            let op = try OperatorProcess(arguments: [
                "--kubeconfig", plane.operatorKubeconfig, "--namespace", f.namespace, "--leader-election-namespace", "sked-system",
                "--leader-election-id", "sked-\(f.namespace)", "--flink-poll-interval", "500ms",
            ])
            defer { Task { await op.stop() } }
            #expect(await eventually(timeout: .seconds(60)) { (try? op.get("/readyz", port: op.healthPort).0) == 200 }, "\(op.log)")
            // Least privilege: config/rbac alone reads no Secret.
            _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: "flink-denied"), spec: ScheduledJobSpec(flinkJob: FlinkJobSpec(
                jobManagerURL: cluster.url, jarURL: jarURL, entryClass: "dev.sked.testjob.TestJob", headersSecretRef: SecretReference(name: "flink-headers")))))
            var denied: Condition?
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
                denied = try await f.scheduledJobs.get("flink-denied").status?.conditions?[type: "Ready"]
                return denied?.status == "False" && denied?.message.contains("the operator may not read Secret flink-headers (RBAC: secrets get") == true
            }, "\(String(describing: denied))")
            try await f.scheduledJobs.delete("flink-denied")
            let grant = TestControlPlane.repositoryRoot + "/config/flink-secrets/flink_secrets.yaml"
            let (granted, grantOut) = try plane.kubectl(["apply", "-f", grant])
            try #require(granted == 0, "\(grantOut)")
            defer { _ = try? plane.kubectl(["delete", "-f", grant, "--ignore-not-found"]) }
            _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: "flink-once"), spec: ScheduledJobSpec(flinkJob: FlinkJobSpec(
                jobManagerURL: cluster.url, jarURL: jarURL, entryClass: "dev.sked.testjob.TestJob", args: ["--mode", "batch", "--seconds", "1"],
                headersSecretRef: SecretReference(name: "flink-headers")))))
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
                try await f.scheduledJobs.get("flink-once").status?.phase == "Succeeded"
            }, "\(op.log)")
            #expect(try await f.scheduledJobs.get("flink-once").metadata.finalizers == ["sked.dev/flink-cleanup"])
            let (code, metrics) = try op.get("/metrics", port: op.metricsPort)
            #expect(code == 200)
            for operation in ["upload", "run", "status"] {
                #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("sked_flink_requests_total{") && $0.contains("operation=\"\(operation)\"") && $0.contains("code=\"200\"") },
                        "no sked_flink_requests_total for \(operation)")
            }
            try await f.scheduledJobs.delete("flink-once")
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(300)) { try await f.scheduledJobs.getIfPresent("flink-once") == nil }, "\(op.log)")
            // No RBAC denial but the Secret one asked for above.
            let denials = Self.rbacDenials(in: op.log).filter { !$0.contains("secrets") }
            #expect(denials.isEmpty, "\(denials)")
            #expect(!op.log.contains("secret-value-123"))
            #expect(try await f.events(for: "flink-once").contains { $0.reason == "RunSucceeded" })
        }
    }

    @Test func theClusterRoleGrantsExactlyWhatTheOperatorUses() async throws {
        let plane = try await TestControlPlane.shared()
        try await Self.applyRBAC(plane)
        // Read with the client: kubectl's output carries its stderr too (discovery warnings).
        let role = try await KubernetesClient.withClient(configuration: try plane.admin) { client in
            try await client.api(UnstructuredObject.self, namespace: nil, resource: ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false)).get("sked-operator")
        }
        var granted = Set<String>()
        for rule in role["rules"]?.arrayValue ?? [] {
            for group in rule["apiGroups"]?.arrayValue ?? [] {
                for resource in rule["resources"]?.arrayValue ?? [] {
                    for verb in rule["verbs"]?.arrayValue ?? [] {
                        granted.insert("\(group.stringValue ?? "")/\(resource.stringValue ?? "")/\(verb.stringValue ?? "")")
                    }
                }
            }
        }
        var allowed = Set<String>()
        func allow(_ group: String, _ resource: String, _ verbs: [String]) { for v in verbs { allowed.insert("\(group)/\(resource)/\(v)") } }
        allow("sked.dev", "scheduledjobs", ["get", "list", "watch", "update", "patch"])
        allow("sked.dev", "scheduledjobs/status", ["update", "patch"])
        allow("sked.dev", "scheduledjobs/finalizers", ["update"])
        allow("batch", "jobs", ["get", "list", "watch", "create", "delete"])
        allow("", "pods", ["get", "list"])
        allow("", "events", ["create", "patch"])
        allow("events.k8s.io", "events", ["create", "patch"])
        #expect(granted.subtracting(allowed).isEmpty, "grants beyond what sked uses: \(granted.subtracting(allowed).sorted())")
        #expect(!granted.contains { $0.contains("*") })

        for (verb, resource, expected) in [
            ("list", "scheduledjobs.sked.dev", "yes"), ("watch", "jobs.batch", "yes"), ("create", "jobs.batch", "yes"),
            ("delete", "scheduledjobs.sked.dev", "no"), ("create", "pods", "no"), ("list", "secrets", "no"), ("get", "secrets", "no"), ("update", "jobs.batch", "no"),
        ] {
            let (_, answer) = try TestProcess.run("/usr/bin/env", ["kubectl", "--kubeconfig", plane.operatorKubeconfig, "auth", "can-i", verb, resource, "--all-namespaces"])
            #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "can-i \(verb) \(resource): \(answer)")
        }
    }
}
