import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// What GitOps tools conclude from a ScheduledJob's status: kstatus (Flux, kpt) reads
/// `observedGeneration` and the abnormal-true `Reconciling` and `Stalled` conditions.
@Suite struct KStatusConditions {
    func kstatus(_ sj: ScheduledJob, _ status: ScheduledJobStatus) throws -> (status: KStatus, message: String) {
        var object = sj
        object.status = status
        let json = try JSONSerialization.jsonObject(with: KubernetesJSON.encode(object)) as? [String: Any] ?? [:]
        return KStatus.of(json)
    }

    @Test func aValidScheduledJobIsCurrentWithBothConditionsFalse() throws {
        let sj = scheduledJob()
        let s = SchedulePlanner.plan(sj, runs: [], now: t0).status
        #expect(s.conditions?[type: "Stalled"]?.status == "False")
        #expect(s.conditions?[type: "Reconciling"]?.status == "False")
        #expect(s.conditions?.allSatisfy { $0.observedGeneration == 1 } == true)
        #expect(try kstatus(sj, s).status == .current)
    }

    @Test(arguments: ["61 * * * *", "not a schedule"])
    func anInvalidSpecIsStalledWithTheReadyMessage(schedule: String) throws {
        let sj = scheduledJob(schedule: schedule)
        let s = SchedulePlanner.plan(sj, runs: [], now: t0).status
        let stalled = try #require(s.conditions?[type: "Stalled"])
        #expect(stalled.status == "True" && stalled.reason == "InvalidSchedule")
        #expect(stalled.message == s.conditions?[type: "Ready"]?.message)
        #expect(s.conditions?[type: "Reconciling"]?.status == "False")
        let k = try kstatus(sj, s)
        #expect(k.status == .failed && k.message == stalled.message)

        // Fixed: no longer stalled, and the transition time moves with the status.
        let fixed = SchedulePlanner.plan(scheduledJob(status: s), runs: [], now: at(10)).status
        #expect(fixed.conditions?[type: "Stalled"]?.status == "False")
        #expect(fixed.conditions?[type: "Stalled"]?.lastTransitionTime == at(10))
        #expect(try kstatus(scheduledJob(), fixed).status == .current)
    }

    @Test func aSpecTheOperatorHasNotSeenYetIsInProgress() throws {
        var sj = scheduledJob()
        let s = SchedulePlanner.plan(sj, runs: [], now: t0).status
        sj.metadata.generation = 2
        let k = try kstatus(sj, s)
        #expect(k.status == .inProgress && k.message.contains("latest observed generation is 1"))
    }

    @Test func readyFalseSetsExactlyOneOfTheTwo() {
        let ready = { (reason: String) in Condition(type: "Ready", status: "False", reason: reason, message: "m", lastTransitionTime: t0, observedGeneration: 3) }
        var retrying: [Condition] = []
        ReadinessConditions.set(ready("FlinkUnreachable"), .retrying, in: &retrying)
        #expect(retrying.map(\.type) == ["Ready", "Stalled", "Reconciling"])
        #expect(retrying[type: "Reconciling"]?.status == "True" && retrying[type: "Reconciling"]?.reason == "FlinkUnreachable")
        #expect(retrying[type: "Stalled"]?.status == "False")
        var stalled: [Condition] = []
        ReadinessConditions.set(ready("RunStartFailed"), .stalled, in: &stalled)
        #expect(stalled[type: "Stalled"]?.status == "True" && stalled[type: "Reconciling"]?.status == "False")
        #expect(stalled.allSatisfy { $0.observedGeneration == 3 })
    }
}
