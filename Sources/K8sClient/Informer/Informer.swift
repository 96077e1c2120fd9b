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

    /// Runs until cancelled, calling `handler` for each change after it is in the store.
    /// The handler is awaited: a slow handler slows the watch (back-pressure, no unbounded buffer).
    public func run(_ handler: @Sendable (InformerNotification<R>) async -> Void = { _ in }) async throws {
        for try await event in watcher {
            switch event {
            case .restarted(let fresh, let listVersion):
                let old = Dictionary(store.list().map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
                let gone = store.replace(with: fresh, keepingNewerThan: listVersion)
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
                if let prev = store.upsert(o) { await handler(.updated(old: prev, new: o)) } else { await handler(.added(o)) }
            case .deleted(let o):
                let prev = store.remove(o.key)
                await handler(.deleted(prev ?? o))
            case .undecodable(let u, let deleted):
                let prev = store.remove(u.key)
                if deleted {
                    if let prev { await handler(.deleted(prev)) }
                } else {
                    await handler(.undecodable(u))
                }
            }
        }
    }
}
