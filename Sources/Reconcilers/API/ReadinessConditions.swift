import Foundation
import K8sClient

/// What `Ready=False` means for a user waiting on the object, in the vocabulary of kstatus
/// (sigs.k8s.io/cli-utils, read by Flux, kpt and `kubectl wait`) and Argo CD: the operator is
/// still working on it (`Reconciling=True`), or it cannot make progress until someone changes
/// something (`Stalled=True`). Both are "abnormal-true" conditions, kept `False` otherwise so
/// `kubectl describe` shows them; each carries `observedGeneration`.
public enum ReadinessConditions {
    public enum NotReady: Sendable {
        /// A problem the operator retries on its own (a JobManager down, a Secret not yet there).
        case retrying
        /// A problem only a change can fix (an invalid spec, a run the target refused).
        case stalled
    }

    /// Sets `Ready` and the `Reconciling` and `Stalled` conditions that follow from it.
    public static func set(_ ready: Condition, _ notReady: NotReady = .stalled, in conditions: inout [Condition]) {
        conditions.set(ready)
        let failing = ready.status != "True"
        let stalled = failing && notReady == .stalled
        let reconciling = failing && notReady == .retrying
        conditions.set(Condition(
            type: "Stalled", status: stalled ? "True" : "False", reason: stalled ? ready.reason : "NotStalled",
            message: stalled ? ready.message : "Nothing blocks the operator",
            lastTransitionTime: ready.lastTransitionTime, observedGeneration: ready.observedGeneration))
        conditions.set(Condition(
            type: "Reconciling", status: reconciling ? "True" : "False", reason: reconciling ? ready.reason : "Reconciled",
            message: reconciling ? "Retrying: \(ready.message)" : "Nothing to retry",
            lastTransitionTime: ready.lastTransitionTime, observedGeneration: ready.observedGeneration))
    }
}

extension ScheduledJobStatus {
    /// `Ready=False` (with `Stalled` or `Reconciling`) with a reason and a message of bounded
    /// size (it is shown by `kubectl get`).
    mutating func setNotReady(reason: String, message: String, _ kind: ReadinessConditions.NotReady, generation: Int64?, at now: Date) {
        var list = conditions ?? []
        ReadinessConditions.set(Condition(
            type: "Ready", status: "False", reason: reason, message: String(message.prefix(1024)),
            lastTransitionTime: now, observedGeneration: generation), kind, in: &list)
        conditions = list
    }
}
