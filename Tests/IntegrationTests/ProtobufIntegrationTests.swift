import Foundation
import K8sClient
import K8sTestSupport
import Testing

/// The informer reads Jobs as protobuf: it must see exactly what the JSON view sees.
@Suite(.serialized) struct ProtobufAgainstRealAPIServer {
    /// A Job as sked writes them: labels, annotations, a controller owner reference (to a real
    /// object, or the garbage collector would remove it), and a pod template to skip.
    func job(_ name: String, owner: ConfigMap) -> Job {
        Job(
            metadata: ObjectMeta(
                name: name, labels: ["sked.dev/scheduled-job": "sj", "app": "web"],
                annotations: ["sked.dev/scheduled-time": "2026-01-01T00:00:00Z", "sked.dev/attempt": "1", "note": String(repeating: "x", count: 300)],
                ownerReferences: [OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true)]),
            spec: ["backoffLimit": 2, "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox", "command": ["sh", "-c", "exit 3"]]]]]])
    }

    @Test func listsDecodeToTheSameJobsAsJSON() async throws {
        try await TestControlPlane.shared().withNamespace("pb-list") { client, ns in
            let owner = try await client.api(ConfigMap.self, namespace: ns).create(ConfigMap(metadata: ObjectMeta(name: "owner")))
            let json = client.api(Job.self, namespace: ns).omittingSpec()
            let protobuf = client.api(Job.self, namespace: ns).preferringProtobuf()
            for i in 0..<4 { _ = try await json.create(job("job-\(i)", owner: owner)) }
            // Single-object answers (a create, a get) come back as protobuf too.
            let created = try await protobuf.create(job("job-4", owner: owner))
            #expect(created.metadata.uid != nil && created.metadata.annotations?["note"]?.count == 300)
            let got = try await protobuf.get("job-4")
            #expect(got.metadata.uid == created.metadata.uid && got.metadata.controllerReference?.uid == owner.metadata.uid)
            // A finished-looking status with every field the cache reads.
            _ = try await json.patchStatus("job-0", .merge(["status": [
                "startTime": "2026-01-01T00:00:01Z", "completionTime": "2026-01-01T00:00:09Z", "failed": 3,
                "conditions": [["type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit",
                                "lastProbeTime": "2026-01-01T00:00:09Z", "lastTransitionTime": "2026-01-01T00:00:09Z"]]]]))
            // The Job controller writes status too: compare once both views read the same versions.
            var fromJSON: [Job] = []
            var fromProtobuf: [Job] = []
            let agreed = try await eventually(timeout: .seconds(60)) {
                fromJSON = try await json.list(ListOptions(labelSelector: "sked.dev/scheduled-job")).items.sorted { $0.metadata.name! < $1.metadata.name! }
                fromProtobuf = try await protobuf.list(ListOptions(labelSelector: "sked.dev/scheduled-job")).items.sorted { $0.metadata.name! < $1.metadata.name! }
                return fromJSON.map(\.metadata.resourceVersion) == fromProtobuf.map(\.metadata.resourceVersion)
            }
            #expect(agreed)
            #expect(fromProtobuf.count == 5)
            #expect(fromProtobuf == fromJSON)
            let failed = try #require(fromProtobuf.first)
            #expect(failed.finishedCondition?.reason == "BackoffLimitExceeded")
            #expect(failed.status?.completionTime == RFC3339.parse("2026-01-01T00:00:09Z"))
            #expect(failed.metadata.controllerReference?.uid == owner.metadata.uid)
            #expect(failed.metadata.annotations?["note"]?.count == 300)
            #expect(failed.spec == nil)

            // Pages: continue tokens and the list's resourceVersion come through.
            let page = try await protobuf.list(ListOptions(labelSelector: "sked.dev/scheduled-job", limit: 2))
            #expect(page.items.count == 2)
            #expect(page.metadata.continue?.isEmpty == false)
            #expect(page.metadata.resourceVersion != nil)

            // Errors are protobuf `Status` objects when protobuf was asked for.
            do {
                _ = try await client.request("GET", path: "/apis/batch/v1/namespaces/\(ns)/jobs/missing", accept: "application/vnd.kubernetes.protobuf")
                Issue.record("expected NotFound")
            } catch let e as KubernetesError {
                #expect(e.isNotFound)
                #expect(e.message == #"jobs.batch "missing" not found"#)
            }
        }
    }

    @Test func watchesDeliverTheSameEventsAsJSON() async throws {
        try await TestControlPlane.shared().withNamespace("pb-watch") { client, ns in
            let owner = try await client.api(ConfigMap.self, namespace: ns).create(ConfigMap(metadata: ObjectMeta(name: "owner")))
            let json = client.api(Job.self, namespace: ns).omittingSpec()
            let protobuf = client.api(Job.self, namespace: ns).preferringProtobuf()
            let rv = try #require(try await json.list().metadata.resourceVersion)
            let created = try await json.create(job("watched", owner: owner))
            _ = try await json.patch("watched", .merge(["metadata": ["labels": ["stage": "two"]]]))
            try await json.delete("watched", options: DeleteOptions(propagationPolicy: .background))

            func events(_ api: API<Job>) async throws -> [String] {
                var seen: [String] = []
                for try await event in try await api.watch(WatchOptions(resourceVersion: rv, timeoutSeconds: 2)) {
                    switch event {
                    case .added(let j): seen.append("ADDED \(j.metadata.name!) \(j.metadata.uid!)")
                    case .modified(let j): seen.append("MODIFIED \(j.metadata.name!) \(j.metadata.labels?["stage"] ?? "-")")
                    case .deleted(let j): seen.append("DELETED \(j.metadata.name!) \(j.metadata.deletionTimestamp != nil || j.metadata.name != nil)")
                    case .bookmark: break
                    case .error(let s): seen.append("ERROR \(s.reason ?? "")")
                    case .undecodable(let u, _): seen.append("UNDECODABLE \(u)")
                    }
                }
                return seen
            }
            let viaJSON = try await events(json)
            let viaProtobuf = try await events(protobuf)
            #expect(viaProtobuf == viaJSON)
            #expect(viaProtobuf.first == "ADDED watched \(created.metadata.uid!)")
            #expect(viaProtobuf.contains("MODIFIED watched two"))
            #expect(viaProtobuf.last?.hasPrefix("DELETED watched") == true)
            // (An expired protobuf watch, ERROR event with a Status, is in ProtobufDecoding; the
            // fault-injection suite's expiry scenario sees sked relist its protobuf Job watch.)
        }
    }
}
