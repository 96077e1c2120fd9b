import Foundation
@testable import K8sClient
@testable import K8sRuntime
import K8sTestSupport
@testable import Reconcilers
import Testing

@Suite struct ReconcilerSideEffects {
    let target = FakeTarget()
    let events = FakeEvents()
    let writer = FakeStatusWriter()
    var reconciler: ScheduledJobReconciler { ScheduledJobReconciler(target: target, events: events, statusWriter: writer, now: { at(0.25) }) }

    @Test func startsTheRunRecordsTheEventWritesStatusOnceAndRequeuesForTheNextTick() async throws {
        let action = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        #expect(target.calls.value == ["start sj-\(unix(t0))"])
        #expect(events.notes.value.map(\.reason) == ["RunStarted"])
        #expect(writer.written.value.count == 1)
        #expect(writer.written.value.first??.active?.first?.uid == "new-uid")
        #expect(action == .requeue(after: .milliseconds(9750)))
    }

    @Test func aYearlyScheduleRequeuesAfterADayAtMost() async throws {
        // The next tick is next year: woken after a day and planned again (level-triggered).
        let action = try await reconciler.reconcile(scheduledJob(schedule: "0 0 0 1 1 *", created: at(-5)))
        #expect(action == .requeue(after: .seconds(86_400)))
    }

    @Test(arguments: [(-1.0, Duration.zero), (0.5, .milliseconds(500)), (86_399.5, .milliseconds(86_399_500)),
                      (1e300, .seconds(86_400)), (.infinity, .seconds(86_400)), (.nan, .seconds(86_400)), (-.infinity, .zero)])
    func requeueDelaysFromAnyNumberOfSecondsAreClamped(seconds: Double, expected: Duration) {
        #expect(Duration.seconds(clampingRequeue: seconds) == expected)
    }

    @Test func adoptingARunThatAlreadyExistedIsSilent() async throws {
        target.startAnswer.value = .success(.alreadyExisted(uid: "old-uid"))
        _ = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        #expect(events.notes.value.isEmpty)
        #expect(writer.written.value.first??.active?.first?.uid == "old-uid")
    }

    @Test func aRejectedRunIsRecordedAsFailedWithTheServersMessage() async throws {
        target.startAnswer.value = .failure(RunStartRejected("the API server rejected Job sj-1: spec.template.spec.containers: Required value"))
        _ = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        let status = try #require(writer.written.value.first ?? nil)
        #expect(status.active == nil)
        #expect(status.activeRuns == 0)
        #expect(status.history?.first?.result == .failed)
        #expect(status.history?.first?.message?.contains("Required value") == true)
        #expect(status.lastScheduleTime == t0)  // the tick is accounted for, not retried forever
        #expect(events.notes.value.contains { $0.reason == "RunStartFailed" && $0.kind == .warning })
        // Only a change can help: stalled, not retrying.
        #expect(status.conditions?[type: "Stalled"]?.status == "True" && status.conditions?[type: "Stalled"]?.reason == "RunStartFailed")
        #expect(status.conditions?[type: "Reconciling"]?.status == "False")
    }

    @Test func theRunsFirstObservationCausesNoSecondStatusWrite() async throws {
        // The target reports the start it will observe later (a Job's creation time, whole seconds).
        target.startAnswer.value = .success(.created(uid: "new-uid", startTime: t0))
        _ = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        let first = try #require(writer.written.value.first ?? nil)
        #expect(first.active?.first?.startTime == t0)
        var observed = run("sj-\(unix(t0))", scheduled: t0, started: t0)
        observed.uid = "new-uid"
        target.runs.value = [observed]
        var sj = scheduledJob(created: at(-5))
        sj.status = first
        _ = try await reconciler.reconcile(sj)
        #expect(writer.written.value.count == 1)
    }

