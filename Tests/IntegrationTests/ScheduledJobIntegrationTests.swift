import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// sked's controller against the real kube-apiserver (Jobs are finished by patching their
/// status, as envtest-based suites do, since this control plane has no kubelet).
@Suite struct ScheduledJobsAgainstRealAPIServer {
    @Test func ticksBecomeJobsWithDeterministicNamesOwnerLabelsAndAnnotations() async throws {
        try await OperatorFixture.with("ticks") { f in
            try await f.running {
                let sj = try await f.create("ticker", schedule: "*/2 * * * * *")
                let two = try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "ticker").count >= 2 }
                #expect(two)
                for job in try await f.childJobs(of: "ticker") {
                    let annotations = try #require(job.metadata.annotations)
                    let scheduled = try #require(annotations["sked.dev/scheduled-time"].flatMap(RFC3339.parse))
                    #expect(job.metadata.name == "ticker-\(Int64(scheduled.timeIntervalSince1970))")
                    #expect(Int64(scheduled.timeIntervalSince1970) % 2 == 0)
                    #expect(annotations["sked.dev/trigger"] == "schedule")
                    #expect(annotations["owner"] == "tests")
                    #expect(job.metadata.labels?["team"] == "qa")
                    #expect(job.metadata.labels?["app.kubernetes.io/managed-by"] == "sked")
                    let owner = try #require(job.metadata.controllerReference)
                    #expect(owner.uid == sj.metadata.uid && owner.kind == "ScheduledJob" && owner.apiVersion == "sked.dev/v1alpha1")
                    #expect(owner.blockOwnerDeletion == true)
                    #expect(job.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first?["image"] == "busybox:1.36")
                }
                // The status is written right after each Job is created: wait for it to catch up.
                #expect(try await eventually { (try await f.scheduledJobs.get("ticker").status?.activeRuns ?? 0) >= 2 })
                let status = try #require(try await f.scheduledJobs.get("ticker").status)
                #expect(status.phase == "Running")
                #expect(status.lastScheduleTime != nil)
                // The next tick is after the last one handled and on the schedule (not compared with
                // the wall clock: on a loaded machine the status read may be seconds old).
                let last = try #require(status.lastScheduleTime), next = try #require(status.nextScheduleTime)
                #expect(next > last && Int64(next.timeIntervalSince1970) % 2 == 0, "last \(last), next \(next)")
                #expect(status.nextScheduleTimes?.first == next)
                #expect((status.activeRuns ?? 0) >= 2)
                #expect(status.conditions?[type: "Ready"]?.status == "True")
                #expect(try await f.events(for: "ticker").contains { $0.reason == "RunStarted" })
            }
        }
    }

    @Test func finishedRunsGoToHistoryAndOldOnesAreDeleted() async throws {
        try await OperatorFixture.with("history") { f in
            try await f.running {
                _ = try await f.create("hist", schedule: "* * * * * *") {
                    $0.successfulRunsHistoryLimit = 2
                    $0.failedRunsHistoryLimit = 1
                }
                var finished = Set<String>()
                let enough = try await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                    for job in try await f.childJobs(of: "hist") where job.finishedCondition == nil && !finished.contains(job.metadata.name!) {
                        let fail = finished.count == 1
                        try await f.finish(job, succeeded: !fail, message: "container main exited with 3")
                        finished.insert(job.metadata.name!)
                    }
                    return finished.count >= 6
                }
                #expect(enough)
                try await f.scheduledJobs.patch("hist", .merge(["spec": ["suspend": true]]))
                let trimmed = try await eventually(timeout: .seconds(60)) {
                    let done = try await f.childJobs(of: "hist").filter { $0.finishedCondition != nil }
                    return done.count <= 3
                }
                #expect(trimmed)
                let status = try #require(try await f.scheduledJobs.get("hist").status)
                let history = status.history ?? []
                #expect(history.filter { $0.result == .succeeded }.count == 2)
                #expect(history.filter { $0.result != .succeeded }.count <= 1)
                #expect(status.lastSuccessfulTime != nil)
                let events = try await f.events(for: "hist").compactMap(\.reason)
                #expect(events.contains("RunSucceeded"))
                #expect(events.contains("RunFailed"))
                #expect(events.contains("HistoryCleaned"))
                let failedEvent = try await f.events(for: "hist").first { $0.reason == "RunFailed" }
                #expect(failedEvent?.message?.contains("container main exited with 3") == true)
            }
        }
    }

    @Test func aRestartedOperatorNeitherDuplicatesNorLosesATick() async throws {
        try await OperatorFixture.with("restart") { f in
            func jobsScheduledAfter(_ t: Date) async throws -> Int {
                try await f.tickAccounting(of: "steady").times.filter { TimeInterval($0) > t.timeIntervalSince1970 }.count
            }
            let created = Date()
            _ = try await f.running {
                _ = try await f.create("steady", schedule: "*/2 * * * * *") { $0.startingDeadlineSeconds = 30 }
                _ = try await eventually(timeout: .seconds(60)) { try await jobsScheduledAfter(created) >= 2 }
            }
            let stopped = Date()
            // Down for less than one interval, then a fresh operator (new caches) takes over.
            try await Task.sleep(for: .milliseconds(1500))
            let (resumed, (times, jobCount, missed, ticks)) = try await f.running {
                let resumed = Date()
                // Read while the controller runs, once the status has caught up with the Jobs
                // (a Job exists a moment before the status that counts the ticks around it).
                let settled = try await eventually(timeout: .seconds(60)) {
                    let a = try await f.tickAccounting(of: "steady")
                    return try await jobsScheduledAfter(resumed) >= 2 && a.times.count + a.missed == a.ticks
                }
                #expect(settled)
                return (resumed, try await f.tickAccounting(of: "steady"))
            }
            #expect(times.count == jobCount)
            #expect(Set(times).count == times.count, "a tick produced two Jobs: \(times)")
            // Every tick is accounted for: a Job, or counted as missed, with only the most recent
            // tick started. How many are missed is not bounded here: besides the restart, a
            // reconcile later than one interval on a loaded machine skips ticks by design.
            #expect(times.count + missed == ticks, "jobs \(times), missed \(missed), down \(resumed.timeIntervalSince(stopped)) s")
            #expect(missed < ticks)
        }
    }

    @Test func deletingTheScheduledJobGarbageCollectsItsJobs() async throws {
        try await OperatorFixture.with("gc") { f in
            try await f.running {
                _ = try await f.create("doomed", schedule: "* * * * * *")
                _ = try await eventually(timeout: .seconds(60)) { try await f.childJobs(of: "doomed").count >= 1 }
                try await f.scheduledJobs.delete("doomed", options: DeleteOptions(propagationPolicy: .background))
            }
            let gone = try await eventually(timeout: .seconds(60), interval: .milliseconds(500)) { try await f.childJobs(of: "doomed").isEmpty }
            #expect(gone)
        }
    }

    @Test func anInvalidSpecIsReportedAndDoesNotAffectOthers() async throws {
        try await OperatorFixture.with("invalid") { f in
            try await f.running {
                _ = try await f.create("broken", schedule: "61 * * * *")
                _ = try await f.create("badzone", schedule: "0 * * * *") { $0.timeZone = "Mars/Olympus" }
                _ = try await f.create("fine", schedule: "* * * * * *")
                let reported = try await eventually(timeout: .seconds(60)) {
                    let a = try await f.scheduledJobs.get("broken").status?.phase
                    let b = try await f.scheduledJobs.get("badzone").status?.phase
                    return a == "Invalid" && b == "Invalid"
                }
                #expect(reported)
                let ready = try await f.scheduledJobs.get("broken").status?.conditions?[type: "Ready"]
                #expect(ready?.status == "False")
                #expect(ready?.reason == "InvalidSchedule")
                #expect(ready?.message.contains("61") == true)
                #expect(try await f.scheduledJobs.get("badzone").status?.conditions?[type: "Ready"]?.reason == "InvalidTimeZone")
                #expect(try await f.events(for: "broken").contains { $0.reason == "InvalidSchedule" && $0.type == "Warning" })
                #expect(try await eventually { try await f.childJobs(of: "fine").count >= 1 })
                #expect(try await f.childJobs(of: "broken").isEmpty)
            }
        }
    }

    @Test func runNowAndStopTokensActOncePerValue() async throws {
        try await OperatorFixture.with("tokens") { f in
            try await f.running {
                _ = try await f.create("manual", schedule: "0 0 1 1 *") { $0.suspend = true }
                try await f.scheduledJobs.patch("manual", .merge(["metadata": ["annotations": ["sked.dev/run-now": "first"]]]))
                let started = try await eventually { try await f.childJobs(of: "manual").count == 1 }
                #expect(started)
                let job = try #require(try await f.childJobs(of: "manual").first)
                #expect(job.metadata.annotations?["sked.dev/trigger"] == "manual")
                #expect(try await f.scheduledJobs.get("manual").status?.lastRunNowToken == "first")

                try await f.scheduledJobs.patch("manual", .merge(["metadata": ["annotations": ["sked.dev/stop": "halt-1"]]]))
                let stopped = try await eventually {
                    let s = try await f.scheduledJobs.get("manual").status
                    return s?.lastStopToken == "halt-1" && s?.history?.first?.result == .cancelled
                }
                #expect(stopped)
                #expect(try await eventually { try await f.childJobs(of: "manual").isEmpty })
                // The same run-now token again (re-applied manifest) starts nothing new.
                try await f.scheduledJobs.patch("manual", .merge(["metadata": ["labels": ["touched": "yes"]]]))
                try await Task.sleep(for: .seconds(1))
                #expect(try await f.childJobs(of: "manual").isEmpty)
            }
        }
    }

    @Test func aOneShotRunsOnceAndReportsItsResult() async throws {
        try await OperatorFixture.with("once") { f in
            try await f.running {
                _ = try await f.create("single", schedule: nil)
                _ = try await eventually { try await f.childJobs(of: "single").count == 1 }
                let job = try #require(try await f.childJobs(of: "single").first)
                #expect(job.metadata.name == "single-once")
                #expect(job.metadata.annotations?["sked.dev/trigger"] == "once")
                try await f.finish(job, succeeded: true)
                let succeeded = try await eventually { try await f.scheduledJobs.get("single").status?.phase == "Succeeded" }
                #expect(succeeded)
                #expect(try await f.childJobs(of: "single").count == 1)
            }
        }
    }

    @Test func forbidSkipsTicksWhileARunIsActive() async throws {
        try await OperatorFixture.with("forbid") { f in
            try await f.running {
                _ = try await f.create("exclusive", schedule: "* * * * * *") { $0.concurrencyPolicy = "Forbid" }
                _ = try await eventually { try await f.childJobs(of: "exclusive").count == 1 }
                try await Task.sleep(for: .seconds(3))
                #expect(try await f.childJobs(of: "exclusive").count == 1)
                #expect((try await f.scheduledJobs.get("exclusive").status?.missedRuns ?? 0) >= 2)
                #expect(try await f.events(for: "exclusive").contains { $0.reason == "RunSkipped" })
            }
        }
    }
}

