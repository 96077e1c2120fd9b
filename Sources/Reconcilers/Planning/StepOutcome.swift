/// What carrying out one `PlanStep` came to, as `StepExecutor` reports it and
/// `SchedulePlanner.fold` reads it.
public enum StepOutcome: Sendable, Hashable {
    /// The run exists now: created by this step, or found (an earlier attempt's, another replica's).
    case started(RunRequest, StartOutcome)
    /// The target refused the run for a reason retrying cannot fix.
    case rejected(RunRequest, message: String)
    case stopped(name: String, StopOutcome)
    case deleted(name: String)
    case recorded(EventNote)
    /// Nothing to do (the run to stop or delete is already gone).
    case skipped

    var createdARun: Bool {
        if case .started(_, .created) = self { true } else { false }
    }
    /// A start (made or refused) or a stop: worth looking at the target again soon.
    var actedOnARun: Bool {
        switch self {
        case .started, .rejected, .stopped: true
        case .deleted, .recorded, .skipped: false
        }
    }
    var isRejection: Bool {
        if case .rejected = self { true } else { false }
    }
}
