import Foundation
import K8sClient

/// The `ScheduledJob` custom resource (`sked.dev/v1alpha1`). Field names are the API contract
/// (see `config/crd/sked.dev_scheduledjobs.yaml`).
public struct ScheduledJob: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(group: "sked.dev", version: "v1alpha1", kind: "ScheduledJob", plural: "scheduledjobs", namespaced: true)

    public var metadata: ObjectMeta
    public var spec: ScheduledJobSpec
    public var status: ScheduledJobStatus?

    public init(metadata: ObjectMeta, spec: ScheduledJobSpec, status: ScheduledJobStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// Annotations that trigger one action per distinct value (GitOps-friendly imperatives).
    public enum Annotation {
        public static let runNow = "sked.dev/run-now"
        public static let stop = "sked.dev/stop"
        /// `from=<RFC 3339>,to=<RFC 3339>[,max=<n>]`: run every tick in the range, once per value.
        public static let backfill = "sked.dev/backfill"
    }

    /// Held while a Flink job of this ScheduledJob may still be running, so deleting the
    /// ScheduledJob stops the job first.
    public static let flinkCleanupFinalizer = "sked.dev/flink-cleanup"

    /// What the informer keeps: everything but `kubectl apply`'s copy of the whole object in
    /// an annotation (as big as the object itself, and nothing reads it). Status writes go to
    /// the status subresource and finalizer patches name only finalizers, so the cached copy
    /// never writes the annotation back without it.
    public static func cacheTransform(_ sj: ScheduledJob) -> ScheduledJob {
        guard sj.metadata.annotations?[lastAppliedAnnotation] != nil else { return sj }
        var copy = sj
        copy.metadata.annotations?[lastAppliedAnnotation] = nil
        if copy.metadata.annotations?.isEmpty == true { copy.metadata.annotations = nil }
        return copy
    }

    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// What `H` in its schedules is hashed from: stable for the object's life, different between objects.
    public var hashKey: String { "\(metadata.namespace ?? "")/\(metadata.name ?? "")" }
}

public struct ScheduledJobSpec: Codable, Sendable, Hashable {
    public var schedule: String?
    public var timeZone: String?
    public var suspend: Bool?
    /// `Allow`, `Forbid` or `Replace`; kept as text so an unknown value is reported, not a decoding failure.
    public var concurrencyPolicy: String?
    public var startingDeadlineSeconds: Int64?
    public var successfulRunsHistoryLimit: Int?
    public var failedRunsHistoryLimit: Int?
    public var runTimeoutSeconds: Int64?
    public var retry: RetrySpec?
    public var jobTemplate: JobTemplate?
    public var flinkJob: FlinkJobSpec?
    /// More cron schedules beside `schedule`: their ticks are united (a tick two share runs once).
    public var schedules: [String]?
    /// What happens to ticks missed while the operator was down (default: Latest).
    public var catchUp: CatchUpSpec?
    /// RFC 3339; no tick before it, or after `endTime`.
    public var startTime: String?
    public var endTime: String?
    /// After this many scheduled runs the ScheduledJob is Completed.
    public var maxRuns: Int?
    /// Why it is suspended, shown beside `suspend` (`kubectl get sj`).
    public var suspendReason: String?
    /// Ticks that do not run (holidays, freeze windows), in the ScheduledJob's time zone.
    public var exclude: [ExclusionSpec]?
    /// Each run starts up to this many seconds after its tick, by an offset derived from the
    /// ScheduledJob's UID and the tick (the same on every replica), to spread load.
    public var jitterSeconds: Int64?
    /// Under concurrencyPolicy Enqueue: how many runs may wait for the active one (1: BufferOne).
    public var maxQueued: Int?

    public init(
        schedule: String? = nil, timeZone: String? = nil, suspend: Bool? = nil, concurrencyPolicy: String? = nil,
        startingDeadlineSeconds: Int64? = nil, successfulRunsHistoryLimit: Int? = nil, failedRunsHistoryLimit: Int? = nil,
        runTimeoutSeconds: Int64? = nil, retry: RetrySpec? = nil, jobTemplate: JobTemplate? = nil, flinkJob: FlinkJobSpec? = nil
    ) {
        self.schedule = schedule
        self.timeZone = timeZone
        self.suspend = suspend
        self.concurrencyPolicy = concurrencyPolicy
        self.startingDeadlineSeconds = startingDeadlineSeconds
        self.successfulRunsHistoryLimit = successfulRunsHistoryLimit
        self.failedRunsHistoryLimit = failedRunsHistoryLimit
        self.runTimeoutSeconds = runTimeoutSeconds
        self.retry = retry
        self.jobTemplate = jobTemplate
        self.flinkJob = flinkJob
    }
}

