import Foundation
import K8sClient
import K8sTestSupport
@testable import Reconcilers
import Testing

/// One slow JobManager (or many) must not hold every reconcile worker: slots are limited per
/// JobManager and in all, and a reconcile that finds none does nothing and looks again soon.
@Suite struct JobManagerSlotLimits {
    @Test func slotsAreLimitedPerJobManagerAndInAllAndComeBackOnRelease() throws {
        let slots = JobManagerSlots(total: 3, perJobManager: 2)
        let a1 = try #require(slots.take(["http://a:8081"]))
        let a2 = try #require(slots.take(["http://a:8081"]))
        #expect(slots.take(["http://a:8081"]) == nil)  // a is full
        #expect(slots.take(["http://a:8081", "http://b:8081"]) == nil)  // all or none
        let b1 = try #require(slots.take(["http://b:8081"]))
        #expect(slots.take(["http://c:8081"]) == nil)  // the total is full
        #expect(slots.inUse() == 3 && slots.inUse(origin: "http://a:8081") == 2)
        a1.release()
        let c1 = try #require(slots.take(["http://c:8081"]))
        #expect(slots.take(["http://a:8081"]) == nil)
        [a2, b1, c1].forEach { $0.release() }
        #expect(slots.inUse() == 0 && slots.inUse(origin: "http://a:8081") == 0)
        // Never below one: a controller with one worker still serves Flink.
        #expect(JobManagerSlots(total: 0, perJobManager: 0).take(["http://a:8081"]) != nil)
    }

    func flinkSJ(_ name: String, jobManager: String) -> ScheduledJob {
        scheduledJob(name) {
            $0.jobTemplate = nil
            $0.flinkJob = FlinkJobSpec(jobManagerURL: jobManager, jarURL: "http://jars/job.jar", entryClass: "dev.sked.Job")
        }
    }

    @Test func aReconcileFindingItsJobManagerBusyDoesNothingAndLooksAgainSoon() async throws {
        let slots = JobManagerSlots(total: 8, perJobManager: 1)
        // Any request to this JobManager would fail the test: none may be made while busy.
        let jm = ScriptedTransport { r in .status(500, reason: "InternalError", message: "unexpected \(r.method) \(r.target)") }
        let flink = FlinkTarget(client: nil, transports: HTTPTransports { _ in jm }, slots: slots, now: { at(0.25) })
        let jobs = FakeTarget()
        let writer = FakeStatusWriter()
        let reconciler = ScheduledJobReconciler(target: RunTargetRouter(job: jobs, flink: flink), events: FakeEvents(), statusWriter: writer, now: { at(0.25) })

        let held = try #require(slots.take(["http://slow:8081"]))  // another reconcile, waiting on the slow JobManager
        let sj = flinkSJ("waits", jobManager: "http://slow:8081/")
        #expect(try await reconciler.reconcile(sj) == .requeue(after: .seconds(1)))
        #expect(jm.requests.isEmpty && writer.written.value.isEmpty && writer.finalizers.value.isEmpty)

        // A Job ScheduledJob needs no JobManager slot, and another JobManager has room.
        #expect(try await reconciler.reconcile(scheduledJob("jobs")) != .requeue(after: .seconds(1)))
        let fast = try #require(FlinkTarget(client: nil, slots: slots).slot(for: flinkSJ("other", jobManager: "http://fast:8081")))
        fast.release()
        held.release()
        #expect(slots.inUse(origin: "http://slow:8081") == 0)
        // The slot of a finished reconcile is given back whatever it did.
        _ = try? await reconciler.reconcile(sj)
        #expect(slots.inUse() == 0)
    }
}
