import Foundation
import K8sClient
import Logging
import Metrics

/// Writes a ScheduledJob's status (the `status` subresource in production, a fake in tests).
public protocol StatusWriter: Sendable {
    /// Replaces the status; throws `Conflict` when `sj` is not the latest version.
    func writeStatus(_ sj: ScheduledJob) async throws -> ScheduledJob
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

    public init(target: any RunTarget, events: any EventRecorder, statusWriter: any StatusWriter, now: @escaping @Sendable () -> Date = Date.init, defaultTimeZone: String = "UTC", logger: Logger = Logger(label: "sked.reconciler")) {
        self.defaultTimeZone = defaultTimeZone
        self.target = target
        self.events = events
        self.statusWriter = statusWriter
        self.now = now
        self.logger = logger
    }

    /// The same reconciler logging with `logger` (per-reconcile metadata such as a reconcile id).
    public func with(logger: Logger) -> ScheduledJobReconciler {
        ScheduledJobReconciler(target: target, events: events, statusWriter: statusWriter, now: now, defaultTimeZone: defaultTimeZone, logger: logger)
    }

    public func reconcile(_ sj: ScheduledJob) async throws -> ReconcileAction {
        var log = logger
        log[metadataKey: "namespace"] = "\(sj.metadata.namespace ?? "")"
        log[metadataKey: "name"] = "\(sj.metadata.name ?? "")"
        if sj.metadata.deletionTimestamp != nil { return .awaitChange }

        let plan = SchedulePlanner.plan(sj, runs: await withFailureDetails(target.observedRuns(of: sj), of: sj), now: now(), defaultTimeZone: defaultTimeZone)
        var status = plan.status
        let spec = try? sj.spec.validated(defaultTimeZone: defaultTimeZone).get()
        for step in plan.steps {
            switch step {
            case .startRun(let request):
                guard let spec else { continue }
                do {
                    let outcome = try await target.start(request, for: sj, spec: spec)
                    switch outcome {
                    case .created(let uid, let startTime):
                        record(uid: uid, startTime: startTime, of: request.name, in: &status)
                        RunMetrics.started(sj, target: "job", trigger: request.trigger, scheduledTime: request.scheduledTime, now: now())
                        log.info("started run", metadata: ["run": "\(request.name)", "trigger": "\(request.trigger.rawValue)", "scheduledTime": "\(RFC3339.format(request.scheduledTime))"])
                        await events.record(EventNote(.normal, "RunStarted", "Started run \(request.name) (\(request.trigger.rawValue), scheduled \(RFC3339.format(request.scheduledTime)))"), on: sj)
                    case .alreadyExisted(let uid, let startTime):
                        record(uid: uid, startTime: startTime, of: request.name, in: &status)
                    }
                } catch let rejected as RunStartRejected {
                    // Retrying cannot help: record the run as failed so the tick is accounted for.
                    status.active?.removeAll { $0.name == request.name }
                    status.activeRuns = status.active?.count ?? 0
                    if status.active?.isEmpty == true { status.active = nil }
                    var history = status.history ?? []
                    history.insert(RunRecord(
                        name: request.name, kind: "Job", scheduledTime: request.scheduledTime, startTime: nil, completionTime: now(),
                        result: .failed, message: String(rejected.message.prefix(1024)), attempt: request.attempt, trigger: request.trigger), at: 0)
                    status.history = history
                    log.warning("run rejected", metadata: ["run": "\(request.name)", "error": "\(rejected)"])
                    await events.record(EventNote(.warning, "RunStartFailed", rejected.message), on: sj)
                }
            case .stopRun(let name, let result):
                try await target.stop(name, for: sj)
                log.info("stopped run", metadata: ["run": "\(name)", "result": "\(result.rawValue)"])
            case .deleteRun(let name):
                try await target.delete(name, for: sj)
            case .event(let note):
                await events.record(note, on: sj)
            }
        }

        RunMetrics.recorded(sj, before: sj.status, after: status, target: "job")
        if status != sj.status {
            var updated = sj
            updated.status = status
            _ = try await statusWriter.writeStatus(updated)
        }
        guard let after = plan.requeueAfter else { return .awaitChange }
        return .requeue(after: .nanoseconds(Int64((after * 1e9).rounded(.up))))
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

    private func record(uid: String?, startTime: Date?, of name: String, in status: inout ScheduledJobStatus) {
        guard let i = status.active?.firstIndex(where: { $0.name == name }) else { return }
        if let uid { status.active?[i].uid = uid }
        if let startTime { status.active?[i].startTime = startTime }
    }
}
