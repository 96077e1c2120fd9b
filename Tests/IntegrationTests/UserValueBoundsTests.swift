import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// Numbers a ScheduledJob author can write that once made the operator trap on every restart
/// (and its standby after it), so that no ScheduledJob in the cluster was scheduled any more.
/// The controller runs in this test process: a trap would end the whole test run.
@Suite struct UserValueBounds {
    @Test(arguments: [
        ("spec.retry.limit", "100"), ("spec.retry.backoffSeconds", "315360000"), ("spec.retry.maxBackoffSeconds", "315360000"),
        ("spec.runTimeoutSeconds", "315360000"), ("spec.startingDeadlineSeconds", "315360000"),
        ("spec.successfulRunsHistoryLimit", "100"), ("spec.failedRunsHistoryLimit", "100"),
    ])
    func aNumberBeyondItsMaximumIsRefusedAtApplyNamingTheField(field: String, maximum: String) async throws {
        try await OperatorFixture.with("bounds") { f in
            let huge = Int.max
            do {
                _ = try await f.create("too-big", schedule: "* * * * *") {
                    switch field {
                    case "spec.retry.limit": $0.retry = RetrySpec(limit: huge)
                    case "spec.retry.backoffSeconds": $0.retry = RetrySpec(backoffSeconds: Int64(huge))
                    case "spec.retry.maxBackoffSeconds": $0.retry = RetrySpec(maxBackoffSeconds: Int64(huge))
                    case "spec.runTimeoutSeconds": $0.runTimeoutSeconds = Int64(huge)
                    case "spec.startingDeadlineSeconds": $0.startingDeadlineSeconds = Int64(huge)
                    case "spec.successfulRunsHistoryLimit": $0.successfulRunsHistoryLimit = huge
                    default: $0.failedRunsHistoryLimit = huge
                    }
                }
                Issue.record("the API server admitted \(field) = \(huge)")
            } catch let e as KubernetesError {
                #expect(e.statusCode == 422)
                #expect(e.message.contains("\(field) in body should be less than or equal to \(maximum)"), "\(e.message)")
            }
            // The largest allowed value is admitted.
            _ = try await f.create("largest", schedule: "* * * * *") {
                $0.retry = RetrySpec(limit: 100, backoffSeconds: 315_360_000, maxBackoffSeconds: 315_360_000)
                $0.runTimeoutSeconds = 315_360_000
                $0.startingDeadlineSeconds = 315_360_000
                $0.successfulRunsHistoryLimit = 100
                $0.failedRunsHistoryLimit = 100
            }
        }
    }

