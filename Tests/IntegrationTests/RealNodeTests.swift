import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// End to end on a real node (kube-scheduler, kubelet, containerd, the job controller): Jobs
/// created by sked run busybox pods for real, so success, exit codes, termination messages,
/// timeouts, retries and the concurrency policies are what a cluster really does.
@Suite struct RunsOnARealNode {
    static let image = "docker.io/library/busybox:1.36"
    /// How long a pod may take to be scheduled, started, finished or removed: seconds when the
    /// machine is idle, but a loaded 2-core machine (builds, other suites' pods) needs far more.
    static let bound: Int64 = 120

    func with(_ prefix: String, _ body: @Sendable (OperatorFixture, TestControlPlane) async throws -> Void) async throws {
        let plane = try await TestControlPlane.withNode()
        try await CRDInstaller.shared.install(plane)
        try await plane.withNamespace(prefix) { client, ns in
            try await body(OperatorFixture(client: client, namespace: ns), plane)
        }
    }

    /// A Job template running `script` in busybox; `$JOB` is the Job's name (from the pod's
    /// `job-name` label), so a script can behave differently per attempt.
    static func template(_ script: String, backoffLimit: Int = 0) -> JobTemplate {
        JobTemplate(spec: [
            "backoffLimit": .number(Double(backoffLimit)),
            "template": ["spec": [
                "restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "automountServiceAccountToken": false,
                "containers": [[
                    "name": "main", "image": .string(image), "command": ["sh", "-c", .string(script)],
                    "env": [["name": "JOB", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['job-name']"]]]],
                ]],
            ]],
        ])
    }

    func create(_ f: OperatorFixture, _ name: String, schedule: String?, script: String, configure: (inout ScheduledJobSpec) -> Void = { _ in }) async throws {
        var spec = ScheduledJobSpec(schedule: schedule, jobTemplate: Self.template(script))
        configure(&spec)
        _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: name), spec: spec))
    }

    func status(_ f: OperatorFixture, _ name: String) async throws -> ScheduledJobStatus? { try await f.scheduledJobs.get(name).status }

    func pods(_ f: OperatorFixture, job: String) async throws -> [UnstructuredObject] {
        try await f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: .pods).list(ListOptions(labelSelector: "job-name=\(job)")).items
    }

    @Test func runsSucceedFailWithTheirMessageTimeOutRetryAndOneShotsEnd() async throws {
        try await with("node-results") { f, _ in
            try await f.running {
                try await create(f, "ok", schedule: "*/4 * * * * *", script: "echo hello") { $0.successfulRunsHistoryLimit = 2 }
                try await create(f, "fails", schedule: nil, script: "echo 'disk full' > /dev/termination-log; exit 3")
                try await create(f, "slow", schedule: nil, script: "sleep 60") { $0.runTimeoutSeconds = 3 }
                try await create(f, "retried", schedule: nil, script: #"case "$JOB" in *-r2) echo second try; exit 0;; *) exit 1;; esac"#) {
                    $0.retry = RetrySpec(limit: 2, backoffSeconds: 2, maxBackoffSeconds: 10)
                }
                try await create(f, "once", schedule: nil, script: "echo done")

                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) { try await status(f, "once")?.phase == "Succeeded" })

                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) { try await status(f, "fails")?.phase == "Failed" })
                let failed = try #require(try await status(f, "fails")?.history?.first)
                #expect(failed.result == .failed)
                #expect(failed.message?.contains("container main exited with code 3") == true && failed.message?.contains("disk full") == true, "\(failed.message ?? "nil")")

                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) { try await status(f, "slow")?.history?.first != nil })
                let slow = try #require(try await status(f, "slow")?.history?.first)
                #expect(slow.result == .timedOut, "\(slow)")
                // The timed-out run's pod is being stopped: the Job controller (DeadlineExceeded) or
                // the garbage collector (sked deleted the Job) asked for its deletion, or it ended;
                // and then it is gone. Each step on a loaded 2-core node can take tens of seconds.
                var slowPods: [String] = []
                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) {
                    let now = try await pods(f, job: slow.name)
                    slowPods = now.map { "\($0.metadata.name ?? "") phase=\($0["status"]?["phase"]?.stringValue ?? "") deleting=\($0.metadata.deletionTimestamp != nil)" }
                    return now.allSatisfy { $0.metadata.deletionTimestamp != nil || ["Failed", "Succeeded"].contains($0["status"]?["phase"]?.stringValue ?? "") }
                }, "the timed-out run's pod is stopped: \(slowPods)")
                #expect(try await eventually(timeout: .seconds(2 * Self.bound), interval: .seconds(1)) { try await pods(f, job: slow.name).isEmpty },
                        "the timed-out run's pod is removed")

                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) { try await status(f, "retried")?.phase == "Succeeded" })
                let attempts = (try await status(f, "retried")?.history ?? []).sorted { $0.attempt < $1.attempt }
                #expect(attempts.map(\.attempt) == [1, 2] && attempts.map(\.result) == [.failed, .succeeded], "\(attempts)")
                if attempts.count == 2, let failedAt = attempts[0].completionTime, let retriedAt = attempts[1].startTime {
                    #expect(retriedAt.timeIntervalSince(failedAt) >= 1.5, "the retry waited for its backoff")
                }

                // History limits delete real finished Jobs, and the garbage collector their pods.
                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) {
                    try await f.events(for: "ok").contains { $0.reason == "HistoryCleaned" }
                })
                let st = try #require(try await status(f, "ok"))
                #expect(st.history?.filter { $0.result == .succeeded }.count == 2)
                // Every Job is a run the status names, or is being deleted. The schedule keeps
                // firing, and a run's Job exists a moment before its status write (create first,
                // status after), so this is checked until status and Jobs are read in agreement.
                var jobNames: [String?] = []
                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(200)) {
                    let jobs = try await f.childJobs(of: "ok")
                    jobNames = jobs.map(\.metadata.name)
                    let now = try await status(f, "ok")
                    let kept = Set(now?.history?.map(\.name) ?? []).union(now?.active?.map(\.name) ?? [])
                    return jobs.allSatisfy { kept.contains($0.metadata.name ?? "") || $0.metadata.deletionTimestamp != nil }
                }, "\(jobNames)")
                let podsLeft = try await f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: .pods).list().items
                    .compactMap { $0.metadata.labels?["job-name"] }.filter { $0.hasPrefix("ok-") }
                #expect(try await eventually(timeout: .seconds(2 * Self.bound), interval: .milliseconds(500)) {
                    let names = try await f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: .pods).list().items
                        .compactMap { $0.metadata.labels?["job-name"] }.filter { $0.hasPrefix("ok-") }
                    let current = Set((try await status(f, "ok")?.history?.map(\.name) ?? []) + (try await status(f, "ok")?.active?.map(\.name) ?? []))
                    return names.allSatisfy { current.contains($0) }
                }, "pods of trimmed runs remain: \(podsLeft)")
            }
        }
    }

    @Test func forbidSkipsWhileARunReallyRunsAndReplaceKillsTheRunningPod() async throws {
        try await with("node-policy") { f, _ in
            try await f.running {
                try await create(f, "forbid", schedule: "*/2 * * * * *", script: "sleep 5") { $0.concurrencyPolicy = "Forbid" }
                try await create(f, "replace", schedule: "*/5 * * * * *", script: "echo started; sleep 600") { $0.concurrencyPolicy = "Replace" }

                // Forbid: never two active runs, and ticks during a run are skipped (counted missed),
                // watched until a 5 s run has really completed and two ticks were skipped.
                var maxActive = 0
                let done = try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(250)) {
                    let active = try await f.childJobs(of: "forbid").filter { $0.finishedCondition == nil && $0.metadata.deletionTimestamp == nil }
                    maxActive = max(maxActive, active.count)
                    let st = try await status(f, "forbid")
                    return (st?.missedRuns ?? 0) >= 2 && st?.history?.contains { $0.result == .succeeded } == true
                }
                #expect(maxActive == 1)
                let forbid = try #require(try await status(f, "forbid"))
                #expect(done, "a 5 s run really completed and ticks were skipped meanwhile: \(forbid)")
                #expect(try await f.events(for: "forbid").contains { $0.reason == "RunSkipped" })

                // Replace: the next tick deletes the running Job; its pod is killed and removed.
                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) {
                    try await status(f, "replace")?.history?.contains { $0.result == .cancelled } == true
                })
                let replaced = try #require(try await status(f, "replace")?.history?.first { $0.result == .cancelled })
                #expect(replaced.message?.contains("replaced by") == true)
                // Its pod is being killed at once (deletion requested), and is gone once the kubelet
                // has stopped it (slower on a loaded machine).
                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) {
                    try await pods(f, job: replaced.name).allSatisfy { $0.metadata.deletionTimestamp != nil }
                })
                #expect(try await eventually(timeout: .seconds(2 * Self.bound), interval: .seconds(1)) { try await pods(f, job: replaced.name).isEmpty })
                #expect(try await f.jobs.getIfPresent(replaced.name) == nil)
                // The replacement really runs.
                #expect(try await eventually(timeout: .seconds(Self.bound), interval: .milliseconds(500)) {
                    guard let current = try await status(f, "replace")?.active?.first?.name else { return false }
                    return try await pods(f, job: current).contains { $0["status"]?["phase"]?.stringValue == "Running" }
                })
            }
        }
    }
}
