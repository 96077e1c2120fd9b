import Foundation
import K8sClient
import K8sRuntime
import Synchronization

/// Runs as `batch/v1` Jobs: one Job per run, owned by the ScheduledJob (so the garbage
/// collector removes them with it), labelled and annotated so that the cluster alone tells
/// which run each Job is.
public struct JobTarget: RunTarget {
    public enum Label {
        public static let scheduledJob = "sked.dev/scheduled-job"
        public static let managedBy = "app.kubernetes.io/managed-by"
    }
    public enum Annotation {
        public static let scheduledTime = "sked.dev/scheduled-time"
        public static let trigger = "sked.dev/trigger"
        public static let runID = "sked.dev/run-id"
        public static let attempt = "sked.dev/attempt"
        /// What the CronJob controller stamps on its Jobs (RFC 3339 in the schedule's time
        /// zone), so tools that read it see sked's runs the same way.
        public static let cronJobScheduledTimestamp = "batch.kubernetes.io/cronjob-scheduled-timestamp"
        static let all = [scheduledTime, trigger, runID, attempt]
    }

    let client: KubernetesClient
    /// The informer of Jobs labelled `sked.dev/scheduled-job`, its cache indexed by that label;
    /// told of each Job this target creates or deletes, so the next plan sees it at once.
    let jobs: Informer<Job>
    var store: Store<Job> { jobs.store }
    /// Creates that ended without an answer (timeout, connection lost): the API server may
    /// have made the Job anyway, and the cache may not show it for a while (a watch that is
    /// down, a relist). Until a GET settles it, nothing is planned from the cache alone.
    let unconfirmed = RunExpectations<Void>()

    public init(client: KubernetesClient, jobs: Informer<Job>) {
        self.client = client
        self.jobs = jobs
    }

    /// What the informer keeps of each Job: only what `observedRun(of:)` and the owner lookup
    /// read. With 20,000 cached Jobs this is most of sked's memory, so the pod template, other
    /// labels and annotations, and every condition but the finishing one are dropped, and the
    /// keys are sked's own constants rather than one heap copy per Job.
    public static func cacheTransform(_ job: Job) -> Job {
        let m = job.metadata
        var meta = ObjectMeta(name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion)
        meta.uid = m.uid
        meta.creationTimestamp = m.creationTimestamp
        meta.deletionTimestamp = m.deletionTimestamp
        meta.labels = m.labels?[Label.scheduledJob].map { [Label.scheduledJob: $0] }
        var annotations: [String: String] = [:]
        for key in Annotation.all {
            if let value = m.annotations?[key] { annotations[key] = value }
        }
        meta.annotations = annotations.isEmpty ? nil : annotations
        meta.ownerReferences = m.controllerReference.map { ref in
            let ours = ref.apiVersion == ownerAPIVersion && ref.kind == ScheduledJob.resource.kind
            return [OwnerReference(
                apiVersion: ours ? ownerAPIVersion : ref.apiVersion, kind: ours ? ScheduledJob.resource.kind : ref.kind,
                name: ref.name, uid: ref.uid, controller: true)]
        }
        let finished = job.finishedCondition.map {
            JobCondition(type: $0.type, status: $0.status, reason: $0.reason, message: $0.message, lastTransitionTime: $0.lastTransitionTime)
        }
        let status = JobStatus(conditions: finished.map { [$0] }, startTime: job.status?.startTime, completionTime: job.status?.completionTime)
        return Job(metadata: meta, status: status)
    }

    /// One shared copy: `ResourceDescriptor.apiVersion` builds a new string on every call.
    private static let ownerAPIVersion = ScheduledJob.resource.apiVersion

    public func observedRuns(of sj: ScheduledJob) async throws -> [ObservedRun] {
        try await settleUnconfirmedCreates(of: sj)
        return cachedRuns(of: sj)
    }

    /// Asks the API server about each create of `sj` that ended without an answer and is not
    /// in the cache yet; an error here fails the reconcile (retried with backoff) rather than
    /// planning as if the Job did not exist: a second Forbid run, a tick counted twice.
    func settleUnconfirmedCreates(of sj: ScheduledJob) async throws {
        let owner = ObjectKey(namespace: sj.metadata.namespace, name: sj.metadata.name ?? "")
        for (name, _) in unconfirmed.unsettled(of: owner, uid: sj.metadata.uid ?? "") {
            if store.get(ObjectKey(namespace: sj.metadata.namespace, name: name)) != nil {
                unconfirmed.settle(name, of: owner)
                continue
            }
            if let job = try await api(sj).getIfPresent(name), job.metadata.controllerReference?.uid == sj.metadata.uid {
                jobs.recordOwnWrite(.created(job))
            }
            unconfirmed.settle(name, of: owner)
        }
    }

