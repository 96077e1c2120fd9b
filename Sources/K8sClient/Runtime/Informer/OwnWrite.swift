import K8sClient

/// A write the controller made, for the cache to show before the watch delivers it.
public enum OwnWrite<R: KubernetesResource>: Sendable {
    /// The object exists, at least as of this version: the answer to a create, or a read of
    /// one we created earlier. Any version of the same object (same uid) is as new.
    case created(R)
    /// The answer to an update or patch (see `Informer.recordingOwnUpdate`).
    case updated(R)
    /// The object was deleted (or its last finalizer removed).
    case deleted(ObjectKey)

    var key: ObjectKey {
        switch self {
        case .created(let o), .updated(let o): o.key
        case .deleted(let key): key
        }
    }
}
