import K8sClient
import Synchronization

/// Runs whose start ended without an answer (a Job create or a Flink submission that timed out,
/// a connection lost): the API server or the JobManager may have started the run though
/// nothing shows it yet. Kept per ScheduledJob (namespace/name and uid, so a re-created one
/// starts clean) until a reconcile settles each one: found, or confirmed absent. Until then a
/// target does not plan from its cache alone (a second Forbid run, a tick counted twice).
/// client-go's controllers keep the same kind of ledger (`ControllerExpectations`).
final class RunExpectations<Run: Sendable>: Sendable {
    private let pending = Mutex([ObjectKey: (uid: String, runs: [(name: String, run: Run)])]())

    /// Records a start of `owner`'s run `name` whose outcome is unknown (replacing an earlier
    /// one of that name).
    func expect(_ name: String, _ run: Run, of owner: ObjectKey, uid: String) {
        pending.withLock { all in
            var entry = all[owner].flatMap { $0.uid == uid ? $0 : nil } ?? (uid: uid, runs: [])
            entry.runs.removeAll { $0.name == name }
            entry.runs.append((name: name, run: run))
            all[owner] = entry
        }
    }

    /// The run's outcome is known now.
    func settle(_ name: String, of owner: ObjectKey) {
        pending.withLock { all in
            all[owner]?.runs.removeAll { $0.name == name }
            if all[owner]?.runs.isEmpty == true { all[owner] = nil }
        }
    }

    /// The unsettled starts of `owner` (as it is now: an older uid's are not its own), oldest first.
    func unsettled(of owner: ObjectKey, uid: String) -> [(name: String, run: Run)] {
        pending.withLock { all in all[owner].flatMap { $0.uid == uid ? $0.runs : nil } ?? [] }
    }
}
