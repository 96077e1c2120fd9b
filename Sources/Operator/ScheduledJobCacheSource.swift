import Reconcilers
import Synchronization

/// The running controller's cache, for `/metrics`: set while this replica leads (or runs
/// without leader election), empty otherwise, so only the replica that reconciles reports
/// per-ScheduledJob gauges.
final class ScheduledJobCacheSource: Sendable {
    private let controller = Mutex<ScheduledJobController?>(nil)

    func set(_ c: ScheduledJobController?) { controller.withLock { $0 = c } }

    var scheduledJobs: [ScheduledJob] { controller.withLock { $0 }?.cachedScheduledJobs ?? [] }
}