    /// Exactly one target, as `kubectl apply` sees it: both or neither is refused by the CRD's
    /// schema; one is admitted.
    @Test func bothTargetsOrNoneAreRefusedAtApply() async throws {
        let plane = try await TestControlPlane.shared()
        try await OperatorFixture.with("targets") { f in
            let job = #"jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}"#
            let flink = #"flinkJob: {jobManagerURL: "http://jm:8081", jarURL: "http://x/job.jar"}"#
            func apply(_ name: String, _ targets: [String]) throws -> (Int32, String) {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-\(name)-\(UUID().uuidString).yaml")
                try """
                    apiVersion: sked.dev/v1alpha1
                    kind: ScheduledJob
                    metadata: {name: \(name), namespace: \(f.namespace)}
                    spec:
                      schedule: "@daily"
                    \(targets.map { "  " + $0 }.joined(separator: "\n"))
                    """.write(to: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: file) }
                return try plane.kubectl(["apply", "-f", file.path])
            }
            for (name, targets) in [("both", [job, flink]), ("none", [])] {
                let (status, out) = try apply(name, targets)
                #expect(status != 0 && out.contains("must validate one and only one schema (oneOf)"), "\(name): \(out)")
            }
            for (name, target) in [("job", job), ("flink", flink)] {
                let (status, out) = try apply(name, [target])
                #expect(status == 0, "\(name): \(out)")
            }
            #expect(try await f.scheduledJobs.list().items.map { $0.metadata.name ?? "" }.sorted() == ["flink", "job"])
        }
    }

    /// The CRD's patterns: a Flink URL that is not http(s) and a time zone that is not shaped
    /// like an IANA name are refused at apply, naming the field; well-shaped ones are admitted
    /// (whether the zone exists stays the operator's check: Ready=False InvalidTimeZone).
    @Test func urlsAndTimeZonesOfTheWrongShapeAreRefusedAtApply() async throws {
        let plane = try await TestControlPlane.shared()
        try await OperatorFixture.with("patterns") { f in
            func apply(_ name: String, _ spec: String) throws -> (Int32, String) {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-\(name)-\(UUID().uuidString).yaml")
                try "apiVersion: sked.dev/v1alpha1\nkind: ScheduledJob\nmetadata: {name: \(name), namespace: \(f.namespace)}\nspec: \(spec)\n"
                    .write(to: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: file) }
                return try plane.kubectl(["apply", "-f", file.path])
            }
            let job = #"jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}"#
            for (name, spec, field) in [
                ("ftp", #"{schedule: "@daily", flinkJob: {jobManagerURL: "ftp://jm:21", jarURL: "http://x/job.jar"}}"#, "spec.flinkJob.jobManagerURL"),
                ("space", #"{schedule: "@daily", flinkJob: {jobManagerURL: "http://jm:8081", jarURL: "http://x/my job.jar"}}"#, "spec.flinkJob.jarURL"),
                ("zone-space", #"{schedule: "@daily", timeZone: "Europe/ Berlin", \#(job)}"#, "spec.timeZone"),
                ("zone-long", #"{schedule: "@daily", timeZone: "Europe/\#(String(repeating: "x", count: 80))", \#(job)}"#, "spec.timeZone"),
            ] {
                let (status, out) = try apply(name, spec)
                #expect(status != 0 && out.contains(field), "\(name): \(out)")
            }
            for (name, spec) in [
                ("https", #"{schedule: "@daily", flinkJob: {jobManagerURL: "HTTPS://jm:8081/prefix", jarURL: "https://x/job.jar?v=1"}}"#),
                ("zone", #"{schedule: "@daily", timeZone: "America/Argentina/Buenos_Aires", \#(job)}"#),
                ("zone-offset", #"{schedule: "@daily", timeZone: "Etc/GMT+5", \#(job)}"#),
                ("zone-unknown", #"{schedule: "@daily", timeZone: "Mars/Olympus", \#(job)}"#),
            ] {
                let (status, out) = try apply(name, spec)
                #expect(status == 0, "\(name): \(out)")
            }
        }
    }

    @Test func aFailedJobWhoseAttemptAnnotationIsNearIntMaxIsRecordedAndNotRetriedWhileOthersKeepRunning() async throws {
        try await OperatorFixture.with("attempt") { f in
            try await f.running {
                let victim = try await f.create("victim", schedule: "* * * * *") {
                    $0.suspend = true
                    $0.retry = RetrySpec(limit: 3, backoffSeconds: 1)
                }
                _ = try await f.create("healthy", schedule: "*/2 * * * * *")
                // A Job of the victim's, as sked would make it, whose attempt someone set near Int.max.
                let scheduled = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 60).rounded(.down))
                let runID = RunNaming.scheduledRunID(scheduled)
                let request = RunRequest(
                    name: RunNaming.runName(scheduledJob: "victim", runID: runID, attempt: 1), runID: runID,
                    scheduledTime: scheduled, trigger: .schedule, attempt: 1)
                var job = JobTarget.makeJob(request, for: victim, spec: try victim.spec.validated().get())
                job.metadata.annotations?[JobTarget.Annotation.attempt] = String(Int.max - 1)
                let created = try await f.jobs.create(job)
                try await f.finish(created, succeeded: false, message: "exit 1")

                let recorded = try await eventually(timeout: .seconds(30)) {
                    try await f.scheduledJobs.get("victim").status?.history?.contains { $0.name == request.name } == true
                }
                #expect(recorded)
                let status = try #require(try await f.scheduledJobs.get("victim").status)
                #expect(status.history?.first { $0.name == request.name }?.attempt == SpecBounds.maxAttempt)
                #expect(status.pendingRetries == nil)
                #expect(status.conditions?[type: "Ready"]?.status == "True")
                // The controller is still scheduling: the healthy ScheduledJob gets new Jobs.
                let before = try await f.childJobs(of: "healthy").count
                #expect(try await eventually(timeout: .seconds(30)) { try await f.childJobs(of: "healthy").count >= before + 2 })
            }
        }
    }

    static func createDeep(_ name: String, in f: OperatorFixture) async throws {
        let deep = String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600)
        let body = #"{"apiVersion":"sked.dev/v1alpha1","kind":"ScheduledJob","metadata":{"name":"\#(name)"},"spec":{"schedule":"* * * * * *","jobTemplate":{"spec":{"template":\#(deep)}}}}"#
        _ = try await f.client.request("POST", path: "/apis/sked.dev/v1alpha1/namespaces/\(f.namespace)/scheduledjobs", body: Data(body.utf8), contentType: "application/json")
    }

    /// Phase, Ready status and reason, read with kubectl (the object is too deep for JSONDecoder).
    static func ready(_ name: String, in f: OperatorFixture, kubeconfig: String) throws -> String {
        let (status, out) = try TestProcess.run("/usr/bin/env", [
            "kubectl", "--kubeconfig", kubeconfig, "-n", f.namespace, "get", "scheduledjob", name,
            "-o", #"jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}"#,
        ])
        return status == 0 ? out.trimmingCharacters(in: .whitespacesAndNewlines) : "kubectl failed: \(out)"
    }

    /// A ScheduledJob nested 600 levels deep inside jobTemplate.spec (the API server admits it)
    /// once failed every list page and watch event it was in: the cache never synced and no
    /// ScheduledJob in any namespace was reconciled.
    @Test func aScheduledJobTooDeepToDecodeIsReportedWhileTheOthersRun() async throws {
        let kubeconfig = try await TestControlPlane.shared().adminKubeconfig
        try await OperatorFixture.with("deep") { f in
            try await Self.createDeep("deep-before", in: f)
            try await f.running { try await Self.checkDeepOnesAreReported(f, kubeconfig: kubeconfig) }
        }
    }

    static func checkDeepOnesAreReported(_ f: OperatorFixture, kubeconfig: String) async throws {
        _ = try await f.create("healthy", schedule: "*/2 * * * * *")
        try await Self.createDeep("deep-after", in: f)
        #expect(try await eventually(timeout: .seconds(30)) { try await f.childJobs(of: "healthy").count >= 2 })
        for name in ["deep-before", "deep-after"] {
            let reported = try await eventually(timeout: .seconds(30)) { try Self.ready(name, in: f, kubeconfig: kubeconfig) == "Invalid False Undecodable" }
            let seen = try Self.ready(name, in: f, kubeconfig: kubeconfig)
            #expect(reported, "\(name): \(seen)")
            let event = try await f.events(for: name).first { $0.reason == "Undecodable" }
            #expect(event?.type == "Warning")
            #expect(event?.message?.contains("nested 60") == true, "\(String(describing: event?.message))")
            #expect(try await f.childJobs(of: name).isEmpty)
        }
        // Reported once: the status write came back as another undecodable event.
        try await Task.sleep(for: .seconds(2))
        #expect(try await f.events(for: "deep-after").filter { $0.reason == "Undecodable" }.map { $0.count ?? 1 } == [1])
    }
}
