import Foundation
import K8sClient
import Reconcilers
import Testing

/// Which ServiceAccount a Job's pods may run as, decided with the rest of the spec.
@Suite struct ServiceAccountPolicyRules {
    func job(serviceAccountName: String? = nil, serviceAccount: String? = nil) -> ScheduledJob {
        var pod: [String: JSONValue] = ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox:1.36"]]]
        if let serviceAccountName { pod["serviceAccountName"] = .string(serviceAccountName) }
        if let serviceAccount { pod["serviceAccount"] = .string(serviceAccount) }
        return scheduledJob { $0.jobTemplate = JobTemplate(spec: ["template": ["spec": .object(pod)]]) }
    }

    func problem(_ sj: ScheduledJob, _ policy: ServiceAccountPolicy) -> SpecProblem? {
        if case .failure(let p) = sj.spec.validated(serviceAccounts: policy, namespace: "team-a") { return p }
        return nil
    }

    @Test func anyIsCronJobsBehaviour() {
        #expect(problem(job(serviceAccountName: "cluster-admin-ish"), .any) == nil)
    }

    @Test func onlyTheListedNamesRunAndNoFieldMeansDefault() {
        let policy = ServiceAccountPolicy(allowed: ["default", "runner"])
        #expect(problem(job(), policy) == nil)
        #expect(problem(job(serviceAccountName: "runner"), policy) == nil)
        #expect(problem(job(serviceAccountName: "builder"), policy)?.reason == "ServiceAccountNotAllowed")
        #expect(problem(job(serviceAccountName: "builder"), policy)?.message ==
            "spec.jobTemplate.spec.template.spec.serviceAccountName: ServiceAccount \"builder\" may not run ScheduledJobs in namespace team-a (allowed: default, runner; from the operator's --allowed-service-accounts and the namespace's sked.dev/allowed-service-accounts annotation)")
        // The deprecated alias is a way in too.
        #expect(problem(job(serviceAccount: "builder"), policy)?.message.hasPrefix("spec.jobTemplate.spec.template.spec.serviceAccount: ServiceAccount \"builder\"") == true)
        #expect(problem(job(serviceAccountName: "runner", serviceAccount: "builder"), policy)?.reason == "ServiceAccountNotAllowed")
        // An empty list allows nothing, not even default.
        #expect(problem(job(), ServiceAccountPolicy(allowed: []))?.message.contains("ServiceAccount \"default\" may not run ScheduledJobs in namespace team-a (allowed: none;") == true)
    }

    @Test func aNamespacesAnnotationAddsNames() {
        let policy = ServiceAccountPolicy(allowed: ["default"])
        let inNamespace = policy.inNamespace(annotations: ["sked.dev/allowed-service-accounts": " builder , reporter,,", "other": "x"])
        #expect(inNamespace.allowed == ["default", "builder", "reporter"])
        #expect(problem(job(serviceAccountName: "builder"), inNamespace) == nil)
        #expect(ServiceAccountPolicy.any.inNamespace(annotations: ["sked.dev/allowed-service-accounts": "builder"]) == .any)
        #expect(policy.inNamespace(annotations: nil) == policy)
    }

    @Test func theTickStartsNothingAndTheScheduledJobSaysWhy() {
        let plan = SchedulePlanner.plan(job(serviceAccountName: "builder"), runs: [], now: at(0.3), serviceAccounts: ServiceAccountPolicy(allowed: ["default"]))
        #expect(plan.startedRuns.isEmpty)
        let ready = plan.status.conditions?[type: "Ready"]
        #expect(ready?.status == "False" && ready?.reason == "ServiceAccountNotAllowed" && ready?.message.contains("\"builder\"") == true)
        #expect(plan.status.phase == "Invalid")
        #expect(plan.events.contains { $0.kind == .warning && $0.reason == "ServiceAccountNotAllowed" })
        // Allowed: the same tick starts.
        #expect(SchedulePlanner.plan(job(serviceAccountName: "builder"), runs: [], now: at(0.3), serviceAccounts: ServiceAccountPolicy(allowed: ["builder"])).startedRuns.count == 1)
    }
}
