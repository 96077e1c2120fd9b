import Foundation
import K8sClient
import K8sTestSupport
import Testing
import Yams

/// charts/sked with Helm's own Go engine (helm-sdkpy) against the real API server.
@Suite struct HelmChart {
    func helm(_ args: [String]) throws -> (Int32, String) {
        try TestProcess.run("/usr/bin/env", ["python3", TestControlPlane.repositoryRoot + "/scripts/helm-check.py"] + args)
    }

    @Test func lintInstallUpgradeUninstall() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        let (lint, lintOut) = try helm(["lint", chart])
        #expect(lint == 0, "\(lintOut)")

        try await plane.withNamespace("helm") { client, ns in
            // Not "sked": the kustomize install (config/rbac, applied by the RBAC tests) owns sked-operator and sked-view.
            let release = "helmtest"
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", release]
            let (installed, installOut) = try helm(["install"] + common + [chart, "--set", "image.tag=test"])
            #expect(installed == 0, "\(installOut)")

            let deployments = client.api(UnstructuredObject.self, namespace: ns, resource: ResourceDescriptor(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true))
            let deployment = try #require(try await deployments.list().items.first)
            #expect(deployment["spec"]?["replicas"] == 2)
            let pod = try #require(deployment["spec"]?["template"]?["spec"])
            let container = try #require(pod["containers"]?.arrayValue?.first)
            // The restricted Pod Security Standard.
            #expect(pod["securityContext"]?["runAsNonRoot"] == true || container["securityContext"]?["runAsNonRoot"] == true)
            #expect(container["securityContext"]?["allowPrivilegeEscalation"] == false)
            #expect(container["securityContext"]?["readOnlyRootFilesystem"] == true)
            #expect(container["securityContext"]?["capabilities"]?["drop"] == ["ALL"])
            let seccomp = pod["securityContext"]?["seccompProfile"]?["type"] ?? container["securityContext"]?["seccompProfile"]?["type"]
            #expect(seccomp == "RuntimeDefault")
            #expect(container["image"]?.stringValue?.hasSuffix(":test") == true)
            let args = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(args.contains("--leader-elect=true"), "\(args)")
            #expect(args.contains("--flink-poll-interval=10s") && args.contains("--flink-max-jar-bytes=536870912") && args.contains("--flink-cleanup-timeout=5m"), "\(args)")
            // Room for the two JAR downloads the operator allows at once, and no more.
            let tmp = pod["volumes"]?.arrayValue?.first { $0["name"] == "tmp" }
            #expect(tmp?["emptyDir"]?["sizeLimit"]?.stringValue == "\(2 * 536_870_912 + 64 * 1024 * 1024)", "\(String(describing: tmp))")
            #expect(container["livenessProbe"]?["httpGet"]?["path"] == "/healthz")
            #expect(container["readinessProbe"]?["httpGet"]?["path"] == "/readyz")

            let clusterRoles = client.api(UnstructuredObject.self, namespace: nil, resource: ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false))
            #expect(try await clusterRoles.getIfPresent("\(release)-sked-operator") != nil)

