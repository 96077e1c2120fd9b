/// A Flink job's state as the JobManager reports it, and what it means for a run.
public enum FlinkJobState: String, Sendable, Hashable, CaseIterable {
    case initializing = "INITIALIZING", created = "CREATED", running = "RUNNING", failing = "FAILING"
    case failed = "FAILED", cancelling = "CANCELLING", canceled = "CANCELED", finished = "FINISHED"
    case restarting = "RESTARTING", suspended = "SUSPENDED", reconciling = "RECONCILING"

    /// The run's result once the job is terminal; nil while it is still going.
    /// (`SUSPENDED` is not terminal in a session cluster: the job resumes after a JobManager failover.)
    public var result: RunResult? {
        switch self {
        case .finished: .succeeded
        case .failed: .failed
        case .canceled: .cancelled
        case .initializing, .created, .running, .failing, .cancelling, .restarting, .suspended, .reconciling: nil
        }
    }
}
