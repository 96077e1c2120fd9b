import Foundation

/// An Event the reconciler should record on the ScheduledJob.
public struct EventNote: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case normal = "Normal", warning = "Warning" }
    public var kind: Kind
    public var reason: String
    public var message: String

    public init(_ kind: Kind, _ reason: String, _ message: String) {
        self.kind = kind
        self.reason = reason
        self.message = message
    }
}

/// One side effect the planner decided on.
public enum PlanStep: Sendable, Hashable {
    case startRun(RunRequest)
    /// Stop an active run (its result is already recorded in the planned status).
    case stopRun(name: String, result: RunResult)
    /// Remove a finished run beyond the history limits.
    case deleteRun(name: String)
    case event(EventNote)
}

/// The whole decision of one reconcile: what to do, what the status becomes, when to look
/// again. `SchedulePlanner.fold` turns it, with what each step's execution answered, into the
/// status to write.
public struct Plan: Sendable, Hashable {
    public var steps: [PlanStep]
    /// The status if every step does what it asks.
    public var status: ScheduledJobStatus
    /// Seconds until the next thing due (a tick, a timeout, a retry); nil: only a change wakes us.
    public var requeueAfter: TimeInterval?
    /// The spec the steps were planned from (nil: it is invalid, and nothing starts).
    public var spec: ValidatedSpec?
    /// Whether the status write may wait for a requeue when the steps only create Jobs (see
    /// `StatusWrite.afterRequeue`).
    public var statusMayFollowCreates: Bool {
        spec?.kind == .job && !steps.isEmpty && steps.allSatisfy { if case .startRun = $0 { true } else { false } }
    }

    public init(steps: [PlanStep], status: ScheduledJobStatus, requeueAfter: TimeInterval?, spec: ValidatedSpec? = nil) {
        self.steps = steps
        self.status = status
        self.requeueAfter = requeueAfter
        self.spec = spec
    }

    /// Plans are compared by what they do; `spec` follows from the same ScheduledJob.
    public static func == (a: Plan, b: Plan) -> Bool {
        a.steps == b.steps && a.status == b.status && a.requeueAfter == b.requeueAfter
    }
    public func hash(into h: inout Hasher) {
        h.combine(steps)
        h.combine(status)
        h.combine(requeueAfter)
    }

    public var startedRuns: [RunRequest] { steps.compactMap { if case .startRun(let r) = $0 { r } else { nil } } }
    public var events: [EventNote] { steps.compactMap { if case .event(let e) = $0 { e } else { nil } } }
}
