import Foundation
import K8sClient
import K8sTestSupport
import Testing

/// The Kubernetes client against a real kube-apiserver + etcd.
@Suite(.serialized) struct ClientAgainstRealAPIServer {
    @Test func configMapCRUDWithOptimisticConcurrency() async throws {
        try await TestControlPlane.shared().withNamespace("crud") { client, ns in
            let api = client.api(ConfigMap.self, namespace: ns)
            let created = try await api.create(ConfigMap(metadata: ObjectMeta(name: "one", labels: ["app": "x"]), data: ["a": "1"]))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.namespace == ns)

            await #expect { _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "one"))) } throws: {
                ($0 as? KubernetesError)?.isAlreadyExists == true
            }

            var changed = created
            changed.data = ["a": "2"]
            let updated = try await api.update(changed)
            #expect(updated.data == ["a": "2"])
            // A write based on the old resourceVersion is refused with Conflict.
            await #expect { _ = try await api.update(created) } throws: { ($0 as? KubernetesError)?.isConflict == true }

            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "two", labels: ["app": "y"])))
            let selected = try await api.list(ListOptions(labelSelector: "app=x"))
            #expect(selected.items.map(\.metadata.name) == ["one"])
            let paged = try await api.listAll(pageSize: 1)
            #expect(Set(paged.items.compactMap(\.metadata.name)).isSuperset(of: ["one", "two"]))

            await #expect { try await api.delete("one", options: DeleteOptions(preconditions: .init(uid: "wrong-uid"))) } throws: {
                ($0 as? KubernetesError)?.isConflict == true
            }
            try await api.delete("one", options: DeleteOptions(preconditions: .init(uid: created.metadata.uid)))
            #expect(try await api.getIfPresent("one") == nil)
            #expect(try await api.deleteIfPresent("one") == false)
            await #expect { _ = try await api.get("one") } throws: { error in
                let e = error as? KubernetesError
                return e?.isNotFound == true && e?.message.contains("\"one\" not found") == true
            }
        }
    }

    @Test func jobsKeepTheirPodTemplateAndStatusIsWrittenThroughTheSubresource() async throws {
        try await TestControlPlane.shared().withNamespace("jobs") { client, ns in
            let api = client.api(Job.self, namespace: ns)
            let spec: JSONValue = [
                "backoffLimit": 0,
                "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"]]]]],
            ]
            let job = try await api.create(Job(metadata: ObjectMeta(name: "j1"), spec: spec))
            #expect(job.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first?["command"] == ["sh", "-c", "exit 3"])
            #expect(job.spec?["backoffLimit"] == 0)

            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            var finished = job
            finished.status = JobStatus(
                conditions: [JobCondition(type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit", lastTransitionTime: now)],
                startTime: now, failed: 1)
            let written = try await api.updateStatus(finished)
            #expect(written.finishedCondition?.type == "Failed")
            #expect(written.status?.failed == 1)
            #expect(try await api.get("j1").status?.startTime == now)

            try await api.delete("j1", options: DeleteOptions(propagationPolicy: .background))
        }
    }

    @Test func mergeJSONAndServerSideApplyPatches() async throws {
        try await TestControlPlane.shared().withNamespace("patch") { client, ns in
            let api = client.api(ConfigMap.self, namespace: ns)
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "p"), data: ["a": "1", "b": "2"]))

            let merged = try await api.patch("p", .merge(["data": ["a": "10", "b": nil]]))
            #expect(merged.data == ["a": "10"])

            let jsonPatched = try await api.patch("p", .json([.test("/data/a", "10"), .add("/data/c", "3")]))
            #expect(jsonPatched.data == ["a": "10", "c": "3"])
            await #expect { _ = try await api.patch("p", .json([.test("/data/a", "wrong")])) } throws: {
                ($0 as? KubernetesError)?.statusCode == 422
            }

            let applied = try await api.patch("p", .apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "p"], "data": ["d": "4"]], fieldManager: "sked-test"))
            #expect(applied.data?["d"] == "4")
            #expect(applied.data?["a"] == "10")
            // Another manager taking over a field it does not own conflicts unless forced.
            let take: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "p"], "data": ["d": "5"]]
            await #expect { _ = try await api.patch("p", .apply(take, fieldManager: "other")) } throws: {
                ($0 as? KubernetesError)?.isConflict == true
            }
            #expect(try await api.patch("p", .apply(take, fieldManager: "other", force: true)).data?["d"] == "5")
        }
    }

    @Test func statusSubresourceOfACustomResource() async throws {
        try await TestControlPlane.shared().withNamespace("crd") { client, ns in
            let group = "\(ns).test.sked.dev"
            let crd: JSONValue = [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": .string("widgets.\(group)")],
                "spec": [
                    "group": .string(group), "scope": "Namespaced",
                    "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
                    "versions": [[
                        "name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                        "schema": ["openAPIV3Schema": ["type": "object", "properties": [
                            "spec": ["type": "object", "properties": ["size": ["type": "integer"]]],
                            "status": ["type": "object", "properties": ["phase": ["type": "string"]]],
                        ]]],
                    ]],
                ],
            ]
            let crds = client.api(UnstructuredObject.self, namespace: nil, resource: .customResourceDefinitions)
            let crdObject = try KubernetesJSON.decode(UnstructuredObject.self, from: KubernetesJSON.encode(crd))
            _ = try await crds.create(crdObject)
            defer { Task { [crds] in try? await crds.delete("widgets.\(group)") } }

            let widgets = ResourceDescriptor(group: group, version: "v1", kind: "Widget", plural: "widgets", namespaced: true)
            let api = client.api(UnstructuredObject.self, namespace: ns, resource: widgets)
            var created: UnstructuredObject?
            let established = await eventually(timeout: .seconds(60)) {
                created = try? await api.create(UnstructuredObject(apiVersion: "\(group)/v1", kind: "Widget", metadata: ObjectMeta(name: "w"), fields: ["spec": ["size": 1]]))
                return created != nil
            }
            #expect(established)
            var w = try #require(created)
            w["status"] = ["phase": "Ready"]
            w["spec"] = ["size": 99]
            let afterStatus = try await api.updateStatus(w)
            #expect(afterStatus["status"]?["phase"] == "Ready")
            #expect(afterStatus["spec"]?["size"] == 1)  // the status subresource ignores spec changes

            let patched = try await api.patchStatus("w", .merge(["status": ["phase": "Done"]]))
            #expect(patched["status"]?["phase"] == "Done")
            let plain = try await api.patch("w", .merge(["status": ["phase": "Ignored"], "spec": ["size": 2]]))
            #expect(plain["status"]?["phase"] == "Done")  // and the main resource ignores status changes
            #expect(plain["spec"]?["size"] == 2)
        }
    }

    @Test func restrictedIdentityGetsForbiddenWithTheServersMessage() async throws {
        let plane = try await TestControlPlane.shared()
        try await KubernetesClient.withClient(configuration: try plane.operatorIdentity) { client async throws in
            await #expect { _ = try await client.api(Secret.self, namespace: "kube-system").list() } throws: { error in
                let e = error as? KubernetesError
                return e?.reason == .forbidden && e?.statusCode == 403
                    && e?.message.contains("system:serviceaccount:sked-system:sked") == true
                    && e?.message.contains("cannot list resource \"secrets\"") == true
            }
        }
    }

    @Test func tlsVerificationIsOnAndRejectsAnUntrustedServer() async throws {
        let plane = try await TestControlPlane.shared()
        var config = try plane.admin
        config.certificateAuthorityPEM = nil  // the system store does not trust the test CA
        try await KubernetesClient.withClient(configuration: config) { client async throws in
            await #expect { _ = try await client.api(Namespace.self, namespace: nil).list() } throws: {
                ($0 as? KubernetesError)?.reason == .tls && ($0 as? KubernetesError)?.isTransient == false
            }
        }
        config.insecureSkipTLSVerify = true
        try await KubernetesClient.withClient(configuration: config) { client async throws in
            #expect(try await client.api(Namespace.self, namespace: nil).list().items.count >= 1)
        }
    }
}
