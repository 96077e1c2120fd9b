import Foundation
import K8sClient
import K8sTestSupport
import Testing
import Yams

/// charts/sked with Helm's own Go engine (helm-sdkpy) against the real API server.
@Suite struct HelmChart {
    /// Installs and upgrades leave the CRD alone (crds.install=false): the plane's CRD is
    /// CRDInstaller's, shared by every test; `theCRDIsAReleaseResourceKeptOnUninstall` is
    /// the one test of the chart's CRD.
    func helm(_ args: [String]) throws -> (Int32, String) {
        let keepCRD = ["install", "upgrade"].contains(args.first ?? "") && !args.contains { $0.hasPrefix("crds.install=") }
        return try TestProcess.run("/usr/bin/env", ["python3", TestControlPlane.repositoryRoot + "/scripts/helm-check.py"] + args + (keepCRD ? ["--set", "crds.install=false"] : []))
    }

    /// Applies Tests/Fixtures/crds/NAME.yaml (a schema-less stand-in for another project's CRD)
    /// and waits until it is established.
    func applyFixtureCRD(_ name: String, _ plane: TestControlPlane) throws {
        let fixture = TestControlPlane.repositoryRoot + "/Tests/Fixtures/crds/\(name).yaml"
        for args in [["apply", "-f", fixture], ["wait", "--for", "condition=established", "--timeout=60s", "crd/\(name)"]] {
            let (status, out) = try plane.kubectl(args)
            #expect(status == 0, "\(out)")
        }
    }