    func cachedRuns(of sj: ScheduledJob) -> [ObservedRun] {
        guard let name = sj.metadata.name else { return [] }
        return store.byLabel(Label.scheduledJob, RunNaming.labelValue(scheduledJob: name), namespace: sj.metadata.namespace)
            .filter { $0.metadata.controllerReference?.uid == sj.metadata.uid && $0.metadata.deletionTimestamp == nil }
            .compactMap(Self.observedRun(of:))
    }

    public static func observedRun(of job: Job) -> ObservedRun? {
        guard let name = job.metadata.name else { return nil }
        let a = job.metadata.annotations ?? [:]
        let scheduled = a[Annotation.scheduledTime].flatMap(RFC3339.parse) ?? job.metadata.creationTimestamp ?? Date(timeIntervalSince1970: 0)
        let state: ObservedRun.State
        if let c = job.finishedCondition {
            let at = job.status?.completionTime ?? c.lastTransitionTime
            if c.type == "Complete" {
                state = .finished(.succeeded, at: at, message: nil)
            } else {
                let message = [c.reason, c.message].compactMap { $0 }.joined(separator: ": ")
                state = .finished(c.reason == "DeadlineExceeded" ? .timedOut : .failed, at: at, message: message.isEmpty ? nil : message)
            }
        } else {
            state = .active
        }
        return ObservedRun(
            name: name, kind: "Job", uid: job.metadata.uid, runID: a[Annotation.runID] ?? name, scheduledTime: scheduled,
            trigger: a[Annotation.trigger].flatMap(Trigger.init(rawValue:)) ?? .schedule,
            attempt: a[Annotation.attempt].flatMap(Int.init) ?? 1,
            startTime: job.status?.startTime, createdAt: job.metadata.creationTimestamp, state: state)
    }

