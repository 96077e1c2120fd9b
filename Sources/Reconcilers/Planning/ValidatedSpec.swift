import Foundation
import K8sClient

/// What a run is: a Kubernetes Job, or a Flink job with its validated settings.
public enum RunKind: Sendable, Hashable {
    case job
    case flink(ValidatedFlinkJob)

    /// The `kind` of status entries for this target.
    public var name: String {
        switch self {
        case .job: "Job"
        case .flink: ValidatedFlinkJob.runKind
        }
    }
}

public enum FlinkStopMode: String, Sendable, Hashable, CaseIterable {
    case cancel = "Cancel", savepoint = "Savepoint"
}

public struct ValidatedFlinkJob: Sendable, Hashable {
    public static let runKind = "FlinkJob"
    public var jobManagerURL: URL
    public var jarURL: URL
    public var entryClass: String?
    public var args: [String]
    public var parallelism: Int?
    public var savepointPath: String?
    public var allowNonRestoredState: Bool
    public var stopMode: FlinkStopMode
    public var savepointDirectory: String?
    public var restoreFromLastSavepoint: Bool
    public var headersSecret: String?
}

public enum ConcurrencyPolicy: String, Sendable, Hashable, CaseIterable {
    /// Enqueue: a run due while another is active waits in `status.queued` and starts when the
    /// active one ends (Temporal's BufferAll; with `maxQueued: 1`, BufferOne).
    case allow = "Allow", forbid = "Forbid", replace = "Replace", enqueue = "Enqueue"
}

/// What happens to ticks missed while nobody looked (the operator was down, or a Forbid run held them).
public enum CatchUpPolicy: Sendable, Hashable {
    /// Only the most recent missed tick runs (CronJob's behaviour); the others are counted missed.
    case latest
    /// Every missed tick no older than `window` seconds (nil: any) runs, oldest first, at most
    /// `maxRuns` of them (the most recent ones).
    case all(maxRuns: Int, window: Int64?)
}

/// A spec that passed validation, with its defaults applied.
public struct ValidatedSpec: Sendable {
    public var kind: RunKind = .job
    /// The first of `timing.crons` (nil: a one-shot run).
    public var schedule: CronSchedule? { timing?.crons.first }
    /// When the ticks are (nil: a one-shot run). The jitter seed is set by the planner (the UID).
    public var timing: EffectiveSchedule?
    public var catchUp: CatchUpPolicy = .latest
    public var maxRuns: Int?
    /// How many more ticks may start a run under `maxRuns`, given the runs already started
    /// (nil: no limit).
    public func runsLeft(after scheduledRuns: Int?) -> Int? {
        maxRuns.map { max(0, $0 - (scheduledRuns ?? 0)) }
    }
    /// Under Enqueue: runs that may wait (at most `SpecBounds.maxQueued`).
    public var maxQueued: Int = SpecBounds.maxQueued
    public var timeZone: TimeZone
    public var suspend: Bool
    public var concurrencyPolicy: ConcurrencyPolicy
    public var startingDeadlineSeconds: Int64?
    public var successfulRunsHistoryLimit: Int
    public var failedRunsHistoryLimit: Int
    public var runTimeoutSeconds: Int64?
    public var retryLimit: Int
    public var retryBackoffSeconds: Int64
    public var retryMaxBackoffSeconds: Int64

    /// Delay before retry attempt `attempt + 1`: backoff · 2^(attempt-1), capped; any attempt
    /// number (read back from the cluster) is safe.
    public func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        let d = ExponentialBackoff(initial: .seconds(retryBackoffSeconds), cap: .seconds(retryMaxBackoffSeconds)).delay(doublings: max(attempt, 1) - 1)
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// The largest values a spec may hold. Each keeps what sked derives from it far from the limits
/// of the integer types it is computed in (a duration in nanoseconds overflows Int64 after 292
/// years), and bounds what a ScheduledJob's status can grow to. The CRD schema carries the same
/// maxima, so the API server refuses what validation would.
public enum SpecBounds {
    /// Ten years, for every field counted in seconds.
    public static let maxSeconds: Int64 = 315_360_000
    public static let maxRetryLimit = 100
    public static let maxHistoryLimit = 100
    /// Active runs one ScheduledJob may have (under Allow): each is an entry in status, which
    /// must stay far below etcd's 1.5 MiB object limit to be written at all.
    public static let maxActiveRuns = 100
    /// Flink's own upper bound for a job's (max) parallelism.
    public static let maxParallelism = 32768
    /// The largest attempt number read back from a Job or from status (someone else may have
    /// written it): beyond any retry limit, so it never gets a further retry.
    public static let maxAttempt = maxRetryLimit + 1
    /// Missed ticks one catch-up starts at most.
    public static let maxCatchUpRuns = 100
    public static let maxSchedules = 16
    public static let maxExclusions = 32
    public static let maxExcludedDates = 400
    public static let maxJitterSeconds: Int64 = 86_400
    public static let maxRuns = 1_000_000_000
    /// Runs waiting under Enqueue: each is an entry in status.
    public static let maxQueued = 100
}

/// Why a spec is unusable: the `Ready` condition's reason and a message naming the field.
public struct SpecProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var message: String
    public var description: String { message }