    @Test func anUnchangedStatusIsNotWrittenAgain() async throws {
        _ = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        let first = try #require(writer.written.value.first ?? nil)
        var observed = run("sj-\(unix(t0))", scheduled: t0, started: at(0.25))
        observed.uid = "new-uid"
        target.runs.value = [observed]
        var sj = scheduledJob(created: at(-5))
        sj.status = first
        _ = try await reconciler.reconcile(sj)
        #expect(writer.written.value.count == 1)
        #expect(target.calls.value.count == 1)
    }

    @Test func aStatusConflictIsThrownSoTheQueueRetriesWithFreshState() async throws {
        writer.conflict.value = true
        await #expect(throws: KubernetesError.self) { _ = try await reconciler.reconcile(scheduledJob(created: at(-5))) }
    }

    @Test func stopAndHistorySteps() async throws {
        target.runs.value = [
            run("sj-a", scheduled: at(-20)),
            run("sj-old", scheduled: at(-100), state: .finished(.succeeded, at: at(-90), message: nil)),
        ]
        let sj = scheduledJob(status: status(lastSchedule: t0), annotations: ["sked.dev/stop": "now"]) { $0.successfulRunsHistoryLimit = 0 }
        let action = try await reconciler.reconcile(sj)
        #expect(target.calls.value == ["stop sj-a", "delete sj-old"])
        #expect(action == .requeue(after: .milliseconds(9750)))
    }

    @Test func aSuspendedIdleScheduledJobWaitsForChange() async throws {
        let action = try await reconciler.reconcile(scheduledJob(status: status(lastSchedule: t0)) { $0.suspend = true })
        #expect(action == .awaitChange)
    }
}

@Suite struct JobConstruction {
    @Test func theJobCarriesTheTemplateOwnerLabelsAnnotationsAndTimeout() throws {
        let sj = scheduledJob { $0.runTimeoutSeconds = 120 }
        let spec = try sj.spec.validated().get()
        let job = JobTarget.makeJob(RunRequest(name: "sj-1463652000", runID: "1463652000", scheduledTime: t0, trigger: .schedule, attempt: 1), for: sj, spec: spec)
        #expect(job.metadata.name == "sj-1463652000")
        #expect(job.metadata.namespace == "ns")
        #expect(job.metadata.labels == ["team": "a", "sked.dev/scheduled-job": "sj", "app.kubernetes.io/managed-by": "sked"])
        #expect(job.metadata.annotations?["sked.dev/scheduled-time"] == "2016-05-19T10:00:00Z")
        #expect(job.metadata.annotations?["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2016-05-19T10:00:00Z", "as CronJob stamps it")
        #expect(job.metadata.annotations?["sked.dev/trigger"] == "schedule")
        #expect(job.metadata.annotations?["note"] == "x")
        #expect(job.metadata.ownerReferences == [OwnerReference(apiVersion: "sked.dev/v1alpha1", kind: "ScheduledJob", name: "sj", uid: "uid-sj", controller: true, blockOwnerDeletion: true)])
        #expect(job.spec?["activeDeadlineSeconds"] == 120)
        #expect(job.spec?["template"] == template.spec["template"])
    }

    /// CronJob's annotation is in the schedule's time zone, with its offset at that instant.
    @Test(arguments: [("Europe/Berlin", "2016-05-19T12:00:00+02:00"), ("America/New_York", "2016-05-19T06:00:00-04:00"), ("Asia/Kolkata", "2016-05-19T15:30:00+05:30"), ("UTC", "2016-05-19T10:00:00Z")])
    func theCronJobScheduledTimestampIsInTheScheduleTimeZone(zone: String, stamped: String) throws {
        let sj = scheduledJob { $0.timeZone = zone }
        let job = JobTarget.makeJob(RunRequest(name: "sj-1463652000", runID: "1463652000", scheduledTime: t0, trigger: .schedule, attempt: 1), for: sj, spec: try sj.spec.validated().get())
        #expect(job.metadata.annotations?["batch.kubernetes.io/cronjob-scheduled-timestamp"] == stamped)
        #expect(RFC3339.parse(stamped) == t0)
    }

