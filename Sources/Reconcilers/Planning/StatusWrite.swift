/// When the folded status is written.
public enum StatusWrite: Sendable, Hashable {
    /// Nothing changed.
    case none
    case now
    /// The reconcile only created Jobs: the write may wait for an immediate requeue, which
    /// plans the same status from the cache (level-triggered) without starting anything again.
    /// Creating a Job is what makes a run exist (its name is the lock); its status entry can
    /// follow, so when many ScheduledJobs fire on the same second all Jobs are created first.
    case afterRequeue
}