@Suite struct ScheduledJobFailureDetails {
    @Test func aFailedRunsHistoryCarriesTheContainersExitCodeAndTerminationMessage() async throws {
        try await OperatorFixture.with("exitcode") { f in
            // No serviceaccount controller runs here: create the namespace's default account by hand.
            _ = try await f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: ResourceDescriptor(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true))
                .create(UnstructuredObject(apiVersion: "v1", kind: "ServiceAccount", metadata: ObjectMeta(name: "default")))
            try await f.running {
                _ = try await f.create("fails", schedule: nil)
                _ = try await eventually { try await f.childJobs(of: "fails").count == 1 }
                let job = try #require(try await f.childJobs(of: "fails").first)
                // The pod the Job controller and kubelet would have made, with a terminated container.
                let pods = f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: .pods)
                var pod = try await pods.create(UnstructuredObject(
                    apiVersion: "v1", kind: "Pod", metadata: ObjectMeta(name: "fails-once-abcde", labels: ["job-name": job.metadata.name!]),
                    fields: ["spec": ["restartPolicy": "Never", "automountServiceAccountToken": false, "containers": [["name": "main", "image": "busybox:1.36"]]]]))
                pod["status"] = ["phase": "Failed", "containerStatuses": [[
                    "name": "main", "image": "busybox:1.36", "imageID": "", "ready": false, "restartCount": 0,
                    "state": ["terminated": ["exitCode": 3, "reason": "Error", "message": "disk full"]],
                ]]]
                _ = try await pods.updateStatus(pod)
                try await f.finish(job, succeeded: false)
                let recorded = try await eventually { try await f.scheduledJobs.get("fails").status?.phase == "Failed" }
                #expect(recorded)
                let message = try await f.scheduledJobs.get("fails").status?.history?.first?.message ?? ""
                #expect(message.contains("BackoffLimitExceeded"), "\(message)")
                #expect(message.contains("container main exited with code 3 (Error): disk full"), "\(message)")
            }
        }
    }
}