            let (upgraded, upgradeOut) = try helm(["upgrade"] + common + [chart, "--set", "image.tag=test", "--set", "replicaCount=3", "--set", "logLevel=debug", "--set", "flink.pollInterval=3s", "--set", "flink.maxJarBytes=1073741824"])
            #expect(upgraded == 0, "\(upgradeOut)")
            let after = try #require(try await deployments.list().items.first)
            #expect(after["spec"]?["replicas"] == 3)
            let newArgs = after["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(newArgs.contains("--log-level=debug") && newArgs.contains("--flink-poll-interval=3s"), "\(newArgs)")
            let newTmp = after["spec"]?["template"]?["spec"]?["volumes"]?.arrayValue?.first { $0["name"] == "tmp" }
            #expect(newTmp?["emptyDir"]?["sizeLimit"]?.stringValue == "\(2 * 1_073_741_824 + 64 * 1024 * 1024)", "\(String(describing: newTmp))")

            let (removed, removeOut) = try helm(["uninstall"] + common)
            #expect(removed == 0, "\(removeOut)")
            #expect(try await deployments.list().items.isEmpty)
            #expect(try await clusterRoles.getIfPresent("\(release)-sked-operator") == nil)
        }
    }

    /// `prometheusRule.enabled` installs a PrometheusRule holding exactly the rules promtool
    /// checks (config/prometheus/sked-rules.yaml), with the labels asked for.
    @Test func thePrometheusRuleShipsTheCheckedRules() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let crd = TestControlPlane.repositoryRoot + "/Tests/Fixtures/crds/prometheusrules.monitoring.coreos.com.yaml"
        for args in [["apply", "-f", crd], ["wait", "--for", "condition=established", "--timeout=60s", "crd/prometheusrules.monitoring.coreos.com"]] {
            let (status, out) = try plane.kubectl(args)
            #expect(status == 0, "\(out)")
        }
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmrules") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "rules"]
            let (installed, out) = try helm(["install"] + common + [chart, "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.labels.release=kube-prometheus"])
            #expect(installed == 0, "\(out)")
            let rules = client.api(UnstructuredObject.self, namespace: ns, resource: ResourceDescriptor(group: "monitoring.coreos.com", version: "v1", kind: "PrometheusRule", plural: "prometheusrules", namespaced: true))
            let rule = try #require(try await rules.list().items.first)
            #expect(rule.metadata.labels?["release"] == "kube-prometheus")
            let file = try String(contentsOfFile: TestControlPlane.repositoryRoot + "/config/prometheus/sked-rules.yaml", encoding: .utf8)
            let expected = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: try #require(try Yams.load(yaml: file))))
            #expect(rule["spec"]?["groups"] == expected["groups"])
            let alerts = rule["spec"]?["groups"]?.arrayValue?.flatMap { $0["rules"]?.arrayValue ?? [] }.compactMap { $0["alert"]?.stringValue } ?? []
            #expect(Set(alerts).isSuperset(of: ["SkedNoRecentSuccess", "SkedScheduledJobInvalid", "SkedRunsMissed", "SkedScheduleLagHigh", "SkedNoLeader", "SkedReconcileErrors", "SkedFlinkUnreachable"]), "\(alerts)")
            _ = try helm(["uninstall"] + common)
        }
    }

    /// `webhook.enabled` registers the webhook with a generated CA that the Secret the pods
    /// mount matches, keeps both across an upgrade, and uninstall removes the registration.
    /// (failurePolicy Ignore here: no pod runs on this plane, and the registration is cluster-wide.)
    @Test func theWebhookIsRegisteredWithTheCAOfItsMountedCertificate() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmhook") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "hook"]
            let values = [chart, "--set", "webhook.enabled=true", "--set", "webhook.failurePolicy=Ignore"]
            let (installed, out) = try helm(["install"] + common + values)
            #expect(installed == 0, "\(out)")
            let configurations = client.api(UnstructuredObject.self, namespace: nil, resource: ResourceDescriptor(group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false))
            let secrets = client.api(Secret.self, namespace: ns)
            func registered() async throws -> (ca: String?, secret: Secret) {
                let vwc = try await configurations.get("hook-sked-\(ns)")
                let hook = vwc["webhooks"]?.arrayValue?.first
                #expect(hook?["failurePolicy"] == "Ignore" && hook?["clientConfig"]?["service"]?["path"] == "/validate-scheduledjob")
                #expect(hook?["rules"]?.arrayValue?.first?["resources"] == ["scheduledjobs"])
                return (hook?["clientConfig"]?["caBundle"]?.stringValue, try await secrets.get("hook-sked-webhook-cert"))
            }
            let (ca, secret) = try await registered()
            #expect(ca != nil && ca == secret.data?["ca.crt"]?.base64EncodedString())
            #expect(secret.data?["tls.crt"]?.isEmpty == false && secret.data?["tls.key"]?.isEmpty == false)
            let deployment = try #require(try await client.api(UnstructuredObject.self, namespace: ns, resource: .deployments).list().items.first)
            let container = deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first
            let args = container?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(args.contains("--webhook-bind-address=:9443") && args.contains("--webhook-cert-dir=/etc/sked/webhook-certs"), "\(args)")
            #expect(deployment["spec"]?["template"]?["spec"]?["volumes"]?.arrayValue?.contains { $0["secret"]?["secretName"] == "hook-sked-webhook-cert" } == true)

            let (upgraded, upOut) = try helm(["upgrade"] + common + values + ["--set", "logLevel=debug"])
            #expect(upgraded == 0, "\(upOut)")
            let (caAfter, secretAfter) = try await registered()
            #expect(caAfter == ca && secretAfter.data?["tls.key"] == secret.data?["tls.key"], "an upgrade must keep the CA the API server trusts")

            #expect(try helm(["uninstall"] + common).0 == 0)
            #expect(try await configurations.getIfPresent("hook-sked-\(ns)") == nil)
        }
    }

    /// Values that cannot work are refused by `helm install` itself, with one line naming the
    /// value, and nothing is installed.
    @Test(arguments: [
        (["--set", "replicaCount=2", "--set", "leaderElection.enabled=false"], "replicaCount > 1 needs leaderElection.enabled=true"),
        (["--set", "image.repository="], "/image/repository"),
        (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
    ])
    func valuesThatCannotWorkFailAtInstall(values: [String], message: String) async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmbad") { client, ns in
            let (status, out) = try helm(["install", "--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "bad", chart] + values)
            #expect(status == 1, "\(out)")
            let line = out.split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.hasPrefix("helm-check: install bad into \(ns): ") && line.contains(message), "\(out)")
            let deployments = client.api(UnstructuredObject.self, namespace: ns, resource: .deployments)
            #expect(try await deployments.list().items.isEmpty)
        }
    }
}