/// `Latest` (CronJob's behaviour: only the most recent missed tick runs) or `All` (every missed
/// tick inside the window runs, oldest first, at most `maxRuns`, the most recent ones).
public struct CatchUpSpec: Codable, Sendable, Hashable {
    public var policy: String?
    public var maxRuns: Int?
    /// How old a missed tick may be and still run; default `startingDeadlineSeconds`, else any.
    public var windowSeconds: Int64?
    public init(policy: String? = nil, maxRuns: Int? = nil, windowSeconds: Int64? = nil) {
        self.policy = policy
        self.maxRuns = maxRuns
        self.windowSeconds = windowSeconds
    }
}

/// Ticks matching `schedule` (a cron expression, matched to the minute for five fields) or
/// falling on one of `dates` (YYYY-MM-DD) are skipped.
public struct ExclusionSpec: Codable, Sendable, Hashable {
    public var schedule: String?
    public var dates: [String]?
    public init(schedule: String? = nil, dates: [String]? = nil) {
        self.schedule = schedule
        self.dates = dates
    }
}

public struct RetrySpec: Codable, Sendable, Hashable {
    /// Retries after the first attempt of a scheduled time (0: none).
    public var limit: Int?
    public var backoffSeconds: Int64?
    public var maxBackoffSeconds: Int64?

    public init(limit: Int? = nil, backoffSeconds: Int64? = nil, maxBackoffSeconds: Int64? = nil) {
        self.limit = limit
        self.backoffSeconds = backoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
    }
}

/// `{metadata: {labels, annotations}, spec: <batch/v1 JobSpec>}`; the JobSpec is passed through verbatim.
public struct JobTemplate: Codable, Sendable, Hashable {
    public struct Metadata: Codable, Sendable, Hashable {
        public var labels: [String: String]?
        public var annotations: [String: String]?
        public init(labels: [String: String]? = nil, annotations: [String: String]? = nil) {
            self.labels = labels
            self.annotations = annotations
        }
    }
    public var metadata: Metadata?
    /// Kept as compact bytes: the informer caches one per ScheduledJob.
    public var spec: RawJSON

    public init(metadata: Metadata? = nil, spec: RawJSON) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ScheduledJobStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    public var phase: String?
    public var conditions: [Condition]?
    public var lastScheduleTime: Date?
    public var nextScheduleTime: Date?
    /// The next `upcomingCount` starts (after jitter, exclusions, bounds and maxRuns), so
    /// `kubectl get sj -o wide` shows more than one without asking the operator.
    public var nextScheduleTimes: [Date]?
    public var lastSuccessfulTime: Date?
    public var missedRuns: Int?
    public var activeRuns: Int?
    public var active: [ActiveRun]?
    public var history: [RunRecord]?
    public var lastRunNowToken: String?
    public var lastStopToken: String?
    /// Retries waiting for their backoff; kept in status so a restart does not lose them.
    public var pendingRetries: [PendingRetry]?
    /// Runs waiting for the active one to end (concurrencyPolicy Enqueue), oldest first. In
    /// status, so a restarted operator starts them as this one would have.
    public var queued: [QueuedRun]?
    /// The latest `sked.dev/backfill` request and its progress.
    public var backfill: BackfillStatus?
    public var queuedRuns: Int?
    /// Ticks that did not run because an exclusion matched them.
    public var skippedRuns: Int?
    /// Runs started for ticks (not run-now, not retries), for `maxRuns`.
    public var scheduledRuns: Int?

    public init() {}
}

extension ScheduledJobStatus {
    /// How many upcoming starts status lists (`nextScheduleTimes`).
    public static let upcomingCount = 5

    /// Sets the next start and the few after it together, so the two never disagree.
    mutating func setUpcoming(_ starts: [Date]) {
        nextScheduleTime = starts.first
        nextScheduleTimes = starts.isEmpty ? nil : Array(starts.prefix(Self.upcomingCount))
    }
}

public struct QueuedRun: Codable, Sendable, Hashable {
    public var scheduledTime: Date
    public var runID: String
    public var trigger: Trigger
    public init(scheduledTime: Date, runID: String, trigger: Trigger) {
        self.scheduledTime = scheduledTime
        self.runID = runID
        self.trigger = trigger
    }
}

public enum Trigger: String, Codable, Sendable, Hashable, CaseIterable {
    case schedule, manual, retry, once, backfill
}