@Suite struct CRDAsUsersSeeIt {
    func kubectl(_ plane: TestControlPlane, _ args: [String]) throws -> (Int32, String) {
        try plane.kubectl(args)
    }

    @Test func kubectlExplainDescribesEveryPolicy() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        // The API server publishes a new CRD's OpenAPI a few seconds after it is established.
        var (status, out) = (Int32(1), "")
        _ = await eventually(timeout: .seconds(60), interval: .seconds(1)) {
            (status, out) = (try? kubectl(plane, ["explain", "scheduledjob.spec.concurrencyPolicy"])) ?? (1, "")
            return status == 0
        }
        #expect(status == 0, "\(out)")
        for word in ["Allow", "Forbid", "Replace"] { #expect(out.contains(word), "\(out)") }
        let (s2, schedule) = try kubectl(plane, ["explain", "sj.spec.schedule"])
        #expect(s2 == 0)
        #expect(schedule.contains("@every"))
    }

    @Test func everyExampleIsAcceptedDefaultedAndShownByKubectlGet() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await plane.withNamespace("examples") { client, ns in
            let (status, out) = try kubectl(plane, ["apply", "-n", ns, "-f", TestControlPlane.repositoryRoot + "/examples/", "-f", TestControlPlane.repositoryRoot + "/examples/flink/"])
            #expect(status == 0, "\(out)")
            let items = try await client.api(ScheduledJob.self, namespace: ns).list().items
            #expect(items.count >= 9)
            #expect(items.filter { $0.spec.flinkJob != nil }.count == 2)
            #expect(items.first { $0.metadata.name == "hourly-sessionizer" }?.spec.flinkJob?.headersSecretRef?.name == "flink-gateway-auth")
            for sj in items {
                #expect(sj.spec.concurrencyPolicy != nil, "no default on \(sj.metadata.name ?? "")")
                #expect(sj.spec.successfulRunsHistoryLimit != nil && sj.spec.timeZone != nil, "no defaults on \(sj.metadata.name ?? "")")
                if case .failure(let problem) = sj.spec.validated() { Issue.record("example \(sj.metadata.name ?? "") is invalid: \(problem)") }
            }
            let (gs, table) = try kubectl(plane, ["get", "sj", "-n", ns])
            #expect(gs == 0)
            for column in ["SCHEDULE", "SUSPEND", "ACTIVE", "PHASE", "LAST SCHEDULE", "NEXT", "AGE"] { #expect(table.contains(column), "\(table)") }
        }
    }