    static let clusterRoles = ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false)
    static let crds = ResourceDescriptor(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false)
    static let networkPolicies = ResourceDescriptor(group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true)
    static let serviceMonitors = ResourceDescriptor(group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor", plural: "servicemonitors", namespaced: true)

    /// The values of a production install reach the pod spec, RBAC and NetworkPolicy as given.
    @Test func productionValuesReachThePodRBACAndNetworkPolicy() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        try await plane.withNamespace("helmprod") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "prod"]
            let values = [
                chart, "--set", "image.registry=registry.example.com:5000", "--set", "image.digest=\(digest)",
                "--set", "priorityClassName=system-cluster-critical",
                "--set", "topologySpreadConstraints[0].maxSkew=1", "--set", "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
                "--set", "topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway",
                "--set", "leaderElection.leaseDuration=30s", "--set", "leaderElection.renewDeadline=20s", "--set", "leaderElection.retryPeriod=4s",
                "--set", "proxy.http=http://proxy.corp:3128", "--set", "proxy.https=http://proxy.corp:3128", "--set", "proxy.noProxy=.svc\\,10.0.0.0/8",
                "--set", "extraVolumes[0].name=corp-ca", "--set", "extraVolumes[0].configMap.name=corp-ca",
                "--set", "extraVolumeMounts[0].name=corp-ca", "--set", "extraVolumeMounts[0].mountPath=/etc/ssl/certs/corp-ca.pem",
                "--set", "extraVolumeMounts[0].subPath=ca.pem",
                "--set", "networkPolicy.enabled=true", "--set", "networkPolicy.apiServer[0].ipBlock.cidr=10.0.0.1/32",
                "--set", "networkPolicy.egress[0].ports[0].port=8081",
            ]
            let (installed, out) = try helm(["install"] + common + values)
            #expect(installed == 0, "\(out)")
            let deployment = try #require(try await client.api(UnstructuredObject.self, namespace: ns, resource: .deployments).list().items.first)
            let pod = try #require(deployment["spec"]?["template"]?["spec"])
            let container = try #require(pod["containers"]?.arrayValue?.first)
            #expect(container["image"] == .string("registry.example.com:5000/sked@\(digest)"))
            #expect(pod["priorityClassName"] == "system-cluster-critical")
            let spread = pod["topologySpreadConstraints"]?.arrayValue?.first
            #expect(spread?["topologyKey"] == "topology.kubernetes.io/zone" && spread?["maxSkew"] == 1)
            #expect(spread?["labelSelector"]?["matchLabels"]?["app.kubernetes.io/instance"] == "prod", "a constraint without selector spreads the operator pods")
            let args = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(args.contains("--leader-election-lease-duration=30s") && args.contains("--leader-election-renew-deadline=20s") && args.contains("--leader-election-retry-period=4s"), "\(args)")
            var env: [String: String] = [:]
            for e in container["env"]?.arrayValue ?? [] { if let n = e["name"]?.stringValue, let v = e["value"]?.stringValue { env[n] = v } }
            #expect(env["HTTP_PROXY"] == "http://proxy.corp:3128" && env["HTTPS_PROXY"] == "http://proxy.corp:3128" && env["NO_PROXY"] == ".svc,10.0.0.0/8", "\(env)")
            #expect(pod["volumes"]?.arrayValue?.contains { $0["name"] == "corp-ca" && $0["configMap"]?["name"] == "corp-ca" } == true)
            #expect(container["volumeMounts"]?.arrayValue?.contains { $0["name"] == "corp-ca" && $0["subPath"] == "ca.pem" } == true)

            let policy = try await client.api(UnstructuredObject.self, namespace: ns, resource: Self.networkPolicies).get("prod-sked-operator")
            #expect(policy["spec"]?["podSelector"]?["matchLabels"]?["app.kubernetes.io/instance"] == "prod")
            let ingressPorts = Set(policy["spec"]?["ingress"]?.arrayValue?.first?["ports"]?.arrayValue?.compactMap { $0["port"]?.intValue } ?? [])
            #expect(ingressPorts == [8080, 8081], "metrics and probes only: \(ingressPorts)")
            let egress = policy["spec"]?["egress"]?.arrayValue ?? []
            #expect(egress.count == 3, "DNS, the API server, the Flink rule: \(egress)")
            #expect(egress.contains { $0["to"]?.arrayValue?.first?["ipBlock"]?["cidr"] == "10.0.0.1/32" && $0["ports"]?.arrayValue?.first?["port"] == 443 })

            // Least privilege: no Secret access unless headersSecretRef is wanted.
            let roles = client.api(UnstructuredObject.self, namespace: nil, resource: Self.clusterRoles)
            func readsSecrets() async throws -> Bool {
                let role = try await roles.get("prod-sked-operator")
                return role["rules"]?.arrayValue?.contains { $0["resources"]?.arrayValue?.contains("secrets") == true } == true
            }
            #expect(try await readsSecrets() == false)
            let (upgraded, upOut) = try helm(["upgrade"] + common + values + ["--set", "rbac.secrets=true"])
            #expect(upgraded == 0, "\(upOut)")
            #expect(try await readsSecrets() == true)
            #expect(try helm(["uninstall"] + common).0 == 0)
        }
    }

    /// The narrowest install: a namespaced one reading only the named header Secret, with the
    /// ServiceAccount policy on; checked as the operator's own identity with `kubectl auth can-i`.
    @Test func aNamespacedInstallReadsOnlyTheNamedSecretAndItsOwnNamespace() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmleast") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "least"]
            let (installed, out) = try helm(["install"] + common + [chart, "--set", "rbac.namespaced=true", "--set", "watchNamespaces={\(ns)}",
                "--set", "rbac.secrets=true", "--set", "rbac.secretNames={flink-headers}",
                "--set", "jobServiceAccounts.restrict=true", "--set", "jobServiceAccounts.allowed={default,runner}"])
            #expect(installed == 0, "\(out)")
            let deployment = try #require(try await client.api(UnstructuredObject.self, namespace: ns, resource: .deployments).list().items.first)
            let pod = try #require(deployment["spec"]?["template"]?["spec"])
            let account = try #require(pod["serviceAccountName"]?.stringValue)
            let args = pod["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(args.contains("--allowed-service-accounts=default,runner"), "\(args)")
            func can(_ verb: String, _ resource: String, namespaced: Bool = true) throws -> Bool {
                // Exit 0 is yes, 1 no (the output also carries kubectl's warnings).
                try plane.kubectl(["auth", "can-i", verb, resource, "--as", "system:serviceaccount:\(ns):\(account)"] + (namespaced ? ["-n", ns] : [])).0 == 0
            }
            #expect(try can("get", "secrets/flink-headers"))
            #expect(try !can("get", "secrets/other") && !can("list", "secrets"), "only the named Secret")
            #expect(try can("get", "namespaces/\(ns)", namespaced: false) && can("watch", "namespaces/\(ns)", namespaced: false))
            #expect(try !can("get", "namespaces/kube-system", namespaced: false) && !can("list", "namespaces", namespaced: false), "only the watched Namespace")
            #expect(try !can("list", "jobs.batch", namespaced: false) && !can("list", "scheduledjobs.sked.dev", namespaced: false), "nothing cluster-wide but that Namespace")
            _ = try helm(["uninstall"] + common)
        }
    }

    /// metrics.serviceMonitor.enabled on a cluster without the Prometheus Operator's CRDs
    /// installs everything else (and says so); once the CRD exists an upgrade adds it.
    @Test func theServiceMonitorIsRenderedOnlyWhereItsCRDExists() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmsm") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "sm"]
            let values = [chart, "--notes", "--set", "metrics.serviceMonitor.enabled=true"]
            let crdName = "servicemonitors.monitoring.coreos.com"
            let crds = client.api(UnstructuredObject.self, namespace: nil, resource: Self.crds)
            if try await crds.getIfPresent(crdName) == nil {
                let (installed, out) = try helm(["install"] + common + values)
                #expect(installed == 0, "\(out)")
                #expect(out.contains("no ServiceMonitor was created"), "\(out)")
                #expect(try await client.api(UnstructuredObject.self, namespace: ns, resource: .deployments).list().items.count == 1)
            }
            try applyFixtureCRD(crdName, plane)
            let (upgraded, upOut) = try helm(["upgrade", "--install"] + common + values)
            #expect(upgraded == 0, "\(upOut)")
            let monitor = try await client.api(UnstructuredObject.self, namespace: ns, resource: Self.serviceMonitors).getIfPresent("sm-sked")
            #expect(monitor?["spec"]?["endpoints"]?.arrayValue?.first?["port"] == "metrics")
            _ = try helm(["uninstall"] + common)
        }
    }

    /// The CRD is a release resource: `helm upgrade` applies the chart's CRD (here: its
    /// annotations), it is the one in config/crd, and `helm uninstall` keeps it. Run on the
    /// shared plane's CRD, adopted for the test and given back unchanged in its schema.
    @Test func theCRDIsAReleaseResourceKeptOnUninstall() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let root = TestControlPlane.repositoryRoot
        #expect(try String(contentsOfFile: root + "/charts/sked/files/crds/sked.dev_scheduledjobs.yaml", encoding: .utf8)
            == String(contentsOfFile: root + "/config/crd/sked.dev_scheduledjobs.yaml", encoding: .utf8), "charts/sked/files/crds is a copy of config/crd")
        try await plane.withNamespace("helmcrd") { client, ns in
            let crds = client.api(UnstructuredObject.self, namespace: nil, resource: Self.crds)
            let name = "scheduledjobs.sked.dev"
            let before = try await crds.get(name)
            // What Helm needs to adopt an object it did not create; metadata only, so the
            // API server keeps serving ScheduledJobs to the other tests undisturbed.
            func label(_ args: [String]) throws {
                let (status, out) = try plane.kubectl(args)
                #expect(status == 0, "\(out)")
            }
            try label(["label", "--overwrite", "crd", name, "app.kubernetes.io/managed-by=Helm"])
            try label(["annotate", "--overwrite", "crd", name, "meta.helm.sh/release-name=crd", "meta.helm.sh/release-namespace=\(ns)"])
            defer {
                _ = try? plane.kubectl(["label", "crd", name, "app.kubernetes.io/managed-by-", "helm.sh/chart-", "app.kubernetes.io/name-", "app.kubernetes.io/instance-", "app.kubernetes.io/component-", "app.kubernetes.io/version-", "app.kubernetes.io/part-of-"])
                _ = try? plane.kubectl(["annotate", "crd", name, "meta.helm.sh/release-name-", "meta.helm.sh/release-namespace-", "helm.sh/resource-policy-", "example.com/owner-"])
            }
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "crd"]
            let chart = root + "/charts/sked"
            let (installed, out) = try helm(["install"] + common + [chart, "--set", "crds.install=true"])
            try #require(installed == 0, "\(out)")
            let owned = try await crds.get(name)
            #expect(owned.metadata.annotations?["helm.sh/resource-policy"] == "keep")
            #expect(owned.metadata.labels?["app.kubernetes.io/instance"] == "crd")
            #expect(owned["spec"] == before["spec"], "the chart's CRD is config/crd's")
            let (upgraded, upOut) = try helm(["upgrade"] + common + [chart, "--set", "crds.install=true", "--set", "crds.annotations.example\\.com/owner=platform"])
            #expect(upgraded == 0, "\(upOut)")
            #expect(try await crds.get(name).metadata.annotations?["example.com/owner"] == "platform", "helm upgrade applies the CRD")
            #expect(try helm(["uninstall"] + common).0 == 0)
            let after = try await crds.getIfPresent(name)
            #expect(after?.metadata.uid == before.metadata.uid, "helm uninstall keeps the CRD (and every ScheduledJob)")
        }
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
            #expect(args.contains("--flink-follow-redirects=same-origin") && args.contains("--flink-require-secret-label=true"), "\(args)")
            #expect(!args.contains { $0.hasPrefix("--allowed-url-cidrs") || $0.hasPrefix("--denied-url-cidrs") }, "the operator's own defaults: \(args)")
            // Room for the two JAR downloads the operator allows at once, and no more.
            let tmp = pod["volumes"]?.arrayValue?.first { $0["name"] == "tmp" }
            #expect(tmp?["emptyDir"]?["sizeLimit"]?.stringValue == "\(2 * 536_870_912 + 64 * 1024 * 1024)", "\(String(describing: tmp))")
            #expect(container["livenessProbe"]?["httpGet"]?["path"] == "/healthz")
            #expect(container["readinessProbe"]?["httpGet"]?["path"] == "/readyz")

            let clusterRoles = client.api(UnstructuredObject.self, namespace: nil, resource: Self.clusterRoles)
            #expect(try await clusterRoles.getIfPresent("\(release)-sked-operator") != nil)

            let (upgraded, upgradeOut) = try helm(["upgrade"] + common + [chart, "--set", "image.tag=test", "--set", "replicaCount=3", "--set", "logLevel=debug", "--set", "flink.pollInterval=3s", "--set", "flink.maxJarBytes=1073741824",
                                                          "--set", "flink.allowedURLCIDRs={10.0.0.0/8,fd00::/8}", "--set", "flink.deniedURLCIDRs={10.9.0.0/16}"])
            #expect(upgraded == 0, "\(upgradeOut)")
            let after = try #require(try await deployments.list().items.first)
            #expect(after["spec"]?["replicas"] == 3)
            let newArgs = after["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(newArgs.contains("--log-level=debug") && newArgs.contains("--flink-poll-interval=3s"), "\(newArgs)")
            #expect(newArgs.contains("--allowed-url-cidrs=10.0.0.0/8,fd00::/8") && newArgs.contains("--denied-url-cidrs=10.9.0.0/16"), "\(newArgs)")
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
        try applyFixtureCRD("prometheusrules.monitoring.coreos.com", plane)
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
            let values = [chart, "--set", "webhook.enabled=true", "--set", "webhook.certificate=helm", "--set", "webhook.failurePolicy=Ignore"]
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

    static let webhookConfigurations = ResourceDescriptor(group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false)

    /// By default the operator issues the webhook's certificate: the chart passes it the
    /// Secret, hosts and configuration, mounts nothing, leaves caBundle to it, and grants
    /// exactly that Secret and that configuration. (The pods doing it: InstallPath.)
    @Test func theWebhookCertificateIsTheOperatorsByDefault() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmselfcert") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "own"]
            let (installed, out) = try helm(["install"] + common + [chart, "--set", "webhook.enabled=true", "--set", "webhook.failurePolicy=Ignore"])
            try #require(installed == 0, "\(out)")
            let deployment = try #require(try await client.api(UnstructuredObject.self, namespace: ns, resource: .deployments).list().items.first)
            let pod = deployment["spec"]?["template"]?["spec"]
            let args = pod?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for arg in ["--webhook-bind-address=:9443", "--webhook-cert-secret=own-sked-webhook-cert", "--webhook-configuration=own-sked-\(ns)",
                        "--webhook-cert-hosts=own-sked-webhook.\(ns).svc,own-sked-webhook.\(ns).svc.cluster.local", "--leader-election-owner-deployment=own-sked-operator"] {
                #expect(args.contains(arg), "\(arg) in \(args)")
            }
            #expect(!args.contains { $0.hasPrefix("--webhook-cert-dir") })
            #expect(pod?["volumes"]?.arrayValue?.contains { $0["name"] == "webhook-cert" } == false)
            #expect(try await client.api(Secret.self, namespace: ns).getIfPresent("own-sked-webhook-cert") == nil, "the operator writes it, not Helm")
            let vwc = try await client.api(UnstructuredObject.self, namespace: nil, resource: Self.webhookConfigurations).get("own-sked-\(ns)")
            #expect(vwc["webhooks"]?.arrayValue?.first?["clientConfig"]?["caBundle"] == nil)
            let role = try await client.api(UnstructuredObject.self, namespace: ns, resource: ResourceDescriptor(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)).get("own-sked-webhook-cert")
            let rules = role["rules"]?.arrayValue ?? []
            #expect(rules.contains { $0["resources"] == ["secrets"] && $0["resourceNames"] == ["own-sked-webhook-cert"] && $0["verbs"] == ["get", "update"] })
            let caRole = try await client.api(UnstructuredObject.self, namespace: nil, resource: Self.clusterRoles).get("own-sked-\(ns)-webhook-ca")
            #expect(caRole["rules"]?.arrayValue == [.object(["apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "resourceNames": .array([.string("own-sked-\(ns)")]), "verbs": ["get", "update"]])])
            #expect(try helm(["uninstall"] + common).0 == 0)
            #expect(try await client.api(UnstructuredObject.self, namespace: nil, resource: Self.clusterRoles).getIfPresent("own-sked-\(ns)-webhook-ca") == nil)
        }
    }

    /// webhook.certificate=certManager: a Certificate for the Service's names (from a
    /// self-signed Issuer, or the issuerRef given), mounted by the pods, and the caBundle left
    /// to cert-manager's cainjector; without cert-manager, install says so in one line.
    @Test func certManagerIssuesTheWebhookCertificateWhenAsked() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        let chart = TestControlPlane.repositoryRoot + "/charts/sked"
        try await plane.withNamespace("helmcm") { client, ns in
            let common = ["--kubeconfig", plane.adminKubeconfig, "--namespace", ns, "--release", "cm"]
            let values = [chart, "--set", "webhook.enabled=true", "--set", "webhook.certificate=certManager", "--set", "webhook.failurePolicy=Ignore"]
            let crds = client.api(UnstructuredObject.self, namespace: nil, resource: Self.crds)
            if try await crds.getIfPresent("certificates.cert-manager.io") == nil {
                let (refused, out) = try helm(["install"] + common + values)
                #expect(refused == 1 && out.contains("webhook.certificate=certManager needs cert-manager in the cluster"), "\(out)")
            }
            for crd in ["certificates.cert-manager.io", "issuers.cert-manager.io"] { try applyFixtureCRD(crd, plane) }
            let (installed, out) = try helm(["install"] + common + values)
            try #require(installed == 0, "\(out)")
            let certificates = client.api(UnstructuredObject.self, namespace: ns, resource: ResourceDescriptor(group: "cert-manager.io", version: "v1", kind: "Certificate", plural: "certificates", namespaced: true))
            let issuers = client.api(UnstructuredObject.self, namespace: ns, resource: ResourceDescriptor(group: "cert-manager.io", version: "v1", kind: "Issuer", plural: "issuers", namespaced: true))
            let certificate = try await certificates.get("cm-sked-webhook")
            #expect(certificate["spec"]?["secretName"] == "cm-sked-webhook-cert")
            #expect(certificate["spec"]?["dnsNames"] == .array([.string("cm-sked-webhook.\(ns).svc"), .string("cm-sked-webhook.\(ns).svc.cluster.local")]))
            #expect(certificate["spec"]?["issuerRef"]?["name"] == "cm-sked-webhook-selfsigned")
            #expect(try await issuers.get("cm-sked-webhook-selfsigned")["spec"]?["selfSigned"] != nil)
            let vwc = try await client.api(UnstructuredObject.self, namespace: nil, resource: Self.webhookConfigurations).get("cm-sked-\(ns)")
            #expect(vwc.metadata.annotations?["cert-manager.io/inject-ca-from"] == "\(ns)/cm-sked-webhook")
            let deployment = try #require(try await client.api(UnstructuredObject.self, namespace: ns, resource: .deployments).list().items.first)
            let pod = deployment["spec"]?["template"]?["spec"]
            #expect(pod?["volumes"]?.arrayValue?.contains { $0["secret"]?["secretName"] == "cm-sked-webhook-cert" } == true)
            #expect(pod?["containers"]?.arrayValue?.first?["args"]?.arrayValue?.contains("--webhook-cert-dir=/etc/sked/webhook-certs") == true)

            let (upgraded, upOut) = try helm(["upgrade"] + common + values + ["--set", "webhook.certManager.issuerRef.kind=ClusterIssuer", "--set", "webhook.certManager.issuerRef.name=corp-ca"])
            #expect(upgraded == 0, "\(upOut)")
            #expect(try await certificates.get("cm-sked-webhook")["spec"]?["issuerRef"] == .object(["kind": "ClusterIssuer", "name": "corp-ca"]))
            #expect(try await issuers.getIfPresent("cm-sked-webhook-selfsigned") == nil)
            _ = try helm(["uninstall"] + common)
        }
    }

    /// Values that cannot work are refused by `helm install` itself, with one line naming the
    /// value, and nothing is installed.
    @Test(arguments: [
        (["--set", "replicaCount=2", "--set", "leaderElection.enabled=false"], "replicaCount > 1 needs leaderElection.enabled=true"),
        (["--set", "image.repository="], "/image/repository"),
        (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
        (["--set", "flink.deniedURLCIDRs={10.0.0.0/8,intranet}"], "/flink/deniedURLCIDRs/1"),
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
