import Foundation

/// A run as the planner sees it, whatever runs it (a Job, a Flink job): read from the
/// cluster by the target, never from the operator's memory.
public struct ObservedRun: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case active
        case finished(RunResult, at: Date?, message: String?)
    }

    public var name: String
    public var kind: String
    public var uid: String?
    public var runID: String
    public var scheduledTime: Date
    public var trigger: Trigger
    public var attempt: Int
    public var startTime: Date?
    public var createdAt: Date?
    public var state: State
    /// A Flink run's job id, JAR and JobManager (nil for Jobs).
    public var flink: FlinkRunInfo?

    public init(name: String, kind: String = "Job", uid: String? = nil, runID: String, scheduledTime: Date, trigger: Trigger, attempt: Int = 1, startTime: Date? = nil, createdAt: Date? = nil, state: State, flink: FlinkRunInfo? = nil) {
        self.flink = flink
        self.name = name
        self.kind = kind
        self.uid = uid
        self.runID = runID
        self.scheduledTime = scheduledTime
        self.trigger = trigger
        // Read back from a Job annotation or from status, which others can write too.
        self.attempt = min(max(attempt, 1), SpecBounds.maxAttempt)
        self.startTime = startTime
        self.createdAt = createdAt
        self.state = state
    }

    public var isActive: Bool { state == .active }
}

/// What the planner asks a target to start.
public struct RunRequest: Sendable, Hashable {
    public var name: String
    public var runID: String
    public var scheduledTime: Date
    public var trigger: Trigger
    public var attempt: Int

    public init(name: String, runID: String, scheduledTime: Date, trigger: Trigger, attempt: Int) {
        self.name = name
        self.runID = runID
        self.scheduledTime = scheduledTime
        self.trigger = trigger
        self.attempt = attempt
    }
}
