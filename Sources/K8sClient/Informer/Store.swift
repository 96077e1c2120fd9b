import Synchronization

/// The informer's in-memory cache: objects keyed by namespace/name, with lookups by
/// label value for the labels named at construction. Safe to read from any task.
public final class Store<R: KubernetesResource>: Sendable {
    /// Objects are boxed: a dictionary slot then takes a pointer, not the whole struct (a
    /// ScheduledJob is ~700 bytes inline, and a hash table keeps up to twice its count in slots).
    private final class Entry: Sendable {
        let object: R
        init(_ object: R) { self.object = object }
    }

    private struct Contents {
        var objects: [ObjectKey: Entry] = [:]
        /// label key → "namespace\u{0}value" → keys
        var index: [String: [String: Set<ObjectKey>]] = [:]
    }
    private let contents = Mutex(Contents())
    public let indexedLabels: [String]

    public init(indexedLabels: [String] = []) {
        self.indexedLabels = indexedLabels
    }

    private static func indexKey(_ namespace: String?, _ value: String) -> String { "\(namespace ?? "")\u{0}\(value)" }

    public func get(_ key: ObjectKey) -> R? { contents.withLock { $0.objects[key]?.object } }
    public func get(namespace: String?, name: String) -> R? { get(ObjectKey(namespace: namespace, name: name)) }

    public var count: Int { contents.withLock { $0.objects.count } }

    public func list(namespace: String? = nil) -> [R] {
        contents.withLock { c in
            guard let namespace else { return c.objects.values.map(\.object) }
            return c.objects.values.compactMap { $0.object.metadata.namespace == namespace ? $0.object : nil }
        }
    }

    public var keys: [ObjectKey] { contents.withLock { Array($0.objects.keys) } }

    /// Objects in `namespace` whose label `label` (one of `indexedLabels`) equals `value`.
    public func byLabel(_ label: String, _ value: String, namespace: String?) -> [R] {
        precondition(indexedLabels.contains(label), "label \(label) is not indexed")
        return contents.withLock { c in
            guard let keys = c.index[label]?[Self.indexKey(namespace, value)] else { return [] }
            return keys.compactMap { c.objects[$0]?.object }
        }
    }

    /// Inserts or replaces; returns the previous object.
    @discardableResult
    public func upsert(_ object: R) -> R? {
        contents.withLock { c in
            let key = object.key
            let old = c.objects.updateValue(Entry(object), forKey: key)?.object
            if let old { Self.unindex(&c, old, indexedLabels) }
            Self.reindex(&c, object, indexedLabels)
            return old
        }
    }

    /// Puts an object the controller itself just wrote (or read) into the cache, unless the
    /// cache already holds a newer version of it. The watch may deliver a later change (a user's
    /// edit) before our write's answer arrives; overwriting it with our older copy would leave
    /// the cache stale with nothing more to come from the watch, and every later write from it
    /// would fail with Conflict. Versions are compared as numbers, as `replace` does; when
    /// either is not a number the cached object is kept (the watch delivers ours too).
    /// Returns whether `object` went in.
    @discardableResult
    public func upsertUnlessStale(_ object: R) -> Bool {
        contents.withLock { c in
            let key = object.key
            if let cached = c.objects[key]?.object {
                guard let mine = object.metadata.resourceVersion.flatMap({ UInt64($0) }),
                      let theirs = cached.metadata.resourceVersion.flatMap({ UInt64($0) }),
                      mine >= theirs else { return false }
                Self.unindex(&c, cached, indexedLabels)
            }
            c.objects[key] = Entry(object)
            Self.reindex(&c, object, indexedLabels)
            return true
        }
    }

    @discardableResult
    public func remove(_ key: ObjectKey) -> R? {
        contents.withLock { c in
            guard let old = c.objects.removeValue(forKey: key)?.object else { return nil }
            Self.unindex(&c, old, indexedLabels)
            return old
        }
    }

    /// Swaps in the result of a (re)list in one step, so readers never see a half-filled
    /// cache; returns the objects that were replaced away.
    ///
    /// Objects put in the cache by the controller itself (`upsert` after a create) that are
    /// newer than the list (`keepingNewerThan`, the list's resourceVersion) are kept: the
    /// list is a snapshot from before they existed, and dropping them would let a reconcile
    /// believe a run it just started is not there (a second run under Forbid). The watch
    /// from that version delivers them again.
    public func replace(with objects: [R], keepingNewerThan listVersion: String? = nil) -> [R] {
        var fresh = Contents()
        for o in objects {
            fresh.objects[o.key] = Entry(o)
            Self.reindex(&fresh, o, indexedLabels)
        }
        let snapshot = listVersion.flatMap { UInt64($0) }
        return contents.withLock { c in
            if let snapshot {
                for (key, entry) in c.objects {
                    let cached = entry.object
                    guard let version = cached.metadata.resourceVersion.flatMap({ UInt64($0) }), version > snapshot else { continue }
                    let listed = fresh.objects[key]?.object
                    if let listedVersion = listed?.metadata.resourceVersion.flatMap({ UInt64($0) }), listedVersion >= version { continue }
                    if let listed { Self.unindex(&fresh, listed, indexedLabels) }
                    fresh.objects[key] = entry
                    Self.reindex(&fresh, cached, indexedLabels)
                }
            }
            let gone = c.objects.filter { fresh.objects[$0.key] == nil }.map(\.value.object)
            c = fresh
            return gone
        }
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