    /// The API server prunes fields its schema does not know: every spec and status field
    /// the operator reads or writes, set at once, must come back unchanged.
    @Test func everyFieldTheOperatorReadsOrWritesIsInTheSchema() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await plane.withNamespace("fields") { client, ns in
            let api = client.api(ScheduledJob.self, namespace: ns)
            let when = Date(timeIntervalSince1970: 1_795_000_000)
            let jobSpec = ScheduledJobSpec(
                schedule: "*/5 * * * *", timeZone: "Europe/Berlin", suspend: true, concurrencyPolicy: "Replace", startingDeadlineSeconds: 30,
                successfulRunsHistoryLimit: 2, failedRunsHistoryLimit: 4, runTimeoutSeconds: 60,
                retry: RetrySpec(limit: 2, backoffSeconds: 5, maxBackoffSeconds: 50),
                jobTemplate: JobTemplate(metadata: .init(labels: ["a": "b"], annotations: ["c": "d"]), spec: ["backoffLimit": 0, "template": ["spec": ["containers": []]]]))
            let flinkSpec = ScheduledJobSpec(
                schedule: "@hourly", timeZone: "UTC", suspend: false, concurrencyPolicy: "Forbid", startingDeadlineSeconds: 10,
                successfulRunsHistoryLimit: 3, failedRunsHistoryLimit: 1, runTimeoutSeconds: 5, retry: RetrySpec(limit: 0, backoffSeconds: 10, maxBackoffSeconds: 600),
                flinkJob: FlinkJobSpec(
                    jobManagerURL: "http://jm:8081", jarURL: "https://x/job.jar", entryClass: "a.B", args: ["--x", "1"], parallelism: 2,
                    savepointPath: "file:/sp", allowNonRestoredState: true, stopMode: "Savepoint", savepointDirectory: "/sps",
                    restoreFromLastSavepoint: true, headersSecretRef: SecretReference(name: "h")))
            var status = ScheduledJobStatus()
            status.observedGeneration = 1
            status.phase = "Running"
            status.conditions = [Condition(type: "Ready", status: "False", reason: "FlinkUnreachable", message: "m", lastTransitionTime: when, observedGeneration: 1)]
            status.lastScheduleTime = when
            status.nextScheduleTime = when
            status.nextScheduleTimes = [when, when.addingTimeInterval(300)]
            status.lastSuccessfulTime = when
            status.missedRuns = 3
            status.activeRuns = 1
            status.active = [ActiveRun(name: "r1", kind: "FlinkJob", uid: "u", scheduledTime: when, startTime: when, attempt: 2, trigger: .retry, runID: "1795000000",
                                       flink: FlinkRunInfo(flinkJobID: "0123456789abcdef0123456789abcdef", jarID: "j.jar", jobManagerURL: "http://jm:8081"))]
            status.history = [RunRecord(name: "r0", kind: "FlinkJob", scheduledTime: when, startTime: when, completionTime: when, result: .cancelled, message: "x",
                                        attempt: 1, trigger: .manual, flinkJobID: "0123456789abcdef0123456789abcdee", savepointPath: "file:/sp/1")]
            status.lastRunNowToken = "t1"
            status.lastStopToken = "t2"
            status.pendingRetries = [PendingRetry(scheduledTime: when, attempt: 2, notBefore: when, runID: "1795000000", trigger: .schedule)]
            for (name, spec) in [("job", jobSpec), ("flink", flinkSpec)] {
                var created = try await api.create(ScheduledJob(metadata: ObjectMeta(name: name), spec: spec))
                #expect(created.spec == spec, "pruned spec fields: \(name)")
                created.status = status
                let written = try await api.updateStatus(created)
                #expect(written.status == status, "pruned status fields: \(String(describing: written.status))")
            }
        }
    }

    @Test func theSchemaRejectsValuesTheOperatorCouldNotUse() async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await plane.withNamespace("schema") { client, ns in
            let api = client.api(ScheduledJob.self, namespace: ns)
            let template = JobTemplate(spec: ["template": ["spec": ["containers": []]]])
            for bad in [
                ScheduledJobSpec(schedule: "@daily", concurrencyPolicy: "Sometimes", jobTemplate: template),
                ScheduledJobSpec(schedule: "@daily", successfulRunsHistoryLimit: -1, jobTemplate: template),
                ScheduledJobSpec(schedule: "@daily", flinkJob: FlinkJobSpec(jobManagerURL: "http://jm", jarURL: "http://j", stopMode: "Drain")),
                ScheduledJobSpec(schedule: "@daily", flinkJob: FlinkJobSpec(jobManagerURL: "http://jm", jarURL: "http://j", parallelism: 0)),
                ScheduledJobSpec(schedule: "@daily", flinkJob: FlinkJobSpec(jarURL: "http://j")),
            ] {
                await #expect { _ = try await api.create(ScheduledJob(metadata: ObjectMeta(name: "bad"), spec: bad)) } throws: {
                    ($0 as? KubernetesError)?.reason == .invalid
                }
            }
        }
    }
}
