import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// sked as users run it: the image `make image` builds, imported into the real node's
/// containerd, installed with Helm (Helm's own engine) and with `kubectl apply -k`, running
/// as pods that reach the API server through the `kubernetes` Service with their mounted
/// service-account token. Leader election, failover, upgrade and uninstall are checked on
/// the Jobs a ScheduledJob really runs on the node.
@Suite(.serialized) struct InstallPath {
    static let period: Int64 = 10

    @Test func helmInstallFailoverUpgradeUninstall() async throws {
        let node = try await NodeInstall.prepare()
        try await node.plane.withNamespace("install") { client, ns in
            let release = "e2e"
            // The webhook with the operator's own certificate; Ignore, as the registration is
            // cluster-wide and other tests create ScheduledJobs on this plane (a denial still denies).
            let values = ["--set", "watchNamespaces={\(ns)}", "--set", "image.pullPolicy=Never", "--set", "webhook.enabled=true", "--set", "webhook.failurePolicy=Ignore"]
            let common = ["--kubeconfig", node.plane.adminKubeconfig, "--namespace", ns, "--release", release]
            let (installed, installOut) = try node.helm(["install"] + common + [node.chart] + values)
            try #require(installed == 0, "\(installOut)")
            // Cluster-wide objects outlive the namespace: a failed check must not leave them.
            do { try await helmReleaseChecks(node, client, ns, release, common, values) } catch {
                _ = try? node.helm(["uninstall"] + common)
                throw error
            }
        }
    }

