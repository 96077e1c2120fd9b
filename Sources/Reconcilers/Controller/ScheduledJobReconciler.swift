import Foundation
import K8sClient
import K8sRuntime
import Logging
import Metrics

/// Writes a ScheduledJob's status and finalizers (the API server in production, a fake in tests).
public protocol StatusWriter: Sendable {
    /// Replaces the status; throws `Conflict` when `sj` is not the latest version.
    func writeStatus(_ sj: ScheduledJob) async throws -> ScheduledJob
    /// Replaces `metadata.finalizers`; throws `Conflict` when `sj` is not the latest version.
    func writeFinalizers(_ sj: ScheduledJob, _ finalizers: [String]) async throws -> ScheduledJob
}

/// The thin, effectful layer around `SchedulePlanner`: gather the runs, plan, carry out the
/// steps, write the planned status once, and say when to look again.
public struct ScheduledJobReconciler: Sendable {
    public let target: any RunTarget
    public let events: any EventRecorder
    public let statusWriter: any StatusWriter
    public let now: @Sendable () -> Date
    public let logger: Logger
    public let defaultTimeZone: String
    /// How long a deleted ScheduledJob waits for its target's cleanup (a JobManager that is
    /// gone) before its finalizer is removed anyway, so that a namespace never hangs.
    public let cleanupTimeout: TimeInterval
    /// See `reconcileRuns`: whether to write the status of freshly started Jobs in a requeued
    /// reconcile (asked each time: never while the queue drains, which serves no requeue).
    public let deferStatusAfterStart: @Sendable () async -> Bool
    /// The ServiceAccount policy in a namespace (the operator's flag and the Namespace's annotation, as cached now).
    public let serviceAccounts: @Sendable (_ namespace: String?) -> ServiceAccountPolicy

    public init(target: any RunTarget, events: any EventRecorder, statusWriter: any StatusWriter, now: @escaping @Sendable () -> Date = Date.init, defaultTimeZone: String = "UTC", cleanupTimeout: TimeInterval = 300, deferStatusAfterStart: @escaping @Sendable () async -> Bool = { false }, serviceAccounts: @escaping @Sendable (_ namespace: String?) -> ServiceAccountPolicy = { _ in .any }, logger: Logger = Logger(label: "sked.reconciler")) {
        self.deferStatusAfterStart = deferStatusAfterStart
        self.serviceAccounts = serviceAccounts
        self.defaultTimeZone = defaultTimeZone
        self.target = target
        self.events = events
        self.statusWriter = statusWriter
        self.now = now
        self.cleanupTimeout = cleanupTimeout
        self.logger = logger
    }

    /// The same reconciler logging with `logger` (per-reconcile metadata such as a reconcile id).
    public func with(logger: Logger) -> ScheduledJobReconciler {
        ScheduledJobReconciler(target: target, events: events, statusWriter: statusWriter, now: now, defaultTimeZone: defaultTimeZone, cleanupTimeout: cleanupTimeout, deferStatusAfterStart: deferStatusAfterStart, serviceAccounts: serviceAccounts, logger: logger)
    }

    /// How soon a reconcile that found its backend busy is tried again.
    static let busyRetry: Duration = .seconds(1)

    public func reconcile(_ original: ScheduledJob) async throws -> ReconcileAction {
        var log = logger
        log[metadataKey: "namespace"] = "\(original.metadata.namespace ?? "")"
        log[metadataKey: "name"] = "\(original.metadata.name ?? "")"
        guard let slot = target.slot(for: original) else {
            // Its backend is as busy as allowed (slow or down): nothing is decided now, so the
            // planner sees the tick late rather than a worker waiting on someone else's server.
            Counter(label: "sked_reconciles_deferred_total", dimensions: [("reason", "backend_busy")]).increment()
            log.debug("backend busy, looking again shortly")
            return .requeue(after: Self.busyRetry)
        }
        defer { slot.release() }
        if original.metadata.deletionTimestamp != nil { return try await finalize(original, log) }
        let sj = try await withFinalizers(original)
        do {
            return try await reconcileRuns(sj, log)
        } catch let unavailable as RunTargetUnavailable {
            return try await report(unavailable, on: sj, log)
        }
    }

    /// Plan, carry out the steps, fold what they answered into the status, write it (now, or
    /// after the requeue that `StatusWrite.afterRequeue` allows), and say when to look again.
    private func reconcileRuns(_ sj: ScheduledJob, _ log: Logger) async throws -> ReconcileAction {
        let runs = await withFailureDetails(try await target.observedRuns(of: sj), of: sj)
        let plan = SchedulePlanner.plan(sj, runs: runs, now: now(), defaultTimeZone: defaultTimeZone, serviceAccounts: serviceAccounts(sj.metadata.namespace))
        let outcomes = try await StepExecutor(target: target, events: events, now: now).execute(plan, on: sj, runs: runs, log)
        let (status, write) = SchedulePlanner.fold(plan, outcomes, for: sj, now: now())
        // A drain serves no requeue, so whether to defer is asked each time.
        if write == .afterRequeue, await deferStatusAfterStart() {
            return .requeueBehindDueKeys
        }
        if write != .none {
            RunMetrics.recorded(sj, before: sj.status, after: status, target: (plan.spec?.kind ?? .job).metricsName)
            var updated = sj
            updated.status = status
            _ = try await statusWriter.writeStatus(updated)
        }
        // Targets that cannot be watched (Flink) are polled while they have active runs, and
        // looked at again soon after an action.
        var poll = target.pollInterval(for: status.active ?? [], now: now())
        if outcomes.contains(where: \.actedOnARun), let p = poll { poll = min(p, 1) }
        guard let after = [plan.requeueAfter, poll].compactMap({ $0 }).min() else { return .awaitChange }
        return .requeue(after: .seconds(clampingRequeue: after))
    }

