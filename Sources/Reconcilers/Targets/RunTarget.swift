import Foundation
import K8sClient

/// What a run target (Kubernetes Jobs, Flink jobs) offers the reconciler. Every target
/// names runs with `RunNaming` so that a repeated start is harmless.
public protocol RunTarget: Sendable {
    /// The ScheduledJob's runs as the cluster shows them now (from an informer cache).
    func observedRuns(of sj: ScheduledJob) -> [ObservedRun]
    /// Starts the run; `.alreadyExisted` when a run of that name, owned by `sj`, was there.
    func start(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome
    /// Stops an active run (Replace, stop token, timeout).
    func stop(_ name: String, for sj: ScheduledJob) async throws
    /// Removes a finished run beyond the history limits.
    func delete(_ name: String, for sj: ScheduledJob) async throws
    /// More about why a failed run failed (a container's exit code and termination message),
    /// when the target can find out; nil otherwise. Never throws: it only adds detail.
    func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String?
}

extension RunTarget {
    public func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String? { nil }
}

/// `startTime` is the start the target will report when it observes the run later (for a Job:
/// its creation time until the Job controller sets `status.startTime`), so the status written
/// now matches the next observation and the run's first event causes no second status write.
public enum StartOutcome: Sendable, Hashable {
    case created(uid: String?, startTime: Date? = nil)
    case alreadyExisted(uid: String?, startTime: Date? = nil)
}

/// A run could not be started for a reason retrying will not fix (the API server rejected
/// the object, or a same-named object belongs to someone else).
public struct RunStartRejected: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
