import K8sClient

/// The "our own write is newer" rule, decided without ordering resource versions (the API
/// says they are opaque; client-go's informers never compare them either). It rests on one
/// guarantee: a watch delivers an object's versions in the order they were written. So once
/// our write's answer (version X) is in hand and the watch has not delivered X yet, every
/// version the watch delivers before X is older than ours, and X itself is the watch
/// catching up. Versions are compared only for equality.
///
/// - A create's answer is the first version of its uid: any version of the same uid the watch
///   (or a list) delivers is at least as new.
/// - An update: versions delivered while the request was in flight are remembered
///   (`begin`/`end`), so an answer the watch already delivered, and then overtook, is not
///   shown again.
/// - A deletion hides the object until the watch delivers the deletion (or another uid).
/// - A relist is a snapshot of unknown age (it may come from the API server's watch cache),
///   so only what it proves is used: a created object it holds (same uid), an update it holds
///   at any version (a stale copy fails its next write with Conflict), a deletion it no longer
///   holds. What it cannot settle waits for the watch, for at most `lifetime`.
struct OwnWrites<R: KubernetesResource>: Sendable {
    /// Versions the watch delivered for a key while our update of it was in flight.
    struct Delivered: Sendable {
        var versions: Set<String> = []
        var deleted = false
    }

    private enum Kind { case created, updated, deleted }
    private struct Pending {
        let kind: Kind
        /// Ours (created, updated), or the object we deleted (for its uid).
        let object: R
        /// The watch's latest copy while ours is shown (nil: the watch has none).
        var watched: R?
        let recordedAt: ContinuousClock.Instant
    }

    /// How long an own write waits for the watch before the watch's copy is shown again.
    static var lifetime: Duration { .seconds(30) }

    private var pending: [ObjectKey: Pending] = [:]
    private var inFlight: [ObjectKey: (count: Int, delivered: Delivered)] = [:]
    private var lastSweep: ContinuousClock.Instant?

    /// What readers should see of a key from now on (nil: nothing).
    struct Shown { let object: R? }

    /// An own write: what readers should see now, or nil when the cache already holds it (or newer).
    mutating func record(_ write: OwnWrite<R>, current: R?, delivered: Delivered?, at now: ContinuousClock.Instant) -> Shown? {
        let key = write.key
        let watched = pending[key].map(\.watched) ?? current
        switch write {
        case .created(let o):
            if let watched, watched.metadata.uid == o.metadata.uid { return nil }
            pending[key] = Pending(kind: .created, object: o, watched: watched, recordedAt: now)
            return Shown(object: o)
        case .updated(let o):
            if let delivered, delivered.deleted || delivered.versions.contains(o.metadata.resourceVersion ?? "") { return nil }
            guard let watched, watched.metadata.uid == o.metadata.uid else { return nil }
            if watched.metadata.resourceVersion == o.metadata.resourceVersion {
                pending[key] = nil
                return Shown(object: watched)
            }
            pending[key] = Pending(kind: .updated, object: o, watched: watched, recordedAt: now)
            return Shown(object: o)
        case .deleted:
            guard let gone = pending[key]?.object ?? current else { return nil }
            pending[key] = Pending(kind: .deleted, object: gone, watched: watched, recordedAt: now)
            return Shown(object: nil)
        }
    }

    mutating func begin(_ key: ObjectKey) {
        inFlight[key, default: (0, Delivered())].count += 1
    }

    mutating func end(_ key: ObjectKey) -> Delivered {
        guard var entry = inFlight[key] else { return Delivered() }
        entry.count -= 1
        inFlight[key] = entry.count > 0 ? entry : nil
        return entry.delivered
    }

    /// The watch delivered `object`: what readers should see.
    mutating func watched(_ key: ObjectKey, _ object: R) -> R? {
        inFlight[key]?.delivered.versions.insert(object.metadata.resourceVersion ?? "")
        guard var p = pending[key] else { return object }
        let sameUID = p.object.metadata.uid == object.metadata.uid
        switch p.kind {
        case .created where sameUID,
             .updated where !sameUID || p.object.metadata.resourceVersion == object.metadata.resourceVersion,
             .deleted where !sameUID:
            pending[key] = nil
            return object
        case .created, .updated:
            p.watched = object
            pending[key] = p
            return p.object
        case .deleted:
            p.watched = object
            pending[key] = p
            return nil
        }
    }

    /// The watch delivered the deletion of `key` (of the object with `uid`): what readers should see.
    mutating func watchedDeletion(_ key: ObjectKey, uid: String?) -> R? {
        inFlight[key]?.delivered.deleted = true
        guard var p = pending[key] else { return nil }
        if p.object.metadata.uid == uid {
            pending[key] = nil
            return nil
        }
        // An older incarnation went away; ours (a new one) stands.
        p.watched = nil
        pending[key] = p
        return p.kind == .deleted ? nil : p.object
    }

    /// A relist (`listed`: the list's copy of a key): for each key with an own write that
    /// stands, what readers should see instead of the list's copy (nil: nothing).
    mutating func relisted(_ listed: (ObjectKey) -> R?) -> [(ObjectKey, R?)] {
        var shown: [(ObjectKey, R?)] = []
        for (key, var p) in pending {
            let copy = listed(key)
            let sameUID = copy?.metadata.uid == p.object.metadata.uid
            switch p.kind {
            case .created where sameUID,
                 .updated,
                 .deleted where copy == nil || !sameUID:
                pending[key] = nil
            case .created:
                p.watched = copy
                pending[key] = p
                shown.append((key, p.object))
            case .deleted:
                p.watched = copy
                pending[key] = p
                shown.append((key, nil))
            }
        }
        return shown
    }

    /// Own writes older than `lifetime` (checked every few seconds): the keys and what they
    /// show now, the watch's copy.
    mutating func expire(now: ContinuousClock.Instant) -> [(ObjectKey, R?)] {
        guard !pending.isEmpty else { return [] }
        if let last = lastSweep, now - last < .seconds(5) { return [] }
        lastSweep = now
        var expired: [(ObjectKey, R?)] = []
        for (key, p) in pending where now - p.recordedAt >= Self.lifetime {
            pending[key] = nil
            expired.append((key, p.watched))
        }
        return expired
    }
}