    public static func invalidSchedule(_ m: String) -> Self { .init(reason: "InvalidSchedule", message: m) }
    public static func invalidTimeZone(_ m: String) -> Self { .init(reason: "InvalidTimeZone", message: m) }
    public static func invalidSpec(_ m: String) -> Self { .init(reason: "InvalidSpec", message: m) }
}

extension ScheduledJobSpec {
    /// Checks everything the API server's schema cannot (cron syntax, zone names, one target,
    /// the ServiceAccount the policy allows in `namespace`) and applies defaults.
    /// `hashKey` (`namespace/name`) is what `H` in a cron field is hashed from; without it an
    /// `H` is refused.
    public func validated(defaultTimeZone: String = "UTC", serviceAccounts: ServiceAccountPolicy = .any, namespace: String? = nil, hashKey: String? = nil) -> Result<ValidatedSpec, SpecProblem> {
        let targets = (jobTemplate != nil ? 1 : 0) + (flinkJob != nil ? 1 : 0)
        if targets == 0 { return .failure(.invalidSpec("spec must set exactly one target: jobTemplate or flinkJob (none is set)")) }
        if targets > 1 { return .failure(.invalidSpec("spec must set exactly one target: jobTemplate or flinkJob (both are set)")) }
        var kind = RunKind.job
        if let flinkJob {
            switch flinkJob.validated() {
            case .success(let f): kind = .flink(f)
            case .failure(let problem): return .failure(problem)
            }
        } else if jobTemplate?.spec.isObject != true {
            return .failure(.invalidSpec("spec.jobTemplate.spec must be a batch/v1 JobSpec object"))
        } else if let problem = serviceAccounts.problem(jobSpec: jobTemplate?.spec, namespace: namespace) {
            return .failure(problem)
        }

        func parse(_ text: String) throws(CronError) -> CronSchedule {
            guard let hashKey else {
                if HashedSchedule.usesH(text) {
                    throw CronError(expression: text, reason: "H needs the ScheduledJob's namespace and name to hash")
                }
                return try ScheduleParser.parse(text)
            }
            return try ScheduleParser.parse(try HashedSchedule.expand(text, key: hashKey))
        }
        var crons: [CronSchedule] = []
        if let text = schedule {
            do { crons.append(try parse(text)) } catch {
                return .failure(.invalidSchedule("spec.schedule: \(error)"))
            }
        }
        if (schedules?.count ?? 0) > SpecBounds.maxSchedules {
            return .failure(.invalidSchedule("spec.schedules: at most \(SpecBounds.maxSchedules) schedules, got \(schedules!.count)"))
        }
        for (i, text) in (schedules ?? []).enumerated() {
            do { crons.append(try parse(text)) } catch {
                return .failure(.invalidSchedule("spec.schedules[\(i)]: \(error)"))
            }
        }
        let zoneName = (timeZone?.isEmpty ?? true) ? defaultTimeZone : timeZone!
        guard let zone = TimeZone(identifier: zoneName) else {
            return .failure(.invalidTimeZone("spec.timeZone: unknown time zone \"\(zoneName)\" (use an IANA name such as Europe/Berlin)"))
        }
        let timing: EffectiveSchedule?
        switch scheduling(crons, zone) {
        case .success(let t): timing = t
        case .failure(let p): return .failure(p)
        }
        let policyName = concurrencyPolicy ?? "Allow"
        guard let policy = ConcurrencyPolicy(rawValue: policyName) else {
            return .failure(.invalidSpec("spec.concurrencyPolicy: \"\(policyName)\" is not one of Allow, Forbid, Replace, Enqueue"))
        }
        func inRange<T: BinaryInteger>(_ v: T?, _ field: String, _ range: ClosedRange<T>) -> SpecProblem? {
            guard let v, !range.contains(v) else { return nil }
            return .invalidSpec("spec.\(field): must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        let checks: [SpecProblem?] = [
            inRange(startingDeadlineSeconds, "startingDeadlineSeconds", 0...SpecBounds.maxSeconds),
            inRange(successfulRunsHistoryLimit, "successfulRunsHistoryLimit", 0...SpecBounds.maxHistoryLimit),
            inRange(failedRunsHistoryLimit, "failedRunsHistoryLimit", 0...SpecBounds.maxHistoryLimit),
            inRange(runTimeoutSeconds, "runTimeoutSeconds", 1...SpecBounds.maxSeconds),
            inRange(retry?.limit, "retry.limit", 0...SpecBounds.maxRetryLimit),
            inRange(retry?.backoffSeconds, "retry.backoffSeconds", 0...SpecBounds.maxSeconds),
            inRange(retry?.maxBackoffSeconds, "retry.maxBackoffSeconds", 0...SpecBounds.maxSeconds),
            inRange(maxRuns, "maxRuns", 1...SpecBounds.maxRuns),
            inRange(maxQueued, "maxQueued", 1...SpecBounds.maxQueued),
            inRange(catchUp?.maxRuns, "catchUp.maxRuns", 1...SpecBounds.maxCatchUpRuns),
            inRange(catchUp?.windowSeconds, "catchUp.windowSeconds", 0...SpecBounds.maxSeconds),
        ]
        if let problem = checks.compactMap({ $0 }).first { return .failure(problem) }
        if maxQueued != nil && policy != .enqueue {
            return .failure(.invalidSpec("spec.maxQueued: applies to concurrencyPolicy Enqueue only (it is \(policy.rawValue))"))
        }
        var catchUpPolicy = CatchUpPolicy.latest
        switch catchUp?.policy ?? "Latest" {
        case "Latest":
            if catchUp?.maxRuns != nil || catchUp?.windowSeconds != nil {
                return .failure(.invalidSpec("spec.catchUp: maxRuns and windowSeconds apply to policy All only (policy is Latest)"))
            }
        case "All":
            if policy == .replace {
                return .failure(.invalidSpec("spec.catchUp.policy: All does not go with concurrencyPolicy Replace (each caught-up run would stop the one before it)"))
            }
            catchUpPolicy = .all(maxRuns: catchUp?.maxRuns ?? 10, window: catchUp?.windowSeconds ?? startingDeadlineSeconds)
        case let other:
            return .failure(.invalidSpec("spec.catchUp.policy: \"\(other)\" is not one of Latest, All"))
        }
        if timing == nil, catchUp != nil || maxRuns != nil || startTime != nil || endTime != nil || !(exclude ?? []).isEmpty || (jitterSeconds ?? 0) != 0 {
            return .failure(.invalidSpec("spec: catchUp, maxRuns, startTime, endTime, exclude and jitterSeconds need a schedule (spec.schedule or spec.schedules)"))
        }

        return .success(ValidatedSpec(
            kind: kind, timing: timing, catchUp: catchUpPolicy, maxRuns: maxRuns, maxQueued: maxQueued ?? SpecBounds.maxQueued, timeZone: zone, suspend: suspend ?? false, concurrencyPolicy: policy,
            startingDeadlineSeconds: startingDeadlineSeconds,
            successfulRunsHistoryLimit: successfulRunsHistoryLimit ?? 3, failedRunsHistoryLimit: failedRunsHistoryLimit ?? 1,
            runTimeoutSeconds: runTimeoutSeconds, retryLimit: retry?.limit ?? 0,
            retryBackoffSeconds: retry?.backoffSeconds ?? 10, retryMaxBackoffSeconds: retry?.maxBackoffSeconds ?? 600))
    }
}

extension ScheduledJobSpec {
    /// The ticks' bounds, exclusions and jitter around `crons` (none: a one-shot run).
    func scheduling(_ crons: [CronSchedule], _ zone: TimeZone) -> Result<EffectiveSchedule?, SpecProblem> {
        guard !crons.isEmpty else { return .success(nil) }
        func time(_ text: String?, _ field: String) -> Result<Date?, SpecProblem> {
            guard let text, !text.isEmpty else { return .success(nil) }
            guard let date = RFC3339.parse(text) else {
                return .failure(.invalidSpec("spec.\(field): \"\(text.prefix(64))\" is not an RFC 3339 time such as 2026-12-24T18:00:00+01:00"))
            }
            return .success(date)
        }
        let start: Date?, end: Date?
        switch (time(startTime, "startTime"), time(endTime, "endTime")) {
        case (.failure(let p), _), (_, .failure(let p)): return .failure(p)
        case (.success(let s), .success(let e)): (start, end) = (s, e)
        }
        if let start, let end, end < start {
            return .failure(.invalidSpec("spec.endTime: \(RFC3339.format(end)) is before spec.startTime \(RFC3339.format(start))"))
        }
        if let j = jitterSeconds, !(0...SpecBounds.maxJitterSeconds).contains(j) {
            return .failure(.invalidSpec("spec.jitterSeconds: must be between 0 and \(SpecBounds.maxJitterSeconds), got \(j)"))
        }
        let entries = exclude ?? []
        if entries.count > SpecBounds.maxExclusions {
            return .failure(.invalidSpec("spec.exclude: at most \(SpecBounds.maxExclusions) entries, got \(entries.count)"))
        }
        var exclusions: [EffectiveSchedule.Exclusion] = []
        for (i, entry) in entries.enumerated() {
            if entry.schedule == nil && (entry.dates ?? []).isEmpty {
                return .failure(.invalidSpec("spec.exclude[\(i)]: set schedule or dates"))
            }
            if let text = entry.schedule {
                let cron: CronSchedule
                do { cron = try ScheduleParser.parse(text) } catch {
                    return .failure(.invalidSchedule("spec.exclude[\(i)].schedule: \(error)"))
                }
                if case .every = cron.kind {
                    return .failure(.invalidSchedule("spec.exclude[\(i)].schedule: \"\(text)\" is an interval, not a calendar; use cron fields such as \"* * 25 12 *\""))
                }
                let fields = text.split(whereSeparator: \.isWhitespace).count
                exclusions.append(.schedule(cron, toTheSecond: fields == 6 && !text.hasPrefix("@")))
            }
            let dates = entry.dates ?? []
            if dates.count > SpecBounds.maxExcludedDates {
                return .failure(.invalidSpec("spec.exclude[\(i)].dates: at most \(SpecBounds.maxExcludedDates) dates, got \(dates.count)"))
            }
            for (j, date) in dates.enumerated() where !Self.isDate(date) {
                return .failure(.invalidSpec("spec.exclude[\(i)].dates[\(j)]: \"\(date.prefix(32))\" is not a date like 2026-12-31"))
            }
            if !dates.isEmpty { exclusions.append(.dates(Set(dates))) }
        }
        return .success(EffectiveSchedule(crons: crons, timeZone: zone, startTime: start, endTime: end, exclusions: exclusions, jitterSeconds: jitterSeconds ?? 0))
    }

