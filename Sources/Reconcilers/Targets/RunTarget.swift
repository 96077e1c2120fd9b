import Foundation
import K8sClient

/// What a run target (Kubernetes Jobs, Flink jobs) offers the reconciler. Every target
/// names runs with `RunNaming` so that a repeated start is harmless.
public protocol RunTarget: Sendable {
    /// The ScheduledJob's runs as they are now (a Job informer's cache; Flink's REST API for
    /// the runs the status lists). Throws `RunTargetUnavailable` when it cannot find out.
    func observedRuns(of sj: ScheduledJob) async throws -> [ObservedRun]
    /// Starts the run; `.alreadyExisted` when a run of that name, owned by `sj`, was there.
    func start(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome
    /// Stops an active run (Replace, stop token, timeout).
    func stop(_ run: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome
    /// Removes a finished run beyond the history limits.
    func delete(_ run: ObservedRun, for sj: ScheduledJob) async throws
    /// More about why a failed run failed (a container's exit code and termination message,
    /// a Flink job's root exception), when the target can find out; nil otherwise. Never
    /// throws: it only adds detail.
    func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String?
    /// When to look at active runs again for targets that cannot be watched; nil when a
    /// change of the run wakes the controller by itself.
    func pollInterval(for active: [ActiveRun], now: Date) -> TimeInterval?
    /// The finalizer the target needs on `sj` (runs that outlive no owner reference), if any.
    func finalizer(for sj: ScheduledJob) -> String?
    /// Cleans up before `sj` is deleted (stops its runs, removes uploaded artifacts). Throws
    /// `RunTargetUnavailable` while that cannot be done yet.
    func finalize(_ sj: ScheduledJob) async throws
    /// Room for one reconcile of `sj` to use the backend, or nil when it is busy (see
    /// `RunTargetSlot`); the reconciler releases it when the reconcile ends.
    func slot(for sj: ScheduledJob) -> RunTargetSlot?
}

extension RunTarget {
    public func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String? { nil }
    public func pollInterval(for active: [ActiveRun], now: Date) -> TimeInterval? { nil }
    public func finalizer(for sj: ScheduledJob) -> String? { nil }
    public func finalize(_ sj: ScheduledJob) async throws {}
    public func slot(for sj: ScheduledJob) -> RunTargetSlot? { .unlimited }
}

/// `startTime` is the start the target will report when it observes the run later (for a Job:
/// its creation time until the Job controller sets `status.startTime`), so the status written
/// now matches the next observation and the run's first event causes no second status write.
/// `flink` is what a Flink run must remember (its job id, JAR, JobManager).
public enum StartOutcome: Sendable, Hashable {
    case created(uid: String?, startTime: Date? = nil, flink: FlinkRunInfo? = nil)
    case alreadyExisted(uid: String?, startTime: Date? = nil, flink: FlinkRunInfo? = nil)
}

/// What stopping a run left behind: a savepoint location, or a note on how the stop went
/// (a failed savepoint that fell back to cancelling), for the run's history entry.
public struct StopOutcome: Sendable, Hashable {
    public var savepointPath: String?
    public var note: String?
    public init(savepointPath: String? = nil, note: String? = nil) {
        self.savepointPath = savepointPath
        self.note = note
    }
    public static let stopped = StopOutcome()
}

/// A run could not be started for a reason retrying will not fix (the API server rejected
/// the object, a same-named object belongs to someone else, the JAR is not a JAR).
public struct RunStartRejected: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The target's backend cannot be reached now (a JobManager down, timing out or answering
/// 5xx). Nothing is decided while it lasts: the reconciler reports it in the `Ready`
/// condition (with `reason`) and looks again with backoff.
public struct RunTargetUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public let message: String
    /// Looked at again all the same, but unlikely to pass without a change (a URL the egress
    /// policy refuses): reported `Stalled`, so GitOps tools show it as needing a person.
    public let needsChange: Bool
    public init(reason: String, _ message: String, needsChange: Bool = false) {
        self.reason = reason
        self.message = message
        self.needsChange = needsChange
    }
    public var description: String { message }
}
