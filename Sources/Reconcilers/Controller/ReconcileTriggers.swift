import K8sClient
import K8sRuntime

/// What wakes a ScheduledJob's reconcile, each a pure function of one watch notification.
/// The rest are asked for by the reconcile itself, as `ReconcileAction.requeue(after:)` from
/// `Plan.requeueAfter`: the next tick (after jitter), a retry's backoff, the next poll of an
/// active Flink job, a run waiting for its concurrency slot, a target found unavailable.
enum ReconcileTriggers {
    /// The ScheduledJob itself: created, deleted, or changed by someone (spec, annotations,
    /// deletion, a new uid). Our own status writes come back as updates and wake nothing,
    /// except the first (a status that was missing, e.g. removed by hand).
    static func ownChange(_ note: InformerNotification<ScheduledJob>) -> ObjectKey? {
        switch note {
        case .added(let sj), .deleted(let sj): return sj.key
        case .updated(let old, let new):
            let changed = old.spec != new.spec || old.metadata.annotations != new.metadata.annotations
                || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp || old.metadata.uid != new.metadata.uid
                || old.status == nil
            return changed ? new.key : nil
        case .undecodable: return nil
        }
    }

    /// A Job it owns (its controller reference) was created, changed or deleted: a run
    /// started, finished or went away.
    static func ownedJob(_ note: InformerNotification<Job>) -> ObjectKey? {
        let job: Job
        switch note {
        case .added(let j), .deleted(let j): job = j
        case .updated(_, let j): job = j
        case .undecodable: return nil  // no longer cached: its run is looked up by name when it matters
        }
        guard let owner = job.metadata.controllerReference, owner.kind == ScheduledJob.resource.kind else { return nil }
        return ObjectKey(namespace: job.metadata.namespace, name: owner.name)
    }

    /// A Namespace's annotations changed (they can allow or refuse a ServiceAccount): the name
    /// of the Namespace whose ScheduledJobs are looked at again.
    static func namespaceAnnotations(_ note: InformerNotification<Namespace>) -> String? {
        guard case .updated(let old, let new) = note, old.metadata.annotations != new.metadata.annotations else { return nil }
        return new.metadata.name
    }
}
