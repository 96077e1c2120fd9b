import K8sClient
import Synchronization

/// A change the informer applied to its store.
public enum InformerNotification<R: KubernetesResource>: Sendable {
    case added(R)
    case updated(old: R, new: R)
    case deleted(R)
    /// An object that cannot be decoded: it is not in the store (a version of it that was is
    /// removed), and readers hear of it by its identity.
    case undecodable(UndecodableObject)
}

/// list+watch into a `Store`, with notifications for every change (client-go's
/// SharedInformer, kube-rs' reflector). `run` drives it until the task is cancelled.
public final class Informer<R: KubernetesResource>: Sendable {
    public let store: Store<R>
    /// Its transform keeps only what readers need (drop pod templates, managedFields …),
    /// applied as objects arrive, before the store or a handler sees them.
    public let watcher: Watcher<R>
    private let synced = Mutex(false)

    public init(watcher: Watcher<R>, indexedLabels: [String] = [], transform: @escaping @Sendable (R) -> R = { $0 }) {
        let first = watcher.transform
        self.watcher = Watcher(api: watcher.api, configuration: watcher.configuration, transform: { transform(first($0)) })
        self.store = Store(indexedLabels: indexedLabels)
    }

    public convenience init(api: API<R>, configuration: WatcherConfiguration = WatcherConfiguration(), indexedLabels: [String] = [], transform: @escaping @Sendable (R) -> R = { $0 }) {
        self.init(watcher: Watcher(api: api, configuration: configuration), indexedLabels: indexedLabels, transform: transform)
    }

    /// True once the first list has been stored.
    public var hasSynced: Bool { synced.withLock { $0 } }

    public func waitUntilSynced() async throws {
        while !hasSynced { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// Shows `write`, made by this controller, to readers of `store` until the watch delivers
    /// it (or something newer), so that a reconcile woken before the watch catches up starts
    /// from what we just wrote, and never from an older copy the watch already replaced.
    /// For updates use `recordingOwnUpdate`, which also knows what the watch delivered
    /// while the request was in flight.
    public func recordOwnWrite(_ write: OwnWrite<R>) {
        store.recordOwn(cached(write))
    }

    /// The write as the cache keeps objects (the watcher's transform).
    private func cached(_ write: OwnWrite<R>) -> OwnWrite<R> {
        switch write {
        case .created(let o): .created(watcher.transform(o))
        case .updated(let o): .updated(watcher.transform(o))
        case .deleted: write
        }
    }

    /// Carries out `update` (an update or patch of `key`) and records its answer as an own write.
    public func recordingOwnUpdate(of key: ObjectKey, _ update: () async throws -> R) async throws -> R {
        store.beginOwnUpdate(key)
        let written: R
        do {
            written = try await update()
        } catch {
            _ = store.endOwnUpdate(key)
            throw error
        }
        let delivered = store.endOwnUpdate(key)
        store.recordOwn(cached(.updated(written)), deliveredDuringWrite: delivered)
        return written
    }

    /// Runs until cancelled, calling `handler` for each change after it is in the store.
    /// The handler is awaited: a slow handler slows the watch (back-pressure, no unbounded buffer).
    public func run(_ handler: @Sendable (InformerNotification<R>) async -> Void = { _ in }) async throws {
        for try await event in watcher {
            switch event {
            case .restarted(let fresh, _):
                let old = Dictionary(store.list().map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
                let gone = store.replace(with: fresh)
                for o in gone { await handler(.deleted(o)) }
                for o in fresh {
                    if let prev = old[o.key] {
                        if prev.metadata.resourceVersion != o.metadata.resourceVersion { await handler(.updated(old: prev, new: o)) }
                    } else {
                        await handler(.added(o))
                    }
                }
                // Synced once the list's notifications are delivered too: a controller that
                // starts earlier would get each owner queued again by the rest of them (every
                // ScheduledJob reconciled twice at start-up, measured with 20,000 Jobs).
                synced.withLock { $0 = true }
            case .applied(let o):
                if let prev = store.applyWatched(o) { await handler(.updated(old: prev, new: o)) } else { await handler(.added(o)) }
            case .deleted(let o):
                let prev = store.removeWatched(o.key, uid: o.metadata.uid)
                await handler(.deleted(prev ?? o))
            case .undecodable(let u, let deleted):
                let prev = store.removeWatched(u.key, uid: u.metadata.uid)
                if deleted {
                    if let prev { await handler(.deleted(prev)) }
                } else {
                    await handler(.undecodable(u))
                }
            }
        }
    }
}
