import Foundation
import K8sClient
import Testing

@testable import Reconcilers

/// What wakes a ScheduledJob (level-triggered: a trigger only says whom to look at).
@Suite struct ReconcileTriggersTests {
    let sj = scheduledJob(schedule: "*/10 * * * * *")

    @Test func itsOwnChangesWakeItButItsOwnStatusWritesDoNot() {
        var written = sj
        written.status = status(lastSchedule: t0)
        var later = written
        later.status?.lastScheduleTime = at(10)
        #expect(ReconcileTriggers.ownChange(.added(sj)) == sj.key)
        #expect(ReconcileTriggers.ownChange(.deleted(sj)) == sj.key)
        #expect(ReconcileTriggers.ownChange(.updated(old: written, new: later)) == nil, "a status write echoing back")
        #expect(ReconcileTriggers.ownChange(.updated(old: sj, new: written)) == sj.key, "the first status (none before)")
        var suspended = later
        suspended.spec.suspend = true
        #expect(ReconcileTriggers.ownChange(.updated(old: later, new: suspended)) == sj.key)
        var annotated = later
        annotated.metadata.annotations = ["sked.dev/run-now": "1"]
        #expect(ReconcileTriggers.ownChange(.updated(old: later, new: annotated)) == sj.key)
        var deleting = later
        deleting.metadata.deletionTimestamp = at(20)
        #expect(ReconcileTriggers.ownChange(.updated(old: later, new: deleting)) == sj.key)
    }

    @Test func aJobWakesTheScheduledJobThatControlsIt() {
        var meta = ObjectMeta(name: "sj-1463652000", namespace: "ns")
        meta.ownerReferences = [OwnerReference(apiVersion: "sked.dev/v1alpha1", kind: "ScheduledJob", name: "sj", uid: "uid-sj", controller: true)]
        let job = Job(metadata: meta)
        #expect(ReconcileTriggers.ownedJob(.added(job)) == ObjectKey(namespace: "ns", name: "sj"))
        #expect(ReconcileTriggers.ownedJob(.updated(old: job, new: job)) == ObjectKey(namespace: "ns", name: "sj"))
        #expect(ReconcileTriggers.ownedJob(.deleted(job)) == ObjectKey(namespace: "ns", name: "sj"))
        var cronJobs = meta
        cronJobs.ownerReferences = [OwnerReference(apiVersion: "batch/v1", kind: "CronJob", name: "sj", uid: "u", controller: true)]
        #expect(ReconcileTriggers.ownedJob(.added(Job(metadata: cronJobs))) == nil, "a CronJob's Job of the same name")
        #expect(ReconcileTriggers.ownedJob(.added(Job(metadata: ObjectMeta(name: "loose", namespace: "ns")))) == nil)
    }

    @Test func aNamespaceWakesItsScheduledJobsOnlyWhenItsAnnotationsChange() {
        let before = Namespace(name: "team-a", annotations: ["sked.dev/allowed-service-accounts": "runner"])
        let after = Namespace(name: "team-a", annotations: ["sked.dev/allowed-service-accounts": "runner,report"])
        #expect(ReconcileTriggers.namespaceAnnotations(.updated(old: before, new: after)) == "team-a")
        let relabelled = Namespace(name: "team-a", labels: ["x": "y"], annotations: before.metadata.annotations)
        #expect(ReconcileTriggers.namespaceAnnotations(.updated(old: before, new: relabelled)) == nil)
        #expect(ReconcileTriggers.namespaceAnnotations(.added(after)) == nil, "a new Namespace has no ScheduledJobs yet")
    }
}
