import Foundation
import K8sClient

/// Routes each call to the target that owns the run: new runs go where the spec says, and
/// existing runs stay with the target that started them (a ScheduledJob switched from
/// `jobTemplate` to `flinkJob` still tracks and trims its earlier Jobs).
public struct RunTargetRouter: RunTarget {
    public let job: any RunTarget
    public let flink: any RunTarget

    public init(job: any RunTarget, flink: any RunTarget) {
        self.job = job
        self.flink = flink
    }

    private func target(kind: String) -> any RunTarget { kind == ValidatedFlinkJob.runKind ? flink : job }

    public func observedRuns(of sj: ScheduledJob) async throws -> [ObservedRun] {
        // The Flink target answers at once, without a request, when no Flink run is active.
        try await job.observedRuns(of: sj) + flink.observedRuns(of: sj)
    }

    public func start(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome {
        try await target(kind: spec.kind.name).start(request, for: sj, spec: spec)
    }

    public func stop(_ run: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome {
        try await target(kind: run.kind).stop(run, for: sj)
    }

    public func delete(_ run: ObservedRun, for sj: ScheduledJob) async throws {
        try await target(kind: run.kind).delete(run, for: sj)
    }

    public func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String? {
        await target(kind: run.kind).failureDetail(of: run, for: sj)
    }

    public func pollInterval(for active: [ActiveRun], now: Date) -> TimeInterval? {
        [job.pollInterval(for: active, now: now), flink.pollInterval(for: active, now: now)].compactMap { $0 }.min()
    }

    public func finalizer(for sj: ScheduledJob) -> String? { job.finalizer(for: sj) ?? flink.finalizer(for: sj) }

    public func finalize(_ sj: ScheduledJob) async throws {
        try await job.finalize(sj)
        try await flink.finalize(sj)
    }

    public func slot(for sj: ScheduledJob) -> RunTargetSlot? {
        guard let jobSlot = job.slot(for: sj) else { return nil }
        guard let flinkSlot = flink.slot(for: sj) else {
            jobSlot.release()
            return nil
        }
        return jobSlot.combined(with: flinkSlot)
    }
}
