import K8sClient
import Synchronization

/// The informer's in-memory cache: objects keyed by namespace/name, with lookups by
/// label value for the labels named at construction. Safe to read from any task.
///
/// Only its `Informer` writes it: what the watch delivers, and (through
/// `Informer.recordOwnWrite`) what the controller itself just wrote, which readers see until
/// the watch catches up. Resource versions are opaque (compared only for equality), so
/// "our write is newer" is decided from the watch's order instead, as `OwnWrites` explains.
public final class Store<R: KubernetesResource>: Sendable {
    /// Objects are boxed: a dictionary slot then takes a pointer, not the whole struct (a
    /// ScheduledJob is ~700 bytes inline, and a hash table keeps up to twice its count in slots).
    final class Entry: Sendable {
        let object: R
        init(_ object: R) { self.object = object }
    }

    struct Contents {
        /// What readers see: the watch's copy, or our own write while the watch is behind it.
        var visible: [ObjectKey: Entry] = [:]
        /// label key → "namespace\u{0}value" → keys (of `visible`)
        var index: [String: [String: Set<ObjectKey>]] = [:]
        var own = OwnWrites<R>()
    }
    let contents = Mutex(Contents())
    public let indexedLabels: [String]
    let clock: @Sendable () -> ContinuousClock.Instant

    public convenience init(indexedLabels: [String] = []) {
        self.init(indexedLabels: indexedLabels, clock: { ContinuousClock.now })
    }

    init(indexedLabels: [String], clock: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.indexedLabels = indexedLabels
        self.clock = clock
    }

    private static func indexKey(_ namespace: String?, _ value: String) -> String { "\(namespace ?? "")\u{0}\(value)" }

    public func get(_ key: ObjectKey) -> R? { contents.withLock { $0.visible[key]?.object } }
    public func get(namespace: String?, name: String) -> R? { get(ObjectKey(namespace: namespace, name: name)) }

    public var count: Int { contents.withLock { $0.visible.count } }

    public func list(namespace: String? = nil) -> [R] {
        contents.withLock { c in
            guard let namespace else { return c.visible.values.map(\.object) }
            return c.visible.values.compactMap { $0.object.metadata.namespace == namespace ? $0.object : nil }
        }
    }

    public var keys: [ObjectKey] { contents.withLock { Array($0.visible.keys) } }

    /// Objects in `namespace` whose label `label` (one of `indexedLabels`) equals `value`.
    public func byLabel(_ label: String, _ value: String, namespace: String?) -> [R] {
        precondition(indexedLabels.contains(label), "label \(label) is not indexed")
        return contents.withLock { c in
            guard let keys = c.index[label]?[Self.indexKey(namespace, value)] else { return [] }
            return keys.compactMap { c.visible[$0]?.object }
        }
    }

    // MARK: Writes (the informer's)

    /// The watch delivered `object`; returns what readers saw before.
    @discardableResult
    func applyWatched(_ object: R) -> R? {
        contents.withLock { c in
            let key = object.key
            let before = c.visible[key]?.object
            let shown = c.own.watched(key, object)
            setVisible(&c, key, shown.map(Entry.init))
            sweep(&c)
            return before
        }
    }

    /// The watch delivered the deletion of `key`; returns what readers saw before.
    @discardableResult
    func removeWatched(_ key: ObjectKey, uid: String?) -> R? {
        contents.withLock { c in
            let before = c.visible[key]?.object
            let shown = c.own.watchedDeletion(key, uid: uid)
            setVisible(&c, key, shown.map(Entry.init))
            return before
        }
    }

    /// Swaps in the result of a (re)list in one step, so readers never see a half-filled
    /// cache; returns the objects readers saw that are now gone.
    ///
    /// A run we just created that the list does not hold stays (the list can be a snapshot
    /// from before it existed; dropping it would let a reconcile believe a run it just started
    /// is not there, a second run under Forbid): the watch from the list's version delivers it.
    func replace(with objects: [R]) -> [R] {
        // Built outside the lock, and only once: a start-up list holds every Job.
        var fresh = Contents()
        for o in objects {
            fresh.visible[o.key] = Entry(o)
            Self.reindex(&fresh, o, indexedLabels)
        }
        return contents.withLock { c in
            for (key, shown) in c.own.relisted({ fresh.visible[$0]?.object }) {
                setVisible(&fresh, key, shown.map(Entry.init))
            }
            fresh.own = c.own
            let gone = c.visible.filter { fresh.visible[$0.key] == nil }.map(\.value.object)
            c = fresh
            return gone
        }
    }

    /// See `Informer.recordOwnWrite`.
    func recordOwn(_ write: OwnWrite<R>, deliveredDuringWrite: OwnWrites<R>.Delivered? = nil) {
        contents.withLock { c in
            let key = write.key
            let current = c.visible[key]?.object
            guard let shown = c.own.record(write, current: current, delivered: deliveredDuringWrite, at: clock()) else { return }
            setVisible(&c, key, shown.object.map(Entry.init))
        }
    }

    func beginOwnUpdate(_ key: ObjectKey) { contents.withLock { $0.own.begin(key) } }
    func endOwnUpdate(_ key: ObjectKey) -> OwnWrites<R>.Delivered { contents.withLock { $0.own.end(key) } }

    /// Own writes the watch never confirmed (a create or delete that another change overtook
    /// while the watch was down) are let go after `OwnWrites.lifetime`: readers then see
    /// the watch's copy, and a write from a stale copy fails with Conflict and is retried.
    private func sweep(_ c: inout Contents) {
        for (key, shown) in c.own.expire(now: clock()) {
            setVisible(&c, key, shown.map(Entry.init))
        }
    }

    private func setVisible(_ c: inout Contents, _ key: ObjectKey, _ entry: Entry?) {
        if let old = c.visible[key]?.object { Self.unindex(&c, old, indexedLabels) }
        c.visible[key] = entry
        if let entry { Self.reindex(&c, entry.object, indexedLabels) }
    }

    private static func reindex(_ c: inout Contents, _ o: R, _ labels: [String]) {
        for label in labels {
            guard let value = o.metadata.labels?[label] else { continue }
            c.index[label, default: [:]][indexKey(o.metadata.namespace, value), default: []].insert(o.key)
        }
    }

    private static func unindex(_ c: inout Contents, _ o: R, _ labels: [String]) {
        for label in labels {
            guard let value = o.metadata.labels?[label] else { continue }
            let k = indexKey(o.metadata.namespace, value)
            c.index[label]?[k]?.remove(o.key)
            if c.index[label]?[k]?.isEmpty == true { c.index[label]?[k] = nil }
        }
    }
}
