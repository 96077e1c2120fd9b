import Foundation
import K8sClient
import K8sRuntime
import K8sTestSupport
import Testing

/// Etcd's current revision and a compaction up to it, through etcd's JSON gateway.
func compactEtcd(_ etcd: String) throws {
    let (_, out) = try TestProcess.run("/usr/bin/curl", ["-s", "-X", "POST", "\(etcd)/v3/kv/range", "-d", #"{"key":"AA=="}"#])
    let header = try KubernetesJSON.decode(JSONValue.self, from: Data(out.utf8))["header"]
    let revision = try #require(header?["revision"]?.stringValue)
    let (status, res) = try TestProcess.run("/usr/bin/curl", ["-s", "-X", "POST", "\(etcd)/v3/kv/compaction", "-d", #"{"revision":"\#(revision)","physical":true}"#])
    #expect(status == 0, "compaction failed: \(res)")
}

@Suite(.serialized) struct WatchAgainstRealAPIServer {
    @Test func watcherResumesAfterEachDisconnectWithoutRelistingOrLosingEvents() async throws {
        try await TestControlPlane.shared().withNamespace("resume") { client, ns in
            let api = client.api(ConfigMap.self, namespace: ns)
            var config = WatcherConfiguration()
            config.watchTimeoutSeconds = 1  // the server drops the watch every second
            let watcher = Watcher(api: api, configuration: config)
            let seen = LockedBox<Set<String>>([])
            let restarts = LockedBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await e in watcher {
                        switch e {
                        case .restarted: restarts.withLock { $0 += 1 }
                        case .applied(let o): _ = seen.withLock { $0.insert(o.metadata.name!) }
                        case .deleted, .undecodable: break
                        }
                    }
                }
                _ = await eventually { restarts.value == 1 }
                for i in 0..<12 {
                    _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(i)")))
                    try await Task.sleep(for: .milliseconds(300))  // spans several disconnects
                }
                let all = await eventually(timeout: .seconds(60)) { seen.value.count == 12 }
                group.cancelAll()
                #expect(all, "saw \(seen.value.count) of 12")
            }
            #expect(restarts.value == 1)  // resumed from its resourceVersion each time, never relisted
        }
    }

    @Test func staleResourceVersionIsGoneAndTheInformerRelists() async throws {
        let plane = try await TestControlPlane.shared()
        try await plane.withNamespace("gone") { client, ns in
            let api = client.api(ConfigMap.self, namespace: ns)
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "before")))
            let listRV = try #require(try await api.list().metadata.resourceVersion)
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "after")))
            // Compaction keeps the revision it is given, so write once more and compact up to
            // that: the revision right after the list is then gone.
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "after-2")))
            try compactEtcd(plane.etcdURL)

            // The building block: a watch from a compacted resourceVersion is expired.
            var events = try await api.watch(WatchOptions(resourceVersion: listRV, timeoutSeconds: 5)).makeAsyncIterator()
            do {
                let first = try await events.next()
                guard case .error(let status) = first else { Issue.record("expected an ERROR event, got \(String(describing: first))"); return }
                #expect(status.asError.isResourceExpired)
            } catch let e as KubernetesError {
                #expect(e.isResourceExpired)
            }

            // The informer: hold it after its first list, make that list's version stale, release.
            let informer = Informer(api: api)
            let gate = LockedBox(false)
            let restarts = LockedBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await informer.run { _ in
                        if restarts.value == 0 {
                            restarts.value = 1
                            while !gate.value { try? await Task.sleep(for: .milliseconds(10)) }
                        }
                    }
                }
                _ = await eventually { informer.hasSynced }
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "while-held")))
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "bump")))
                try compactEtcd(plane.etcdURL)
                gate.value = true
                let converged = await eventually(timeout: .seconds(60)) {
                    informer.store.get(namespace: ns, name: "while-held") != nil && informer.store.count == 5
                }
                group.cancelAll()
                #expect(converged)
            }
        }
    }

    @Test func informerConvergesOnAThousandObjects() async throws {
        try await TestControlPlane.shared().withNamespace("many") { client, ns in
            let api = client.api(ConfigMap.self, namespace: ns)
            let informer = Informer(api: api, indexedLabels: ["batch"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await informer.waitUntilSynced()
                try await withThrowingTaskGroup(of: Void.self) { creators in
                    for worker in 0..<16 {
                        creators.addTask {
                            for i in stride(from: worker, to: 1000, by: 16) {
                                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(i)", labels: ["batch": "\(i % 10)"])))
                            }
                        }
                    }
                    try await creators.waitForAll()
                }
                let all = await eventually(timeout: .seconds(60)) { informer.store.count == 1000 }
                #expect(all, "store has \(informer.store.count)")
                #expect(informer.store.byLabel("batch", "3", namespace: ns).count == 100)
                for i in 0..<100 { try await api.delete("cm-\(i)") }
                let shrunk = await eventually(timeout: .seconds(30)) { informer.store.count == 900 }
                #expect(shrunk)
                group.cancelAll()
            }
        }
    }
}
