import Foundation
import K8sClient
import Logging

/// Carries out a plan's steps in order against the run target and the Event recorder, and
/// says what each came to. It writes no status: `SchedulePlanner.fold` does the bookkeeping.
struct StepExecutor: Sendable {
    let target: any RunTarget
    let events: any EventRecorder
    let now: @Sendable () -> Date

    /// A step that fails for a passing reason (the API server, a JobManager) throws: the
    /// reconcile is retried with backoff and plans again from what then exists.
    func execute(_ plan: Plan, on sj: ScheduledJob, runs: [ObservedRun], _ log: Logger) async throws -> [StepOutcome] {
        var outcomes: [StepOutcome] = []
        var folded = plan.status
        for step in plan.steps {
            let outcome = try await execute(step, of: plan, on: sj, folded: folded, runs: runs, log)
            SchedulePlanner.fold(outcome, of: plan, into: &folded, for: sj, now: now())
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// `folded`: the status as the outcomes so far leave it.
    private func execute(_ step: PlanStep, of plan: Plan, on sj: ScheduledJob, folded: ScheduledJobStatus, runs: [ObservedRun], _ log: Logger) async throws -> StepOutcome {
        switch step {
        case .startRun(let request):
            guard let spec = plan.spec else { return .skipped }
            // The target sees the status as folded so far (a savepoint just taken by a Replace).
            var current = sj
            current.status = folded
            do {
                let outcome = try await target.start(request, for: current, spec: spec)
                if case .created = outcome {
                    RunMetrics.started(sj, target: spec.kind.metricsName, trigger: request.trigger, scheduledTime: request.scheduledTime, now: now())
                    log.info("started run", metadata: ["run": "\(request.name)", "trigger": "\(request.trigger.rawValue)", "scheduledTime": "\(RFC3339.format(request.scheduledTime))"])
                    await events.record(EventNote(.normal, "RunStarted", "Started run \(request.name) (\(request.trigger.rawValue), scheduled \(RFC3339.format(request.scheduledTime)))"), on: sj)
                }
                return .started(request, outcome)
            } catch let rejected as RunStartRejected {
                log.warning("run rejected", metadata: ["run": "\(request.name)", "error": "\(rejected)"])
                await events.record(EventNote(.warning, "RunStartFailed", rejected.message), on: sj)
                return .rejected(request, message: rejected.message)
            }
        case .stopRun(let name, let result):
            guard let run = runs.first(where: { $0.name == name }) else { return .skipped }
            let outcome = try await target.stop(run, for: sj)
            log.info("stopped run", metadata: ["run": "\(name)", "result": "\(result.rawValue)", "savepoint": "\(outcome.savepointPath ?? "")"])
            return .stopped(name: name, outcome)
        case .deleteRun(let name):
            guard let run = runs.first(where: { $0.name == name }) else { return .skipped }
            try await target.delete(run, for: sj)
            return .deleted(name: name)
        case .event(let note):
            await events.record(note, on: sj)
            return .recorded(note)
        }
    }
}

extension RunKind {
    /// The `target` label of sked's run metrics.
    var metricsName: String { self == .job ? "job" : "flink" }
}
