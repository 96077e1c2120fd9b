import Foundation
@testable import K8sClient
@testable import K8sRuntime
import K8sTestSupport

import Testing

func cmJSON(_ name: String, _ rv: String) -> String {
    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"n","resourceVersion":"\#(rv)"}}"#
}
func event(_ type: String, _ name: String, _ rv: String) -> Data { Data((#"{"type":"\#(type)","object":\#(cmJSON(name, rv))}"# + "\n").utf8) }

func describe(_ e: WatcherEvent<ConfigMap>) -> String {
    switch e {
    case .restarted(let items, _): "restarted " + items.compactMap(\.metadata.name).sorted().joined(separator: ",")
    case .applied(let o): "applied \(o.metadata.name!)@\(o.metadata.resourceVersion!)"
    case .deleted(let o): "deleted \(o.metadata.name!)"
    case .undecodable(let u, let deleted): "undecodable \(u.metadata.name!)@\(u.metadata.resourceVersion ?? "")\(deleted ? " deleted" : ""): \(u.problem)"
    }
}

func fastWatcher(_ t: ScriptedTransport) -> Watcher<ConfigMap> {
    var config = WatcherConfiguration()
    config.initialBackoff = .milliseconds(1)
    config.maxBackoff = .milliseconds(5)
    return Watcher(api: KubernetesClient.scripted(t, retry: .none).api(ConfigMap.self, namespace: "n"), configuration: config)
}

@Suite struct WatcherStateMachine {
    @Test func resumesFromTheLastSeenResourceVersionAndRelistsOnGone() async throws {
        let lists = LockedBox(0)
        let t = ScriptedTransport { r in
            if !r.target.contains("watch=1") {
                let n = lists.withLock { $0 += 1; return $0 }
                return n == 1
                    ? .text(#"{"metadata":{"resourceVersion":"10"},"items":[\#(cmJSON("a", "9"))]}"#)
                    : .text(#"{"metadata":{"resourceVersion":"20"},"items":[\#(cmJSON("b", "19"))]}"#)
            }
            if r.target.contains("resourceVersion=10") {
                // A watch that delivers two events, then the connection ends.
                return .stream(status: 200, chunks: [event("ADDED", "b", "11"), event("MODIFIED", "a", "12")])
            }
            if r.target.contains("resourceVersion=12") {
                return .stream(status: 200, chunks: [event("BOOKMARK", "x", "15")])
            }
            if r.target.contains("resourceVersion=15") {
                let gone = #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410,"message":"too old"}}"#
                return .stream(status: 200, chunks: [Data(gone.utf8)])
            }
            return .stream(status: 200, chunks: [event("DELETED", "b", "21")])
        }
        var seen: [String] = []
        for try await e in fastWatcher(t) {
            seen.append(describe(e))
            if seen.count == 5 { break }
        }
        #expect(seen == ["restarted a", "applied b@11", "applied a@12", "restarted b", "deleted b"])
        let watches = t.requests.filter { $0.target.contains("watch=1") }.map(\.target)
        #expect(watches[0].contains("allowWatchBookmarks=true"))
        #expect(watches.map { $0.contains("resourceVersion=10") } == [true, false, false, false])
        #expect(watches[1].contains("resourceVersion=12"))  // resumed after the dropped connection
        #expect(watches[2].contains("resourceVersion=15"))  // from the bookmark
        #expect(watches[3].contains("resourceVersion=20"))  // after the relist
        // The first list comes from the API server's watch cache; the one after 410 Gone is a
        // consistent read (the cache could be older than what the watcher saw).
        let listTargets = t.requests.filter { !$0.target.contains("watch=1") }.map(\.target)
        #expect(listTargets.count == 2)
        #expect(listTargets[0].contains("resourceVersion=0"))
        #expect(!listTargets[1].contains("resourceVersion="))
    }

    @Test func httpGoneOnWatchRelistsAndListErrorsAreRetried() async throws {
        let calls = LockedBox(0)
        let t = ScriptedTransport { r in
            let n = calls.withLock { $0 += 1; return $0 }
            switch n {
            case 1: return .status(500, reason: "InternalError", message: "etcd down")
            case 2: return .text(#"{"metadata":{"resourceVersion":"5"},"items":[]}"#)
            case 3: return .status(410, reason: "Gone", message: "too old resource version")
            case 4: return .text(#"{"metadata":{"resourceVersion":"30"},"items":[\#(cmJSON("c", "29"))]}"#)
            default: return .stream(status: 200, chunks: [event("ADDED", "d", "31")])
            }
        }
        var seen: [String] = []
        for try await e in fastWatcher(t) {
            seen.append(describe(e))
            if seen.count == 3 { break }
        }
        #expect(seen == ["restarted ", "restarted c", "applied d@31"])
        #expect(t.requests.count == 5)
    }

    @Test func paginatedListIsDeliveredAsOneRestart() async throws {
        let t = ScriptedTransport { r in
            if r.target.contains("watch=1") { return .stream(status: 200, chunks: [event("ADDED", "z", "50")]) }
            if r.target.contains("continue=") { return .text(#"{"metadata":{"resourceVersion":"40"},"items":[\#(cmJSON("b", "2"))]}"#) }
            return .text(#"{"metadata":{"continue":"next"},"items":[\#(cmJSON("a", "1"))]}"#)
        }
        var it = fastWatcher(t).makeAsyncIterator()
        #expect(try await it.next().map(describe) == "restarted a,b")
    }

    @Test func aWatcherThatListsFromEtcdAsksForPagesWithoutAResourceVersion() async throws {
        let t = ScriptedTransport { r in
            if r.target.contains("watch=1") { return .stream(status: 200, chunks: []) }
            return .text(#"{"metadata":{"resourceVersion":"40"},"items":[\#(cmJSON("a", "1"))]}"#)
        }
        let cached = fastWatcher(t)
        var config = cached.configuration
        config.listFromWatchCache = false
        var it = Watcher(api: cached.api, configuration: config).makeAsyncIterator()
        #expect(try await it.next().map(describe) == "restarted a")
        let list = try #require(t.requests.first?.target)
        #expect(list.contains("limit=500") && !list.contains("resourceVersion="))
    }
}

@Suite struct InformerCache {
    @Test func storeSwapsOnRelistAndNotifiesDeletesOfObjectsThatVanished() async throws {
        let lists = LockedBox(0)
        let t = ScriptedTransport { r in
            if !r.target.contains("watch=1") {
                let n = lists.withLock { $0 += 1; return $0 }
                return n == 1
                    ? .text(#"{"metadata":{"resourceVersion":"10"},"items":[\#(cmJSON("a", "1")),\#(cmJSON("b", "2"))]}"#)
                    : .text(#"{"metadata":{"resourceVersion":"20"},"items":[\#(cmJSON("b", "3"))]}"#)
            }
            if r.target.contains("resourceVersion=10") { return .status(410, reason: "Gone", message: "compacted") }
            return .stream(status: 200, chunks: [])
        }
        let informer = Informer(watcher: fastWatcher(t))
        let notes = LockedBox<[String]>([])
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await informer.run { n in
                    let s: String
                    switch n {
                    case .added(let o): s = "added \(o.metadata.name!)"
                    case .updated(_, let o): s = "updated \(o.metadata.name!)"
                    case .deleted(let o): s = "deleted \(o.metadata.name!)"
                    case .undecodable(let u): s = "undecodable \(u.metadata.name!)"
                    }
                    notes.withLock { $0.append(s) }
                }
            }
            let done = await eventually { notes.withLock { $0.count } >= 4 }
            group.cancelAll()
            #expect(done)
        }
        #expect(notes.withLock { $0 }.prefix(4).sorted() == ["added a", "added b", "deleted a", "updated b"])
        #expect(informer.store.get(namespace: "n", name: "a") == nil)
        #expect(informer.store.get(namespace: "n", name: "b")?.metadata.resourceVersion == "3")
        #expect(informer.hasSynced)
    }

    @Test func labelIndexFollowsUpdatesAndRemovals() {
        let store = Store<Job>(indexedLabels: ["owner"])
        store.applyWatched(Job(metadata: ObjectMeta(name: "j1", namespace: "a", labels: ["owner": "x"])))
        store.applyWatched(Job(metadata: ObjectMeta(name: "j2", namespace: "a", labels: ["owner": "x"])))
        store.applyWatched(Job(metadata: ObjectMeta(name: "j3", namespace: "b", labels: ["owner": "x"])))
        #expect(store.byLabel("owner", "x", namespace: "a").compactMap(\.metadata.name).sorted() == ["j1", "j2"])
        store.applyWatched(Job(metadata: ObjectMeta(name: "j2", namespace: "a", labels: ["owner": "y"])))
        #expect(store.byLabel("owner", "x", namespace: "a").compactMap(\.metadata.name) == ["j1"])
        #expect(store.byLabel("owner", "y", namespace: "a").compactMap(\.metadata.name) == ["j2"])
        store.removeWatched(ObjectKey(namespace: "a", name: "j1"), uid: nil)
        #expect(store.byLabel("owner", "x", namespace: "a").isEmpty)
        #expect(store.byLabel("owner", "x", namespace: "b").count == 1)
    }
}