    /// The Job for a run: the template's spec verbatim, its labels and annotations, and sked's own.
    public static func makeJob(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) -> Job {
        let template = sj.spec.jobTemplate
        var labels = template?.metadata?.labels ?? [:]
        labels[Label.scheduledJob] = RunNaming.labelValue(scheduledJob: sj.metadata.name ?? "")
        labels[Label.managedBy] = "sked"
        var annotations = template?.metadata?.annotations ?? [:]
        annotations[Annotation.scheduledTime] = RFC3339.format(request.scheduledTime)
        annotations[Annotation.cronJobScheduledTimestamp] = RFC3339.format(request.scheduledTime, in: spec.timeZone)
        annotations[Annotation.trigger] = request.trigger.rawValue
        annotations[Annotation.runID] = request.runID
        annotations[Annotation.attempt] = String(request.attempt)
        var jobSpec = template?.spec.value ?? [:]
        // The Job controller enforces the timeout even while sked is down.
        if let timeout = spec.runTimeoutSeconds, jobSpec["activeDeadlineSeconds"] == nil {
            jobSpec["activeDeadlineSeconds"] = .number(Double(timeout))
        }
        let owner = OwnerReference(
            apiVersion: ScheduledJob.resource.apiVersion, kind: ScheduledJob.resource.kind, name: sj.metadata.name ?? "",
            uid: sj.metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
        return Job(
            metadata: ObjectMeta(name: request.name, namespace: sj.metadata.namespace, labels: labels, annotations: annotations, ownerReferences: [owner]),
            spec: jobSpec)
    }

    /// Answers are only cached (without spec) or read for metadata: skip pod templates, and
    /// let the API server answer in protobuf, which it encodes several times faster than JSON.
    private func api(_ sj: ScheduledJob) -> API<Job> { client.api(Job.self, namespace: sj.metadata.namespace).preferringProtobuf() }

    public func start(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome {
        let job = Self.makeJob(request, for: sj, spec: spec)
        do {
            let timeout = Self.createTimeout(request, spec, now: Date())
            // The bound holds for all attempts together, not only for each one.
            let api = api(sj)
            let created: Job
            do {
                if let timeout {
                    created = try await withDeadline(timeout) { try await api.create(job, timeout: timeout) }
                } else {
                    created = try await api.create(job)
                }
            } catch let e as KubernetesError where !e.isTransient {
                throw e  // an answer: the Job was not created
            } catch {
                unconfirmed.expect(request.name, (), of: ObjectKey(namespace: sj.metadata.namespace, name: sj.metadata.name ?? ""), uid: sj.metadata.uid ?? "")
                throw error
            }
            jobs.recordOwnWrite(.created(created))  // so the next reconcile sees it before the watch does
            return .created(uid: created.metadata.uid, startTime: created.status?.startTime ?? created.metadata.creationTimestamp)
        } catch let e as KubernetesError where e.isAlreadyExists {
            // Our own earlier attempt (a restart, a lost status write): adopt it if it is ours.
            let existing = try await api(sj).get(request.name)
            guard existing.metadata.controllerReference?.uid == sj.metadata.uid else {
                throw RunStartRejected("Job \(request.name) already exists and is not controlled by this ScheduledJob")
            }
            jobs.recordOwnWrite(.created(existing))
            return .alreadyExisted(uid: existing.metadata.uid, startTime: existing.status?.startTime ?? existing.metadata.creationTimestamp)
        } catch let e as KubernetesError where !e.isTransient && [.invalid, .badRequest].contains(e.reason) {
            throw RunStartRejected("the API server rejected Job \(request.name): \(e.message)")
        } catch let e as KubernetesError where e.reason == .forbidden {
            // Not the run's fault, and often passing (RBAC not yet loaded by a restarted API
            // server, a binding being fixed): the tick stays due and is retried with backoff.
            throw RunTargetUnavailable(reason: "Forbidden", "cannot create Job \(request.name): \(e.message)")
        }
    }

    /// A create that cannot finish before the run's starting deadline should not be waited
    /// for longer: after a timeout the next reconcile re-plans, and a run past its deadline is
    /// counted missed instead of being created late. (A request an API server already holds
    /// can still land after that; this bounds only how long sked keeps it in flight.)
    static func createTimeout(_ request: RunRequest, _ spec: ValidatedSpec, now: Date) -> Duration? {
        guard let deadline = spec.startingDeadlineSeconds, request.trigger == .schedule else { return nil }
        let remaining = request.scheduledTime.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(now)
        return .milliseconds(Int64(min(30, max(1, remaining)) * 1000))
    }

    /// The first container that ended with a non-zero exit code in the run's pods, with its
    /// termination message. Reading pods needs `pods: list`; without it this quietly gives nil.
    public func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String? {
        let pods = client.api(UnstructuredObject.self, namespace: sj.metadata.namespace, resource: .pods)
        guard let list = try? await pods.list(ListOptions(labelSelector: "job-name=\(run.name)")) else { return nil }
        return Self.failureDetail(pods: list.items)
    }

    static func failureDetail(pods: [UnstructuredObject]) -> String? {
        for pod in pods {
            let statuses = (pod["status"]?["initContainerStatuses"]?.arrayValue ?? []) + (pod["status"]?["containerStatuses"]?.arrayValue ?? [])
            for container in statuses {
                guard let terminated = container["state"]?["terminated"] ?? container["lastState"]?["terminated"],
                      let code = terminated["exitCode"]?.intValue, code != 0 else { continue }
                var text = "container \(container["name"]?.stringValue ?? "?") exited with code \(code)"
                if let reason = terminated["reason"]?.stringValue, !reason.isEmpty { text += " (\(reason))" }
                if let message = terminated["message"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !message.isEmpty {
                    text += ": " + message
                }
                return String(text.prefix(1024))
            }
        }
        return nil
    }

    public func stop(_ run: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome {
        try await delete(run.name, for: sj)
        return .stopped
    }

    public func delete(_ run: ObservedRun, for sj: ScheduledJob) async throws {
        try await delete(run.name, for: sj)
    }

    private func delete(_ name: String, for sj: ScheduledJob) async throws {
        // Background: the Job goes now, the garbage collector removes its pods.
        try await api(sj).deleteIfPresent(name, options: DeleteOptions(propagationPolicy: .background))
        jobs.recordOwnWrite(.deleted(ObjectKey(namespace: sj.metadata.namespace, name: name)))
    }
}