    @Test func aTemplatesOwnActiveDeadlineWins() throws {
        let sj = scheduledJob {
            $0.runTimeoutSeconds = 120
            $0.jobTemplate?.spec["activeDeadlineSeconds"] = 30
        }
        let job = JobTarget.makeJob(RunRequest(name: "n", runID: "1", scheduledTime: t0, trigger: .manual, attempt: 1), for: sj, spec: try sj.spec.validated().get())
        #expect(job.spec?["activeDeadlineSeconds"] == 30)
    }

    @Test func observedRunsComeOnlyFromJobsThisScheduledJobControls() async throws {
        let client = KubernetesClient.scripted(.init(answers: []))
        let jobs = Informer(api: client.api(Job.self, namespace: "ns"), indexedLabels: [JobTarget.Label.scheduledJob])
        func job(_ name: String, owner: String, deleting: Bool = false) -> Job {
            var meta = ObjectMeta(name: name, namespace: "ns", labels: ["sked.dev/scheduled-job": "sj"], annotations: ["sked.dev/run-id": "1", "sked.dev/trigger": "manual", "sked.dev/attempt": "2"],
                                  ownerReferences: [OwnerReference(apiVersion: "sked.dev/v1alpha1", kind: "ScheduledJob", name: "sj", uid: owner, controller: true)])
            if deleting { meta.deletionTimestamp = t0 }
            return Job(metadata: meta)
        }
        jobs.store.applyWatched(job("mine", owner: "uid-sj"))
        jobs.store.applyWatched(job("previous-incarnation", owner: "uid-old"))
        jobs.store.applyWatched(job("going", owner: "uid-sj", deleting: true))
        let runs = try await JobTarget(client: client, jobs: jobs).observedRuns(of: scheduledJob())
        #expect(runs.map(\.name) == ["mine"])
        #expect(runs.first?.trigger == .manual)
        #expect(runs.first?.attempt == 2)
    }

