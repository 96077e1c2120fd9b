import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers

/// An in-memory run target: records calls, answers as scripted.
final class FakeTarget: RunTarget {
    let runs = LockedBox<[ObservedRun]>([])
    let calls = LockedBox<[String]>([])
    let startAnswer = LockedBox<Result<StartOutcome, RunStartRejected>>(.success(.created(uid: "new-uid")))

    func observedRuns(of sj: ScheduledJob) -> [ObservedRun] { runs.value }
    func start(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome {
        calls.withLock { $0.append("start \(request.name)") }
        return try startAnswer.value.get()
    }
    func stop(_ run: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome {
        calls.withLock { $0.append("stop \(run.name)") }
        return .stopped
    }
    func delete(_ run: ObservedRun, for sj: ScheduledJob) async throws { calls.withLock { $0.append("delete \(run.name)") } }
}

final class FakeEvents: EventRecorder {
    let notes = LockedBox<[EventNote]>([])
    func record(_ note: EventNote, on sj: ScheduledJob) async { notes.withLock { $0.append(note) } }
}

final class FakeStatusWriter: StatusWriter {
    let written = LockedBox<[ScheduledJobStatus?]>([])
    let conflict = LockedBox(false)
    func writeStatus(_ sj: ScheduledJob) async throws -> ScheduledJob {
        if conflict.value { throw KubernetesError(statusCode: 409, reason: .conflict, message: "the object has been modified") }
        written.withLock { $0.append(sj.status) }
        return sj
    }
    let finalizers = LockedBox<[[String]]>([])
    func writeFinalizers(_ sj: ScheduledJob, _ list: [String]) async throws -> ScheduledJob {
        if conflict.value { throw KubernetesError(statusCode: 409, reason: .conflict, message: "the object has been modified") }
        finalizers.withLock { $0.append(list) }
        var updated = sj
        updated.metadata.finalizers = list
        return updated
    }
}