    /// The target cannot be reached: nothing is decided (the next reconcile plans from what
    /// is then true), `Ready` says why, and we look again with a backoff that grows with the
    /// outage, from 2 s to a minute.
    private func report(_ unavailable: RunTargetUnavailable, on sj: ScheduledJob, _ log: Logger) async throws -> ReconcileAction {
        var status = sj.status ?? ScheduledJobStatus()
        let previous = status.conditions?[type: "Ready"]
        let since = previous.flatMap { $0.reason == unavailable.reason ? $0.lastTransitionTime : nil } ?? now()
        status.setNotReady(reason: unavailable.reason, message: unavailable.message, unavailable.needsChange ? .stalled : .retrying, generation: sj.metadata.generation, at: now())
        // This generation has been seen and its problem is the one reported: without this, a
        // ScheduledJob whose target was down from the start looks unobserved to kstatus and Argo CD.
        status.observedGeneration = sj.metadata.generation
        if previous?.reason != unavailable.reason {
            log.warning("run target unavailable", metadata: ["reason": "\(unavailable.reason)", "error": "\(unavailable.message)"])
        }
        await events.record(EventNote(.warning, unavailable.reason, unavailable.message), on: sj)
        if status != sj.status {
            var updated = sj
            updated.status = status
            _ = try await statusWriter.writeStatus(updated)
        }
        let delay = min(60, max(2, now().timeIntervalSince(since) / 5))
        return .requeue(after: .milliseconds(Int64(delay * 1000)))
    }

    /// Adds the finalizer the target needs (before any run starts) and drops one it no longer needs.
    private func withFinalizers(_ sj: ScheduledJob) async throws -> ScheduledJob {
        let current = sj.metadata.finalizers ?? []
        let needed = target.finalizer(for: sj)
        var wanted = current.filter { $0 != ScheduledJob.flinkCleanupFinalizer }
        if let needed { wanted.append(needed) }
        guard Set(wanted) != Set(current) else { return sj }
        return try await statusWriter.writeFinalizers(sj, wanted)
    }

    /// A deleted ScheduledJob: let the target clean up, then release the finalizer; after
    /// `cleanupTimeout` release it anyway and say so.
    private func finalize(_ sj: ScheduledJob, _ log: Logger) async throws -> ReconcileAction {
        let finalizers = sj.metadata.finalizers ?? []
        guard finalizers.contains(ScheduledJob.flinkCleanupFinalizer) else { return .awaitChange }
        do {
            try await target.finalize(sj)
            log.info("cleaned up before deletion")
        } catch let unavailable as RunTargetUnavailable {
            let deleted = sj.metadata.deletionTimestamp ?? now()
            let waited = now().timeIntervalSince(deleted)
            guard waited >= cleanupTimeout else {
                await events.record(EventNote(.warning, unavailable.reason, "Cannot clean up before deletion yet (giving up after \(Int(cleanupTimeout))s): \(unavailable.message)"), on: sj)
                return .requeue(after: .milliseconds(Int64(min(10, max(1, cleanupTimeout - waited)) * 1000)))
            }
            let jobs = (sj.status?.active ?? []).compactMap(\.flinkJobID).joined(separator: ", ")
            let message = "Removed finalizer \(ScheduledJob.flinkCleanupFinalizer) after \(Int(waited))s without cleaning up: \(unavailable.message)"
                + (jobs.isEmpty ? "" : "; Flink job(s) \(jobs) may still be running")
            log.warning("cleanup abandoned", metadata: ["error": "\(unavailable.message)"])
            await events.record(EventNote(.warning, "CleanupAbandoned", message), on: sj)
        }
        _ = try await statusWriter.writeFinalizers(sj, finalizers.filter { $0 != ScheduledJob.flinkCleanupFinalizer })
        return .awaitChange
    }

    /// Adds the target's failure detail to runs that failed since the last reconcile (the
    /// only I/O before planning, and only once per failed run).
    private func withFailureDetails(_ runs: [ObservedRun], of sj: ScheduledJob) async -> [ObservedRun] {
        let recorded = Set(sj.status?.history?.map(\.name) ?? [])
        var result = runs
        for i in result.indices {
            guard case .finished(let r, let at, let message) = result[i].state, r != .succeeded, !recorded.contains(result[i].name),
                  let detail = await target.failureDetail(of: result[i], for: sj) else { continue }
            result[i].state = .finished(r, at: at, message: [message, detail].compactMap { $0 }.joined(separator: "; "))
        }
        return result
    }
}

extension Duration {
    /// A requeue delay from seconds derived from user values: never negative, at most a day
    /// (a later wake-up is simply planned again then, level-triggered), and never a trap for a
    /// value beyond what Int64 nanoseconds hold.
    static func seconds(clampingRequeue seconds: TimeInterval) -> Duration {
        let day: TimeInterval = 86_400
        if seconds.isNaN || seconds >= day { return .seconds(Int64(day)) }
        if seconds <= 0 { return .zero }
        return .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }
}