    /// `YYYY-MM-DD` naming a day that exists.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1 else { return false }
        let days = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return d <= days[m - 1]
    }
}

extension FlinkJobSpec {
    /// What lies between `scheme://` and the path, query or fragment, as RFC 3986 reads it.
    static func authority(of text: String) -> Substring? {
        guard let start = text.range(of: "://")?.upperBound else { return nil }
        let rest = text[start...]
        return rest.prefix { !"/?#".contains($0) }
    }

    func validated() -> Result<ValidatedFlinkJob, SpecProblem> {
        func httpURL(_ text: String?, _ field: String) -> Result<URL, SpecProblem> {
            guard let text, !text.isEmpty else { return .failure(.invalidSpec("spec.flinkJob.\(field) is required")) }
            // User info is a password in the spec, readable by anyone who may read the
            // ScheduledJob, and sent to whichever host it names: never accepted, never repeated.
            if let authority = Self.authority(of: text), authority.contains("@") {
                return .failure(.invalidSpec("spec.flinkJob.\(field): a URL must not carry user info (user:password@); put credentials in a Secret named by spec.flinkJob.headersSecretRef"))
            }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty
            else { return .failure(.invalidSpec("spec.flinkJob.\(field): \"\(text)\" is not an http(s) URL")) }
            return .success(url)
        }
        let jobManager: URL, jar: URL
        switch httpURL(jobManagerURL, "jobManagerURL") {
        case .success(let u): jobManager = u
        case .failure(let p): return .failure(p)
        }
        switch httpURL(jarURL, "jarURL") {
        case .success(let u): jar = u
        case .failure(let p): return .failure(p)
        }
        let modeName = stopMode ?? FlinkStopMode.cancel.rawValue
        guard let mode = FlinkStopMode(rawValue: modeName) else {
            return .failure(.invalidSpec("spec.flinkJob.stopMode: \"\(modeName)\" is not one of Cancel, Savepoint"))
        }
        if let p = parallelism, !(1...SpecBounds.maxParallelism).contains(p) {
            return .failure(.invalidSpec("spec.flinkJob.parallelism: must be between 1 and \(SpecBounds.maxParallelism), got \(p)"))
        }
        if let ref = headersSecretRef, ref.name.isEmpty { return .failure(.invalidSpec("spec.flinkJob.headersSecretRef.name must not be empty")) }
        if let e = entryClass, e.isEmpty || e.contains(where: \.isWhitespace) {
            return .failure(.invalidSpec("spec.flinkJob.entryClass: \"\(e)\" is not a Java class name"))
        }
        return .success(ValidatedFlinkJob(
            jobManagerURL: jobManager, jarURL: jar, entryClass: entryClass, args: args ?? [], parallelism: parallelism,
            savepointPath: savepointPath.flatMap { $0.isEmpty ? nil : $0 }, allowNonRestoredState: allowNonRestoredState ?? false,
            stopMode: mode, savepointDirectory: savepointDirectory.flatMap { $0.isEmpty ? nil : $0 },
            restoreFromLastSavepoint: restoreFromLastSavepoint ?? false, headersSecret: headersSecretRef?.name))
    }
}
