import Foundation
@testable import K8sClient
@testable import K8sRuntime
import K8sTestSupport
import Testing

/// The cache shows our own writes until the watch catches up, decided from the watch's order
/// alone: resource versions here are deliberately not numbers, and ordering them either way
/// would give a wrong answer somewhere below.
@Suite struct OwnWritesInTheCache {
    let clock = LockedBox(ContinuousClock.now)
    var store: Store<ConfigMap> { Store<ConfigMap>(indexedLabels: ["owner"], clock: { [clock] in clock.value }) }
    let key = ObjectKey(namespace: "ns", name: "o")

    func cm(_ rv: String, uid: String = "u1", note: String? = nil) -> ConfigMap {
        var m = ObjectMeta(name: "o", namespace: "ns", labels: ["owner": "x"])
        m.uid = uid
        m.resourceVersion = rv
        m.annotations = note.map { ["note": $0] }
        return ConfigMap(metadata: m)
    }
    func shown(_ s: Store<ConfigMap>) -> String? { s.get(key)?.metadata.resourceVersion }

    @Test func aCreatedObjectIsShownUntilTheWatchDeliversAnyVersionOfIt() {
        let s = store
        s.applyWatched(cm("zz", uid: "old"))   // a previous incarnation of the name
        s.recordOwn(.created(cm("b", uid: "new")))
        #expect(shown(s) == "b")
        #expect(s.byLabel("owner", "x", namespace: "ns").map(\.metadata.uid) == ["new"])
        s.applyWatched(cm("zzz", uid: "old"))   // the old one's late events change nothing
        s.removeWatched(key, uid: "old")
        #expect(shown(s) == "b")
        s.applyWatched(cm("c", uid: "new"))     // the watch's first copy of ours: it takes over
        #expect(shown(s) == "c")
        s.applyWatched(cm("d", uid: "new"))
        #expect(shown(s) == "d")
    }

    @Test func aCreateTheWatchAlreadyDeliveredIsNotShownAgain() {
        let s = store
        s.applyWatched(cm("b", uid: "new"))
        s.applyWatched(cm("a", uid: "new"))     // a later version (its status, by another controller)
        s.recordOwn(.created(cm("b", uid: "new")))
        #expect(shown(s) == "a")
    }

    @Test func anUpdateAnswerIsShownOverOlderVersionsUntilTheWatchDeliversIt() {
        let s = store
        s.applyWatched(cm("m"))
        s.beginOwnUpdate(key)
        s.applyWatched(cm("k"))                 // older, still in flight when we wrote
        s.recordOwn(.updated(cm("q")), deliveredDuringWrite: s.endOwnUpdate(key))
        #expect(shown(s) == "q")
        s.applyWatched(cm("p"))                 // delivered before ours: older
        #expect(shown(s) == "q")
        s.applyWatched(cm("q"))                 // ours
        s.applyWatched(cm("a", note: "user"))   // newer than ours
        #expect(s.get(key)?.metadata.annotations?["note"] == "user")
    }

    @Test func anUpdateAnswerTheWatchDeliveredAndOvertookWhileInFlightIsNotShown() {
        // The CI failure behind this rule: a user's annotation arrived by watch while our
        // write was in flight; putting our answer back hid it, and every write got Conflict.
        let s = store
        s.applyWatched(cm("m"))
        s.beginOwnUpdate(key)
        s.applyWatched(cm("q"))                 // our write, delivered before its answer arrived
        s.applyWatched(cm("a", note: "user"))
        s.recordOwn(.updated(cm("q")), deliveredDuringWrite: s.endOwnUpdate(key))
        #expect(shown(s) == "a")
        #expect(s.get(key)?.metadata.annotations?["note"] == "user")
    }

    @Test func aDeletedObjectStaysHiddenUntilTheWatchDeliversTheDeletion() {
        let s = store
        s.applyWatched(cm("m"))
        s.recordOwn(.deleted(key))
        #expect(s.get(key) == nil && s.byLabel("owner", "x", namespace: "ns").isEmpty)
        s.applyWatched(cm("n"))                 // an older update in flight
        #expect(s.get(key) == nil)
        s.removeWatched(key, uid: "u1")
        s.applyWatched(cm("b", uid: "u2"))      // a new incarnation
        #expect(s.get(key)?.metadata.uid == "u2")
    }

    @Test func aRelistKeepsOnlyWhatItCannotSettle() {
        let s = store
        func put(_ name: String, _ o: ConfigMap) -> ConfigMap { var o = o; o.metadata.name = name; return o }
        s.applyWatched(put("updated", cm("m")))
        s.applyWatched(put("deleted", cm("m")))
        s.applyWatched(put("deleted-listed", cm("m")))
        s.recordOwn(.created(put("created", cm("b"))))
        s.recordOwn(.created(put("created-listed", cm("b"))))
        s.recordOwn(.updated(put("updated", cm("q"))))
        s.recordOwn(.deleted(ObjectKey(namespace: "ns", name: "deleted")))
        s.recordOwn(.deleted(ObjectKey(namespace: "ns", name: "deleted-listed")))
        let gone = s.replace(with: [put("updated", cm("p")), put("created-listed", cm("c")), put("deleted-listed", cm("m"))])
        #expect(gone.isEmpty)
        func rv(_ name: String) -> String? { s.get(namespace: "ns", name: name)?.metadata.resourceVersion }
        #expect(rv("created") == "b")          // a snapshot from before the create: ours stays
        #expect(rv("created-listed") == "c")   // the list holds it: the list's copy
        #expect(rv("updated") == "p")          // a stale copy fails its next write with Conflict
        #expect(rv("deleted-listed") == nil)   // a snapshot from before the deletion
        #expect(rv("deleted") == nil)
        s.applyWatched(put("deleted", cm("x", uid: "u9")))
        #expect(rv("deleted") == "x")
    }

    @Test func anOwnWriteTheWatchNeverConfirmsIsLetGo() {
        let s = store
        s.recordOwn(.created(cm("b")))
        var other = cm("x")
        other.metadata.name = "other"
        clock.withLock { $0 += .seconds(29) }
        s.applyWatched(other)
        #expect(shown(s) == "b")
        clock.withLock { $0 += .seconds(6) }  // past the lifetime, and past the sweep interval
        s.applyWatched(other)
        #expect(s.get(key) == nil)
    }
}