    func helmReleaseChecks(_ node: NodeInstall, _ client: KubernetesClient, _ ns: String, _ release: String, _ common: [String], _ values: [String]) async throws {
        let deployment = "e2e-sked-operator"
        let selector = "app.kubernetes.io/instance=\(release),app.kubernetes.io/component=operator"
        let pods = try await node.readyPods(client, namespace: ns, selector: selector, count: 2)
        try node.checkRestrictedContext(pods)
        for pod in pods { print("install-path: helm pod \(pod.name) created -> Ready \(pod.startToReady) s") }
        let leader = try await node.leader(client, namespace: ns, lease: deployment, pods: pods)
        // The chart's metrics Service answers from inside the cluster (kube-proxy).
        let scraped = try await node.fetchFromPod(client, namespace: ns, service: "e2e-sked-metrics", port: 8080, path: "/metrics")
        #expect(scraped.contains("sked_build_info{"), "\(scraped.prefix(500))")

        // The webhook, served by the pods with the certificate they issued and trusted: the API
        // server calls it through its Service and refuses a bad spec with the Ready message.
        var refusal = ""
        let webhookUp = Date()
        #expect(try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
            refusal = try node.applyBadScheduledJob(namespace: ns)
            return refusal.contains("admission webhook \"scheduledjobs.sked.dev\" denied the request: InvalidSchedule")
        }, "kubectl apply of a bad schedule refused by the webhook: \(refusal)")
        print("install-path: webhook (pods Ready -> a bad spec refused by the API server through the pods' webhook) \(String(format: "%.1f", Date().timeIntervalSince(webhookUp))) s")
        let issued = try await client.api(Secret.self, namespace: ns).get("e2e-sked-webhook-cert")
        #expect(issued.metadata.ownerReferences?.first?.name == deployment, "the operator's certificate goes with the Deployment")

        // A ScheduledJob applied with kubectl runs to completion on the node.
        let sj = try node.applyScheduledJob(namespace: ns, name: "every10s")
        #expect(try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
            try await node.history(client, namespace: ns, sj).contains { $0.result == .succeeded }
        }, "a run of \(sj) succeeded on the node")
        let st = try await client.api(ScheduledJob.self, namespace: ns).get(sj).status
        #expect(st?.conditions?.first { $0.type == "Ready" }?.status == "True", "Europe/Berlin is known in the image: \(String(describing: st?.conditions))")

        // Failover: the leader pod goes (SIGTERM releases the Lease) and another pod leads: the
        // standby, or the replacement the ReplicaSet starts meanwhile, whichever asks first.
        let deletedAt = Date()
        try await client.api(UnstructuredObject.self, namespace: ns, resource: .pods).delete(leader.name)
        var holder = ""
        #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
            holder = try await node.leaseHolder(client, namespace: ns, lease: deployment) ?? ""
            return !holder.isEmpty && !holder.hasPrefix(leader.name + "_")
        }, "another pod took the Lease from \(leader.name) (holder \(holder))")
        let failover = Date().timeIntervalSince(deletedAt)
        print("install-path: failover (leader pod deleted -> another pod holds the Lease) \(String(format: "%.1f", failover)) s")
        let replaced = try await node.readyPods(client, namespace: ns, selector: selector, count: 2)
        _ = try await node.leader(client, namespace: ns, lease: deployment, pods: replaced)
        try await node.waitForTicks(client, namespace: ns, sj, after: Date(), count: 2)
        try await node.checkTicks(client, namespace: ns, sj)

        // Upgrade with a changed value: a rolling update of both pods, no tick doubled or lost.
        let (upgraded, upgradeOut) = try node.helm(["upgrade"] + common + [node.chart] + values + ["--set", "logLevel=debug"])
        try #require(upgraded == 0, "\(upgradeOut)")
        #expect(try await eventually(timeout: .seconds(240), interval: .seconds(1)) {
            let now = try await node.podList(client, namespace: ns, selector: selector)
            return now.count == 2 && now.allSatisfy { $0.ready && $0.args.contains("--log-level=debug") }
        }, "both pods were replaced by ready ones with --log-level=debug")
        try await node.waitForTicks(client, namespace: ns, sj, after: Date(), count: 2)
        try await node.checkTicks(client, namespace: ns, sj)

        // Uninstall: nothing of the release is left, and no run starts afterwards.
        let (removed, removeOut) = try node.helm(["uninstall"] + common + ["--wait"])
        try #require(removed == 0, "\(removeOut)")
        #expect(try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
            try await node.podList(client, namespace: ns, selector: selector).isEmpty
        }, "the operator pods are gone")
        let left = try await node.releaseObjects(client, namespace: ns, release: release)
        #expect(left.isEmpty, "left behind by helm uninstall: \(left)")
        #expect(try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
            try await client.api(Secret.self, namespace: ns).getIfPresent("e2e-sked-webhook-cert") == nil
        }, "the operator's webhook certificate is collected with the Deployment")
        let stoppedAt = Date()
        let lastBefore = try await node.tickTimes(client, namespace: ns, sj).last ?? 0
        try await Task.sleep(for: .seconds(2 * Self.period + 2))
        let after = try await node.tickTimes(client, namespace: ns, sj).filter { $0 > lastBefore && Double($0) > stoppedAt.timeIntervalSince1970 }
        #expect(after.isEmpty, "runs started after uninstall: \(after)")
    }

    @Test func kustomizeConfigDefault() async throws {
        let node = try await NodeInstall.prepare()
        try await node.plane.withNamespace("kustomize") { client, ns in
            // config/default as it is, narrowed to this test's namespace (other suites share the
            // node) and told never to pull: an overlay a user would write the same way.
            let overlay = FileManager.default.temporaryDirectory.appendingPathComponent("sked-overlay-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: overlay, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: overlay) }
            let base = TestControlPlane.repositoryRoot + "/config/default"
            try FileManager.default.createSymbolicLink(atPath: overlay.appendingPathComponent("base").path, withDestinationPath: base)
            try FileManager.default.createSymbolicLink(atPath: overlay.appendingPathComponent("webhook").path, withDestinationPath: TestControlPlane.repositoryRoot + "/config/webhook")
            // With the webhook component; Ignore, as its registration is cluster-wide and other
            // suites share this node (a denial still denies).
            try """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - base
            components:
              - webhook
            patches:
              - target: {kind: ValidatingWebhookConfiguration, name: sked-webhook}
                patch: |
                  - op: replace
                    path: /webhooks/0/failurePolicy
                    value: Ignore
              - target: {kind: Deployment, name: sked-operator}
                patch: |
                  - op: add
                    path: /spec/template/spec/containers/0/args/-
                    value: --namespace=\(ns)
                  - op: replace
                    path: /spec/template/spec/containers/0/imagePullPolicy
                    value: Never
            """.write(to: overlay.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
            let (rendered, manifests) = try node.kubectl(["kustomize", overlay.path])
            try #require(rendered == 0, "\(manifests)")
            let (applied, applyOut) = try node.kubectl(["apply", "-k", overlay.path])
            try #require(applied == 0, "\(applyOut)")

            let selector = "app.kubernetes.io/name=sked,app.kubernetes.io/component=operator"
            let pods = try await node.readyPods(client, namespace: "sked-system", selector: selector, count: 2)
            try node.checkRestrictedContext(pods)
            for pod in pods { print("install-path: kustomize pod \(pod.name) created -> Ready \(pod.startToReady) s") }
            _ = try await node.leader(client, namespace: "sked-system", lease: "sked-operator", pods: pods)
            var refusal = ""
            #expect(try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
                refusal = try node.applyBadScheduledJob(namespace: ns)
                return refusal.contains("admission webhook \"scheduledjobs.sked.dev\" denied the request: InvalidSchedule")
            }, "config/webhook: a bad schedule refused by the pods' webhook: \(refusal)")
            let sj = try node.applyScheduledJob(namespace: ns, name: "kustomized")
            #expect(try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
                try await node.history(client, namespace: ns, sj).contains { $0.result == .succeeded }
            }, "a run of \(sj) succeeded on the node")

            // Removed as applied, except the CRD: deleting it would delete every ScheduledJob of
            // the suites that share this node.
            let withoutCRD = manifests.components(separatedBy: "\n---\n").filter { !$0.contains("kind: CustomResourceDefinition") }
            let file = overlay.appendingPathComponent("rendered.yaml")
            try withoutCRD.joined(separator: "\n---\n").write(to: file, atomically: true, encoding: .utf8)
            let (deleted, deleteOut) = try node.kubectl(["delete", "-f", file.path, "--wait=true", "--timeout=180s"])
            #expect(deleted == 0, "\(deleteOut)")
            let clusterRoles = client.api(UnstructuredObject.self, namespace: nil, resource: NodeInstall.clusterRoles)
            for name in ["sked-operator", "sked-view", "sked-edit", "sked-webhook-ca"] {
                #expect(try await clusterRoles.getIfPresent(name) == nil, "ClusterRole \(name) left behind")
            }
            #expect(try await eventually(timeout: .seconds(180), interval: .seconds(1)) {
                try await client.api(Namespace.self, namespace: nil).getIfPresent("sked-system") == nil
            }, "namespace sked-system is gone")
        }
    }
}

