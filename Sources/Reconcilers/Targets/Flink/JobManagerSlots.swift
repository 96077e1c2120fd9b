import Synchronization

/// How many reconciles may talk to JobManagers at once: in all (so Kubernetes Job
/// ScheduledJobs always keep workers of their own) and per JobManager (so one slow or
/// unreachable JobManager holds only a few of those). Shared by every FlinkTarget of a
/// controller.
public final class JobManagerSlots: Sendable {
    public let total: Int
    public let perJobManager: Int
    private let inUse = Mutex<(total: Int, byOrigin: [String: Int])>((0, [:]))

    public init(total: Int, perJobManager: Int) {
        self.total = max(1, total)
        self.perJobManager = max(1, perJobManager)
    }

    /// A slot covering every origin in `origins` (a reconcile may reach its spec's JobManager
    /// and the one an earlier run was started on), or nil when any of them, or the total, is full.
    public func take(_ origins: Set<String>) -> RunTargetSlot? {
        let taken = inUse.withLock { state -> Bool in
            guard state.total < total, origins.allSatisfy({ state.byOrigin[$0, default: 0] < perJobManager }) else { return false }
            state.total += 1
            for o in origins { state.byOrigin[o, default: 0] += 1 }
            return true
        }
        guard taken else { return nil }
        return RunTargetSlot { [self] in
            inUse.withLock { state in
                state.total -= 1
                for o in origins {
                    state.byOrigin[o, default: 1] -= 1
                    if state.byOrigin[o] == 0 { state.byOrigin[o] = nil }
                }
            }
        }
    }

    /// Slots in use now (in all, and for `origin`).
    public func inUse(origin: String? = nil) -> Int {
        inUse.withLock { state in origin.map { state.byOrigin[$0, default: 0] } ?? state.total }
    }
}
