import Foundation
import K8sClient

extension SchedulePlanner {
    /// The planned status, corrected by what carrying out the steps answered: the uid and
    /// start time of each run started, a refused start recorded as a failed run (so its tick
    /// is accounted for) with `Ready=False RunStartFailed`, and a stop's savepoint or note in
    /// the stopped run's history entry. Pure, like `plan`.
    public static func fold(_ plan: Plan, _ outcomes: [StepOutcome], for sj: ScheduledJob, now: Date) -> (status: ScheduledJobStatus, write: StatusWrite) {
        var status = plan.status
        for outcome in outcomes { fold(outcome, of: plan, into: &status, for: sj, now: now) }
        guard status != sj.status else { return (status, .none) }
        let onlyCreatedJobs = plan.statusMayFollowCreates && outcomes.contains(where: \.createdARun) && !outcomes.contains(where: \.isRejection)
        return (status, onlyCreatedJobs ? .afterRequeue : .now)
    }

    /// One step's outcome into `status` (the executor folds as it goes, so a target sees the
    /// status as folded so far).
    static func fold(_ outcome: StepOutcome, of plan: Plan, into status: inout ScheduledJobStatus, for sj: ScheduledJob, now: Date) {
        switch outcome {
        case .started(let request, .created(let uid, let startTime, let flink)),
             .started(let request, .alreadyExisted(let uid, let startTime, let flink)):
            record(uid: uid, startTime: startTime, flink: flink, of: request.name, in: &status)
        case .rejected(let request, let message):
            status.active?.removeAll { $0.name == request.name }
            status.activeRuns = status.active?.count ?? 0
            if status.active?.isEmpty == true { status.active = nil }
            var history = status.history ?? []
            history.insert(RunRecord(
                name: request.name, kind: (plan.spec?.kind ?? .job).name, scheduledTime: request.scheduledTime, startTime: nil, completionTime: now,
                result: .failed, message: String(message.prefix(1024)), attempt: request.attempt, trigger: request.trigger), at: 0)
            status.history = history
            status.setNotReady(reason: runStartFailedReason, message: message, .stalled, generation: sj.metadata.generation, at: now)
        case .stopped(let name, let stop):
            guard var history = status.history, let i = history.firstIndex(where: { $0.name == name }) else { return }
            if let path = stop.savepointPath { history[i].savepointPath = path }
            if let note = stop.note {
                history[i].message = String([history[i].message, note].compactMap { $0 }.joined(separator: "; ").prefix(1024))
            }
            status.history = history
        case .deleted, .recorded, .skipped:
            return
        }
    }

    private static func record(uid: String?, startTime: Date?, flink: FlinkRunInfo?, of name: String, in status: inout ScheduledJobStatus) {
        guard let i = status.active?.firstIndex(where: { $0.name == name }) else { return }
        if let uid { status.active?[i].uid = uid }
        if let startTime { status.active?[i].startTime = startTime }
        if let flink {
            status.active?[i].flinkJobID = flink.flinkJobID
            status.active?[i].jarID = flink.jarID
            status.active?[i].jobManagerURL = flink.jobManagerURL
        }
    }
}