/// The real node with sked's image imported, and what the install tests ask of it.
struct NodeInstall: Sendable {
    let plane: TestControlPlane
    var chart: String { TestControlPlane.repositoryRoot + "/charts/sked" }

    static let services = ResourceDescriptor(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)
    static let clusterRoles = ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false)

    /// `SKED_IMAGE_ARCHIVE`, else what `make image` writes.
    static var imageArchive: String {
        ProcessInfo.processInfo.environment["SKED_IMAGE_ARCHIVE"] ?? TestControlPlane.repositoryRoot + "/.build-release/sked-image.tar"
    }

    static func prepare() async throws -> NodeInstall {
        let plane = try await TestControlPlane.withNode()
        try await CRDInstaller.shared.install(plane)
        try await ImageImporter.shared.importImage(into: plane)
        return NodeInstall(plane: plane)
    }

    /// The plane's CRD is CRDInstaller's (the kustomize test applies it too), so releases
    /// here leave it alone (crds.install=false); HelmChart tests the chart's CRD.
    func helm(_ args: [String]) throws -> (Int32, String) {
        let keepCRD = ["install", "upgrade"].contains(args.first ?? "")
        return try TestProcess.run("/usr/bin/env", ["python3", TestControlPlane.repositoryRoot + "/scripts/helm-check.py"] + args + (keepCRD ? ["--set", "crds.install=false"] : []))
    }

    func kubectl(_ args: [String]) throws -> (Int32, String) {
        try plane.kubectl(args)
    }

    struct Pod: Sendable {
        let name: String
        let ip: String
        let ready: Bool
        let args: [String]
        let containerID: String
        let startToReady: Int
        let object: UnstructuredObject
    }

    func podList(_ client: KubernetesClient, namespace: String, selector: String) async throws -> [Pod] {
        try await client.api(UnstructuredObject.self, namespace: namespace, resource: .pods).list(ListOptions(labelSelector: selector)).items
            .filter { $0.metadata.deletionTimestamp == nil }
            .map { p in
                let ready = p["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
                let readyAt = ready?["lastTransitionTime"]?.stringValue.flatMap(RFC3339.parse)
                let created = p.metadata.creationTimestamp
                return Pod(
                    name: p.metadata.name ?? "", ip: p["status"]?["podIP"]?.stringValue ?? "",
                    ready: ready?["status"]?.stringValue == "True",
                    args: p["spec"]?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    containerID: p["status"]?["containerStatuses"]?.arrayValue?.first?["containerID"]?.stringValue ?? "",
                    startToReady: readyAt.flatMap { r in created.map { Int(r.timeIntervalSince($0)) } } ?? -1,
                    object: p)
            }
    }

    /// Waits until exactly `count` pods match and all are Ready; on a timeout the failure says
    /// what the pods and their Events show.
    func readyPods(_ client: KubernetesClient, namespace: String, selector: String, count: Int) async throws -> [Pod] {
        var pods: [Pod] = []
        let ok = try await eventually(timeout: .seconds(240), interval: .seconds(1)) {
            pods = try await podList(client, namespace: namespace, selector: selector)
            return pods.count == count && pods.allSatisfy(\.ready)
        }
        if !ok {
            let (_, describe) = try kubectl(["describe", "pods", "-n", namespace, "-l", selector])
            let (_, logs) = try kubectl(["logs", "-n", namespace, "-l", selector, "--tail=30"])
            throw TestHarnessError("\(count) ready operator pods expected in \(namespace), found \(pods.map { "\($0.name) ready=\($0.ready)" }):\n\(describe.suffix(6000))\nlogs:\n\(logs.suffix(4000))")
        }
        return pods
    }

    /// The restricted securityContext as the kernel applies it: the container's process runs as
    /// 65532 with no capabilities, no_new_privs, a seccomp filter and a read-only root.
    func checkRestrictedContext(_ pods: [Pod]) throws {
        for pod in pods {
            let id = pod.containerID.replacingOccurrences(of: "containerd://", with: "")
            let (s, tasks) = try TestProcess.run("/usr/bin/env", ["ctr", "--address", plane.directory + "/node/containerd.sock", "-n", "k8s.io", "tasks", "ls"])
            try #require(s == 0, "\(tasks)")
            let pid = try #require(tasks.split(separator: "\n").first { $0.hasPrefix(id) }?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first,
                                   "container \(id) of \(pod.name) in ctr tasks ls:\n\(tasks)")
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            func field(_ name: String) -> String {
                status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) } ?? ""
            }
            #expect(field("Uid").split(separator: "\t").allSatisfy { $0 == "65532" }, "\(pod.name) Uid \(field("Uid"))")
            #expect(field("Gid").split(separator: "\t").allSatisfy { $0 == "65532" }, "\(pod.name) Gid \(field("Gid"))")
            #expect(field("CapEff") == "0000000000000000" && field("CapPrm") == "0000000000000000", "\(pod.name) capabilities \(field("CapEff"))")
            #expect(field("NoNewPrivs") == "1", "\(pod.name) allowPrivilegeEscalation=false")
            #expect(field("Seccomp") == "2", "\(pod.name) runs under a seccomp filter (RuntimeDefault)")
            let mounts = try String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)
            let root = mounts.split(separator: "\n").map { $0.split(separator: " ") }.first { $0.count > 5 && $0[4] == "/" }
            #expect(root.map { $0[5].split(separator: ",").contains("ro") } == true, "\(pod.name) root filesystem is read-only: \(root.map { $0.joined(separator: " ") } ?? "none")")
        }
    }

    func leaseHolder(_ client: KubernetesClient, namespace: String, lease: String) async throws -> String? {
        try await client.api(Lease.self, namespace: namespace).getIfPresent(lease)?.spec?.holderIdentity
    }

    /// The pod holding the Lease; it, and only it, reports `sked_leader 1`.
    func leader(_ client: KubernetesClient, namespace: String, lease: String, pods: [Pod]) async throws -> Pod {
        var holder = ""
        let held = try await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
            holder = try await leaseHolder(client, namespace: namespace, lease: lease) ?? ""
            return pods.contains { holder.hasPrefix($0.name + "_") }
        }
        try #require(held, "Lease \(namespace)/\(lease) is held by one of \(pods.map(\.name)) (holder: \(holder))")
        let leader = pods.first { holder.hasPrefix($0.name + "_") }!
        for pod in pods {
            #expect(try await metricsLeader(pod) == (pod.name == leader.name ? 1 : 0), "sked_leader of \(pod.name)")
        }
        return leader
    }

    /// `sked_leader` from the pod's own metrics endpoint (the host reaches pod IPs on the bridge).
    func metricsLeader(_ pod: Pod) async throws -> Int? {
        var value: Int?
        _ = try await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
            let (s, out) = try TestProcess.run("/usr/bin/env", ["curl", "-sf", "--max-time", "5", "http://\(pod.ip):8080/metrics"])
            guard s == 0 else { return false }
            value = out.split(separator: "\n").first { $0.hasPrefix("sked_leader ") }.flatMap { Double($0.split(separator: " ").last ?? "").map { Int($0) } }
            return value != nil
        }
        return value
    }

    /// What a busybox pod gets from `http://<service's cluster IP>:port/path`.
    func fetchFromPod(_ client: KubernetesClient, namespace: String, service: String, port: Int, path: String) async throws -> String {
        let svc = try await client.api(UnstructuredObject.self, namespace: namespace, resource: NodeInstall.services).get(service)
        let ip = try #require(svc["spec"]?["clusterIP"]?.stringValue)
        let name = "fetch-\(UUID().uuidString.prefix(6).lowercased())"
        let pod = UnstructuredObject(apiVersion: "v1", kind: "Pod", metadata: ObjectMeta(name: name), fields: [
            "spec": ["restartPolicy": "Never", "automountServiceAccountToken": false, "terminationGracePeriodSeconds": 0, "containers": [[
                "name": "fetch", "image": "docker.io/library/busybox:1.36",
                // nc, not wget: Debian's static busybox wget crashes resolving the "http" service
                "command": ["sh", "-c", .string("printf 'GET \(path) HTTP/1.0\\r\\n\\r\\n' | nc -w 10 \(ip) \(port)")],
            ]]],
        ])
        let pods = client.api(UnstructuredObject.self, namespace: namespace, resource: .pods)
        _ = try await pods.create(pod)
        var phase = ""
        _ = try await eventually(timeout: .seconds(120), interval: .milliseconds(500)) {
            phase = try await pods.get(name)["status"]?["phase"]?.stringValue ?? ""
            return phase == "Succeeded" || phase == "Failed"
        }
        let (_, logs) = try kubectl(["logs", "-n", namespace, name])
        _ = try? await pods.deleteIfPresent(name)
        try #require(phase == "Succeeded", "pod \(name) fetching \(ip):\(port)\(path) ended \(phase): \(logs.suffix(500))")
        return logs
    }

    /// A ScheduledJob every 10 s in Europe/Berlin (the image's zone data), applied with kubectl.
    /// kubectl apply of a ScheduledJob with minute 61; what kubectl said.
    func applyBadScheduledJob(namespace: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-bad-\(UUID().uuidString.prefix(8)).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        apiVersion: sked.dev/v1alpha1
        kind: ScheduledJob
        metadata: {name: bad-minute, namespace: \(namespace)}
        spec: {schedule: "61 * * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: sked-test/busybox}]}}}}}
        """.write(to: file, atomically: true, encoding: .utf8)
        let (status, out) = try kubectl(["apply", "-f", file.path])
        if status == 0 { _ = try? kubectl(["delete", "-f", file.path, "--wait=false"]) }
        return out
    }

    func applyScheduledJob(namespace: String, name: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-sj-\(UUID().uuidString.prefix(8)).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        apiVersion: sked.dev/v1alpha1
        kind: ScheduledJob
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
          schedule: "*/\(InstallPath.period) * * * * *"
          timeZone: Europe/Berlin
          successfulRunsHistoryLimit: 100
          failedRunsHistoryLimit: 100
          jobTemplate:
            spec:
              backoffLimit: 0
              template:
                spec:
                  restartPolicy: Never
                  automountServiceAccountToken: false
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: main
                      image: docker.io/library/busybox:1.36
                      command: ["sh", "-c", "echo run"]
        """.write(to: file, atomically: true, encoding: .utf8)
        let (s, out) = try kubectl(["apply", "-f", file.path])
        try #require(s == 0, "\(out)")
        return name
    }

    func history(_ client: KubernetesClient, namespace: String, _ name: String) async throws -> [RunRecord] {
        try await client.api(ScheduledJob.self, namespace: namespace).get(name).status?.history ?? []
    }

    /// The scheduled times (unix seconds) of the ScheduledJob's Jobs, sorted, one per Job.
    func tickTimes(_ client: KubernetesClient, namespace: String, _ name: String) async throws -> [Int64] {
        try await client.api(Job.self, namespace: namespace).list(ListOptions(labelSelector: "sked.dev/scheduled-job=\(RunNaming.labelValue(scheduledJob: name))")).items
            .compactMap { $0.metadata.annotations?["sked.dev/scheduled-time"].flatMap(RFC3339.parse) }
            .map { Int64($0.timeIntervalSince1970) }.sorted()
    }

    func waitForTicks(_ client: KubernetesClient, namespace: String, _ name: String, after: Date, count: Int) async throws {
        var seen: [Int64] = []
        let ok = try await eventually(timeout: .seconds(Int64(InstallPath.period) * Int64(count) + 90), interval: .seconds(1)) {
            seen = try await tickTimes(client, namespace: namespace, name).filter { Double($0) >= after.timeIntervalSince1970 }
            return seen.count >= count
        }
        try #require(ok, "\(count) ticks of \(name) after \(after) expected, saw \(seen)")
    }

    /// No tick doubled (one Job per scheduled time) and none lost: every tick from the first
    /// Job to the last has a Job, or is counted in `status.missedRuns`.
    func checkTicks(_ client: KubernetesClient, namespace: String, _ name: String) async throws {
        let times = try await tickTimes(client, namespace: namespace, name)
        let missed = try await client.api(ScheduledJob.self, namespace: namespace).get(name).status?.missedRuns ?? 0
        #expect(Set(times).count == times.count, "a tick ran twice: \(times)")
        guard let first = times.first, let last = times.last else { Issue.record("no Jobs of \(name)"); return }
        let expected = Int((last - first) / InstallPath.period) + 1
        #expect(times.allSatisfy { $0 % InstallPath.period == 0 }, "\(times)")
        #expect(Set(times).count + missed >= expected, "ticks lost: \(expected) from \(first) to \(last), \(times.count) Jobs, \(missed) counted missed: \(times)")
    }

    /// What the release created that still exists in its namespace or cluster-wide.
    func releaseObjects(_ client: KubernetesClient, namespace: String, release: String) async throws -> [String] {
        let selector = "app.kubernetes.io/instance=\(release)"
        var left: [String] = []
        let kinds: [(String, String, String, Bool)] = [
            ("apps", "v1", "deployments", true), ("apps", "v1", "replicasets", true), ("", "v1", "pods", true),
            ("", "v1", "services", true), ("", "v1", "serviceaccounts", true), ("", "v1", "configmaps", true),
            ("rbac.authorization.k8s.io", "v1", "roles", true), ("rbac.authorization.k8s.io", "v1", "rolebindings", true),
            ("policy", "v1beta1", "poddisruptionbudgets", true), ("coordination.k8s.io", "v1", "leases", true),
            ("rbac.authorization.k8s.io", "v1", "clusterroles", false), ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", false),
            ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", false),
        ]
        for (group, version, plural, namespaced) in kinds {
            let resource = ResourceDescriptor(group: group, version: version, kind: plural, plural: plural, namespaced: namespaced)
            let items = try await client.api(UnstructuredObject.self, namespace: namespaced ? namespace : nil, resource: resource)
                .list(ListOptions(labelSelector: plural == "leases" ? nil : selector)).items
            left += items.filter { $0.metadata.deletionTimestamp == nil }.map { "\(plural)/\($0.metadata.name ?? "")" }
        }
        return left
    }
}

/// Imports the image archive into a node's containerd once per test process.
actor ImageImporter {
    static let shared = ImageImporter()
    private var done: Set<String> = []

    func importImage(into plane: TestControlPlane) throws {
        if done.contains(plane.directory) { return }
        let archive = NodeInstall.imageArchive
        guard FileManager.default.fileExists(atPath: archive) else {
            throw TestHarnessError("the sked image archive \(archive) is missing: run `make image` (make test builds it first)")
        }
        let (s, out) = try TestProcess.run("/usr/bin/env", ["ctr", "--address", plane.directory + "/node/containerd.sock", "-n", "k8s.io", "images", "import", archive])
        guard s == 0 else { throw TestHarnessError("ctr images import \(archive) failed: \(out)") }
        done.insert(plane.directory)
    }
}