    @Test func theJobCacheKeepsWhatThePlannerReadsAndNothingElse() throws {
        let job = try KubernetesJSON.decode(Job.self, from: Data(#"""
            {"metadata":{"name":"sj-1","namespace":"ns","uid":"u1","resourceVersion":"42","generation":1,
              "creationTimestamp":"2026-01-01T00:00:01Z","finalizers":["x"],
              "labels":{"sked.dev/scheduled-job":"sj","app":"web","app.kubernetes.io/managed-by":"sked"},
              "annotations":{"sked.dev/scheduled-time":"2026-01-01T00:00:00Z","sked.dev/trigger":"manual","sked.dev/run-id":"r1",
                             "sked.dev/attempt":"2","note":"big"},
              "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"c","uid":"c1"},
                                 {"apiVersion":"sked.dev/v1alpha1","kind":"ScheduledJob","name":"sj","uid":"uid-sj","controller":true,"blockOwnerDeletion":true}]},
             "spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}},
             "status":{"startTime":"2026-01-01T00:00:02Z","completionTime":"2026-01-01T00:00:09Z","failed":2,
              "conditions":[{"type":"Suspended","status":"False"},
                            {"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"too many","lastProbeTime":"2026-01-01T00:00:09Z","lastTransitionTime":"2026-01-01T00:00:09Z"}]}}
            """#.utf8))
        let cached = JobTarget.cacheTransform(job)
        #expect(JobTarget.observedRun(of: cached) == JobTarget.observedRun(of: job))
        #expect(JobTarget.observedRun(of: cached)?.state == .finished(.failed, at: RFC3339.parse("2026-01-01T00:00:09Z")!, message: "BackoffLimitExceeded: too many"))
        #expect(cached.spec == nil)
        #expect(cached.metadata.labels == ["sked.dev/scheduled-job": "sj"])
        #expect(cached.metadata.annotations?.keys.sorted() == ["sked.dev/attempt", "sked.dev/run-id", "sked.dev/scheduled-time", "sked.dev/trigger"])
        #expect(cached.metadata.controllerReference?.uid == "uid-sj")
        #expect(cached.metadata.ownerReferences?.count == 1)
        #expect(cached.key == job.key && cached.metadata.resourceVersion == "42")
        #expect(cached.status?.conditions?.map(\.type) == ["Failed"])
        #expect(cached.metadata.finalizers == nil && cached.metadata.generation == nil)
    }
}

@Suite struct FailureDetails {
    @Test func theFirstNonZeroExitWithItsTerminationMessageIsReported() throws {
        let pod = try KubernetesJSON.decode(UnstructuredObject.self, from: Data(#"""
            {"metadata":{"name":"p"},"status":{"containerStatuses":[
              {"name":"sidecar","state":{"terminated":{"exitCode":0}}},
              {"name":"main","state":{"terminated":{"exitCode":3,"reason":"Error","message":"disk full\n"}}}]}}
            """#.utf8))
        #expect(JobTarget.failureDetail(pods: [pod]) == "container main exited with code 3 (Error): disk full")
        #expect(JobTarget.failureDetail(pods: []) == nil)
    }

    @Test func theReconcilerAddsTheDetailToTheHistoryMessageOnce() async throws {
        final class DetailTarget: RunTarget, @unchecked Sendable {
            let inner = FakeTarget()
            var asked = 0
            func observedRuns(of sj: ScheduledJob) -> [ObservedRun] { inner.observedRuns(of: sj) }
            func start(_ r: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome { try await inner.start(r, for: sj, spec: spec) }
            func stop(_ r: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome { .stopped }
            func delete(_ r: ObservedRun, for sj: ScheduledJob) async throws {}
            func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String? {
                asked += 1
                return "container main exited with code 3: disk full"
            }
        }
        let target = DetailTarget()
        target.inner.runs.value = [run("sj-1", scheduled: at(-20), state: .finished(.failed, at: at(-1), message: "BackoffLimitExceeded: Job has reached the specified backoff limit"))]
        let writer = FakeStatusWriter()
        let reconciler = ScheduledJobReconciler(target: target, events: FakeEvents(), statusWriter: writer, now: { at(0.5) })
        _ = try await reconciler.reconcile(scheduledJob(status: status(lastSchedule: t0)))
        let status = try #require(writer.written.value.first ?? nil)
        #expect(status.history?.first?.message == "BackoffLimitExceeded: Job has reached the specified backoff limit; container main exited with code 3: disk full")
        var sj = scheduledJob(status: status)
        sj.status = status
        _ = try await reconciler.reconcile(sj)
        #expect(target.asked == 1)
    }
}

/// A target that is down, that needs a finalizer, and that leaves savepoints.
final class FlakyTarget: RunTarget {
    let inner = FakeTarget()
    let down = LockedBox(false)
    let finalizeCalls = LockedBox(0)
    func observedRuns(of sj: ScheduledJob) async throws -> [ObservedRun] {
        if down.value { throw RunTargetUnavailable(reason: "FlinkUnreachable", "JobManager http://jm:8081: connection refused") }
        return inner.observedRuns(of: sj)
    }
    func start(_ r: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome { try await inner.start(r, for: sj, spec: spec) }
    func stop(_ r: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome {
        _ = try await inner.stop(r, for: sj)
        return StopOutcome(savepointPath: "file:/sp/\(r.name)")
    }
    func delete(_ r: ObservedRun, for sj: ScheduledJob) async throws {}
    func finalizer(for sj: ScheduledJob) -> String? { ScheduledJob.flinkCleanupFinalizer }
    func finalize(_ sj: ScheduledJob) async throws {
        finalizeCalls.withLock { $0 += 1 }
        if down.value { throw RunTargetUnavailable(reason: "FlinkUnreachable", "JobManager http://jm:8081: connection refused") }
    }
}

@Suite struct ReconcilerWithAnUnreliableTarget {
    let target = FlakyTarget()
    let events = FakeEvents()
    let writer = FakeStatusWriter()
    func reconciler(at seconds: TimeInterval) -> ScheduledJobReconciler {
        ScheduledJobReconciler(target: target, events: events, statusWriter: writer, now: { at(seconds) }, cleanupTimeout: 60)
    }
    func withFinalizer(_ sj: ScheduledJob) -> ScheduledJob {
        var s = sj
        s.metadata.finalizers = [ScheduledJob.flinkCleanupFinalizer]
        return s
    }

    @Test func theFinalizerIsAddedBeforeTheFirstRunStarts() async throws {
        _ = try await reconciler(at: 0.25).reconcile(scheduledJob(created: at(-5)))
        #expect(writer.finalizers.value == [[ScheduledJob.flinkCleanupFinalizer]])
        #expect(target.inner.calls.value.count == 1)
        // Already there: not written again.
        _ = try await reconciler(at: 0.5).reconcile(withFinalizer(scheduledJob(created: at(-5), status: status(lastSchedule: t0))))
        #expect(writer.finalizers.value.count == 1)
    }

    @Test func anUnreachableTargetDecidesNothingSaysWhyAndBacksOff() async throws {
        target.down.value = true
        let sj = withFinalizer(scheduledJob(created: at(-5)))
        let action = try await reconciler(at: 0.25).reconcile(sj)
        #expect(target.inner.calls.value.isEmpty, "no run starts while the target cannot be observed")
        let written = try #require(writer.written.value.last ?? nil)
        let ready = try #require(written.conditions?[type: "Ready"])
        #expect(ready.status == "False" && ready.reason == "FlinkUnreachable" && ready.message.contains("connection refused"))
        #expect(written.conditions?[type: "Reconciling"]?.status == "True" && written.conditions?[type: "Stalled"]?.status == "False")
        #expect(written.observedGeneration == sj.metadata.generation, "the generation was seen; its problem is reported")
        #expect(written.lastScheduleTime == nil, "the tick stays due: it starts when the target is back, or counts as missed")
        #expect(events.notes.value.contains { $0.kind == .warning && $0.reason == "FlinkUnreachable" })
        #expect(action == .requeue(after: .seconds(2)))

        // Ten minutes into the outage the backoff has grown to its cap.
        var later = sj
        later.status = written
        #expect(try await reconciler(at: 600).reconcile(later) == .requeue(after: .seconds(60)))

        // Back: the due tick starts and Ready recovers.
        target.down.value = false
        _ = try await reconciler(at: 601).reconcile(later)
        #expect(target.inner.calls.value.count == 1)
        #expect(writer.written.value.last??.conditions?[type: "Ready"]?.status == "True")
        #expect(writer.written.value.last??.conditions?[type: "Reconciling"]?.status == "False")
    }

    @Test func aSavepointTakenByAStopIsRecordedInTheRunsHistory() async throws {
        target.inner.runs.value = [run("sj-old", scheduled: at(-10))]
        let sj = withFinalizer(scheduledJob(created: at(-60), status: status(lastSchedule: at(-10))) { $0.concurrencyPolicy = "Replace" })
        _ = try await reconciler(at: 0.25).reconcile(sj)
        #expect(target.inner.calls.value == ["stop sj-old", "start sj-\(unix(t0))"])
        let record = try #require(writer.written.value.last??.history?.first { $0.name == "sj-old" })
        #expect(record.result == .cancelled && record.savepointPath == "file:/sp/sj-old")
    }

    @Test func deletionWaitsForCleanupThenGivesUpAfterTheTimeout() async throws {
        var sj = withFinalizer(scheduledJob(created: at(-60)))
        sj.metadata.deletionTimestamp = t0
        target.down.value = true
        #expect(try await reconciler(at: 10).reconcile(sj) == .requeue(after: .seconds(10)))
        #expect(writer.finalizers.value.isEmpty)
        _ = try await reconciler(at: 61).reconcile(sj)
        #expect(writer.finalizers.value == [[]])
        #expect(events.notes.value.contains { $0.reason == "CleanupAbandoned" && $0.message.contains("after 61s") })

        // A reachable target cleans up and releases the finalizer at once.
        target.down.value = false
        _ = try await reconciler(at: 1).reconcile(sj)
        #expect(writer.finalizers.value.count == 2 && target.finalizeCalls.value == 3)
    }
}

@Suite struct CreateFirstStatusAfter {
    let target = FakeTarget()
    let events = FakeEvents()
    let writer = FakeStatusWriter()
    var reconciler: ScheduledJobReconciler {
        ScheduledJobReconciler(target: target, events: events, statusWriter: writer, now: { at(0.25) }, deferStatusAfterStart: { deferring.value })
    }
    let deferring = LockedBox(true)

    @Test func aReconcileThatOnlyStartedJobsLeavesTheStatusToAnImmediateRequeue() async throws {
        let sj = scheduledJob(created: at(-5))
        #expect(try await reconciler.reconcile(sj) == .requeueBehindDueKeys)
        #expect(target.calls.value == ["start sj-\(unix(t0))"])
        #expect(writer.written.value.isEmpty)
        #expect(events.notes.value.map(\.reason) == ["RunStarted"])
        // The requeued reconcile sees the Job (as the informer cache has it) and writes the status once.
        target.runs.value = [run("sj-\(unix(t0))", scheduled: t0, started: t0)]
        #expect(try await reconciler.reconcile(sj) == .requeue(after: .milliseconds(9750)))
        #expect(target.calls.value.count == 1, "nothing started twice")
        let status = try #require(writer.written.value.first ?? nil)
        #expect(status.lastScheduleTime == t0 && status.active?.map(\.name) == ["sj-\(unix(t0))"])
        #expect(events.notes.value.count == 1)
    }

    @Test func whileTheQueueDrainsTheStatusOfAStartedJobIsWrittenAtOnce() async throws {
        deferring.value = false
        let action = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        #expect(target.calls.value == ["start sj-\(unix(t0))"])
        #expect(writer.written.value.first??.active?.map(\.name) == ["sj-\(unix(t0))"])
        #expect(action != .requeueBehindDueKeys)
    }

    @Test func aRejectedStartIsWrittenAtOnce() async throws {
        target.startAnswer.value = .failure(RunStartRejected("invalid"))
        _ = try await reconciler.reconcile(scheduledJob(created: at(-5)))
        #expect(writer.written.value.count == 1)
    }
}

extension CreateFirstStatusAfter {
    @Test func anAdoptedRunIsWrittenAtOnceSoNothingLoops() async throws {
        target.startAnswer.value = .success(.alreadyExisted(uid: "u"))
        #expect(try await reconciler.reconcile(scheduledJob(created: at(-5))) != .requeueBehindDueKeys)
        #expect(writer.written.value.count == 1)
    }

    @Test func aRetryWhoseJobAlreadyExistsIsNotStartedAgain() {
        let retry = PendingRetry(scheduledTime: at(-20), attempt: 2, notBefore: at(-1), runID: RunNaming.scheduledRunID(at(-20)), trigger: .schedule)
        let sj = scheduledJob(created: at(-60), status: status(lastSchedule: t0) { $0.pendingRetries = [retry] }) { $0.retry = RetrySpec(limit: 1) }
        let name = RunNaming.runName(scheduledJob: "sj", runID: retry.runID, attempt: 2)
        let plan = SchedulePlanner.plan(sj, runs: [run(name, scheduled: at(-20), trigger: .retry, attempt: 2)], now: at(0.5))
        #expect(plan.startedRuns.isEmpty)
        #expect(plan.status.pendingRetries == nil)
        #expect(plan.status.active?.map(\.name) == [name])
    }
}

@Suite struct JobCreateBounds {
    @Test func aScheduledCreateIsNotWaitedForBeyondItsStartingDeadline() throws {
        let sj = scheduledJob { $0.startingDeadlineSeconds = 10 }
        let spec = try sj.spec.validated().get()
        let request = RunRequest(name: "sj-1", runID: "1", scheduledTime: t0, trigger: .schedule, attempt: 1)
        #expect(JobTarget.createTimeout(request, spec, now: at(2)) == .seconds(8))
        #expect(JobTarget.createTimeout(request, spec, now: at(9.8)) == .seconds(1))  // at least a second
        let noDeadline = try scheduledJob().spec.validated().get()
        #expect(JobTarget.createTimeout(request, noDeadline, now: at(2)) == nil)
        var manual = request
        manual.trigger = .manual
        #expect(JobTarget.createTimeout(manual, spec, now: at(2)) == nil)
    }

    @Test func aCreateWithoutAnAnswerIsLookedUpBeforeTheNextPlan() async throws {
        let sj = scheduledJob()
        let request = RunRequest(name: "sj-1", runID: "1", scheduledTime: t0, trigger: .schedule, attempt: 1)
        let exists = LockedBox(true)
        let t = ScriptedTransport { r in
            if r.method == "POST" { return .failure(TransportError(.connection, method: r.method, path: r.target, detail: "connection reset by the server")) }
            if r.method == "GET" && r.target.contains("/jobs/sj-") {
                guard exists.value && r.target.hasSuffix("/jobs/sj-1") else { return .status(404, reason: "NotFound", message: "jobs.batch not found") }
                var job = JobTarget.makeJob(request, for: sj, spec: try! sj.spec.validated().get())
                job.metadata.uid = "uid-job"
                return .json(job)
            }
            return .status(500, reason: "InternalError", message: "unexpected \(r.method) \(r.target)")
        }
        let client = KubernetesClient.scripted(t, namespace: "ns", retry: .none)
        let target = JobTarget(client: client, jobs: Informer(api: client.api(Job.self, namespace: "ns"), indexedLabels: [JobTarget.Label.scheduledJob]))
        await #expect(throws: KubernetesError.self) { _ = try await target.start(request, for: sj, spec: try sj.spec.validated().get()) }
        // The API server did create it: the next plan sees it although no watch delivered it.
        #expect(try await target.observedRuns(of: sj).map(\.name) == ["sj-1"])
        let gets = t.requests.filter { $0.method == "GET" }.count
        _ = try await target.observedRuns(of: sj)
        #expect(t.requests.filter { $0.method == "GET" }.count == gets)  // settled: asked once

        // It did not: asked once, then planned from the cache as before.
        exists.value = false
        await #expect(throws: KubernetesError.self) { _ = try await target.start(RunRequest(name: "sj-2", runID: "2", scheduledTime: at(10), trigger: .schedule, attempt: 1), for: sj, spec: try sj.spec.validated().get()) }
        #expect(try await target.observedRuns(of: sj).map(\.name) == ["sj-1"])
    }

    @Test func aForbiddenCreateKeepsTheTickDueInsteadOfFailingTheRun() async throws {
        let t = ScriptedTransport { _ in .status(403, reason: "Forbidden", message: "jobs.batch is forbidden: User \\\"system:serviceaccount:sked-system:sked\\\" cannot create resource \\\"jobs\\\"") }
        let client = KubernetesClient.scripted(t, namespace: "ns")
        let target = JobTarget(client: client, jobs: Informer(api: client.api(Job.self, namespace: "ns")))
        let sj = scheduledJob()
        await #expect { _ = try await target.start(RunRequest(name: "sj-1", runID: "1", scheduledTime: t0, trigger: .schedule, attempt: 1), for: sj, spec: try sj.spec.validated().get()) } throws: {
            ($0 as? RunTargetUnavailable)?.reason == "Forbidden"
        }
    }
}

/// The writer that tells the informer of our own writes must never make it show a version
/// older than one the watch already delivered: the cache would stay stale (the watch has
/// nothing more to send) and every later write would fail with Conflict, as a Flink
/// ScheduledJob annotated right after creation did in CI (409 on each retry for 30 s).
@Suite struct CachedStatusWriterKeepsTheNewestVersion {
    func version(_ rv: String, annotations: [String: String]? = nil, finalizers: [String]? = nil) -> ScheduledJob {
        var sj = scheduledJob(annotations: annotations)
        sj.metadata.resourceVersion = rv
        sj.metadata.finalizers = finalizers
        return sj
    }

    @Test func anAnswerTheWatchOvertookWhileInFlightIsNotShownAndANewerOneIs() async throws {
        let edited = version("v30", annotations: ["sked.dev/run-now": "1"], finalizers: [ScheduledJob.flinkCleanupFinalizer])
        let informer = LockedBox<Informer<ScheduledJob>?>(nil)
        let t = ScriptedTransport { r in
            // The watch delivers our write, then the user's annotation, before our answer arrives.
            let answer = r.method == "PATCH" ? version("v20", finalizers: [ScheduledJob.flinkCleanupFinalizer]) : version("v25")
            informer.value?.store.applyWatched(ScheduledJob.cacheTransform(answer))
            informer.value?.store.applyWatched(edited)
            return .json(answer)
        }
        let client = KubernetesClient.scripted(t, namespace: "ns")
        let sjs = Informer(api: client.api(ScheduledJob.self, namespace: "ns"), transform: ScheduledJob.cacheTransform)
        informer.value = sjs
        sjs.store.applyWatched(version("v19"))
        let writer = CachedStatusWriter(client: client, scheduledJobs: sjs)
        let patched = try await writer.writeFinalizers(version("v19"), [ScheduledJob.flinkCleanupFinalizer])
        #expect(patched.metadata.resourceVersion == "v20")  // the caller gets the answer
        #expect(sjs.store.get(edited.key)?.metadata.resourceVersion == "v30")
        #expect(sjs.store.get(edited.key)?.metadata.annotations?["sked.dev/run-now"] == "1")
        _ = try await writer.writeStatus(version("v20"))
        #expect(sjs.store.get(edited.key)?.metadata.resourceVersion == "v30")
        // An answer the watch has not delivered yet is shown, so the next reconcile starts from what we wrote.
        informer.value = nil
        var ours = edited
        ours.status = ScheduledJobStatus()
        ours.status?.activeRuns = 7
        ours.metadata.resourceVersion = "v31"
        let answer = ours
        let newer = ScriptedTransport { _ in .json(answer) }
        _ = try await CachedStatusWriter(client: .scripted(newer, namespace: "ns"), scheduledJobs: sjs).writeStatus(edited)
        #expect(sjs.store.get(edited.key)?.metadata.resourceVersion == "v31")
        #expect(sjs.store.get(edited.key)?.status?.activeRuns == 7)
    }

    @Test func aFinalizerRemovalThatDeletesTheObjectHidesItAtOnce() async throws {
        var deleted = version("v40")
        deleted.metadata.deletionTimestamp = t0
        let gone = deleted
        let client = KubernetesClient.scripted(ScriptedTransport { _ in .json(gone) }, namespace: "ns")
        let sjs = Informer(api: client.api(ScheduledJob.self, namespace: "ns"))
        var deleting = version("v39", finalizers: [ScheduledJob.flinkCleanupFinalizer])
        deleting.metadata.deletionTimestamp = t0
        sjs.store.applyWatched(deleting)
        _ = try await CachedStatusWriter(client: client, scheduledJobs: sjs).writeFinalizers(deleting, [])
        #expect(sjs.store.get(deleting.key) == nil)
    }
}