/// A `sked.dev/backfill` request and how far it got. In status, so a restart (or another
/// leader) goes on from `cursor` and never starts a tick twice.
public struct BackfillStatus: Codable, Sendable, Hashable {
    /// The annotation's value this is for.
    public var request: String
    public var from: Date?
    public var to: Date?
    public var maxRuns: Int?
    /// Ticks up to here are done.
    public var cursor: Date?
    public var started: Int
    /// Ticks that already had a run, or fell in an exclusion.
    public var skipped: Int
    public var completed: Bool
    /// Why the request was refused (then nothing ran).
    public var error: String?
    public init(request: String, from: Date? = nil, to: Date? = nil, maxRuns: Int? = nil, cursor: Date? = nil, started: Int = 0, skipped: Int = 0, completed: Bool = false, error: String? = nil) {
        self.request = request
        self.from = from
        self.to = to
        self.maxRuns = maxRuns
        self.cursor = cursor
        self.started = started
        self.skipped = skipped
        self.completed = completed
        self.error = error
    }
}

public enum RunResult: String, Codable, Sendable, Hashable, CaseIterable {
    case succeeded = "Succeeded", failed = "Failed", cancelled = "Cancelled", timedOut = "TimedOut"
}

public struct ActiveRun: Codable, Sendable, Hashable {
    public var name: String
    public var kind: String
    public var uid: String?
    public var scheduledTime: Date
    public var startTime: Date?
    public var attempt: Int
    public var trigger: Trigger
    /// The run's identity (`<unix seconds>`, `m<hash>`, `once`), which retries are named after.
    public var runID: String?
    /// Flink runs (`kind: FlinkJob`): where the job runs and which uploaded JAR started it.
    /// For Flink this entry is the only record of the run, so it carries all tracking needs.
    public var flinkJobID: String?
    public var jarID: String?
    public var jobManagerURL: String?

    public init(name: String, kind: String, uid: String?, scheduledTime: Date, startTime: Date?, attempt: Int, trigger: Trigger, runID: String? = nil, flink: FlinkRunInfo? = nil) {
        self.runID = runID
        self.name = name
        self.kind = kind
        self.uid = uid
        self.scheduledTime = scheduledTime
        self.startTime = startTime
        self.attempt = attempt
        self.trigger = trigger
        self.flinkJobID = flink?.flinkJobID
        self.jarID = flink?.jarID
        self.jobManagerURL = flink?.jobManagerURL
    }

    public var flink: FlinkRunInfo? {
        flinkJobID.map { FlinkRunInfo(flinkJobID: $0, jarID: jarID, jobManagerURL: jobManagerURL) }
    }
}

public struct RunRecord: Codable, Sendable, Hashable {
    public var name: String
    public var kind: String
    public var scheduledTime: Date
    public var startTime: Date?
    public var completionTime: Date?
    public var result: RunResult
    public var message: String?
    public var attempt: Int
    public var trigger: Trigger
    public var flinkJobID: String?
    /// Where a Flink run's stop-with-savepoint put its state (`restoreFromLastSavepoint` resumes from it).
    public var savepointPath: String?

    public init(name: String, kind: String, scheduledTime: Date, startTime: Date?, completionTime: Date?, result: RunResult, message: String?, attempt: Int, trigger: Trigger, flinkJobID: String? = nil, savepointPath: String? = nil) {
        self.flinkJobID = flinkJobID
        self.savepointPath = savepointPath
        self.name = name
        self.kind = kind
        self.scheduledTime = scheduledTime
        self.startTime = startTime
        self.completionTime = completionTime
        self.result = result
        self.message = message
        self.attempt = attempt
        self.trigger = trigger
    }
}

public struct PendingRetry: Codable, Sendable, Hashable {
    public var scheduledTime: Date
    public var attempt: Int
    public var notBefore: Date
    /// The run id of the first attempt (`<unix seconds>`, `m<hash>` or `once`): retries are named after it.
    public var runID: String
    public var trigger: Trigger

    public init(scheduledTime: Date, attempt: Int, notBefore: Date, runID: String, trigger: Trigger) {
        self.scheduledTime = scheduledTime
        self.attempt = attempt
        self.notBefore = notBefore
        self.runID = runID
        self.trigger = trigger
    }
}

/// What sked remembers of a Flink run (in `status.active[]` and `status.history[]`).
public struct FlinkRunInfo: Codable, Sendable, Hashable {
    public var flinkJobID: String
    public var jarID: String?
    public var jobManagerURL: String?
    public var savepointPath: String?

    public init(flinkJobID: String, jarID: String? = nil, jobManagerURL: String? = nil, savepointPath: String? = nil) {
        self.flinkJobID = flinkJobID
        self.jarID = jarID
        self.jobManagerURL = jobManagerURL
        self.savepointPath = savepointPath
    }
}
