import Foundation

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
    case allow = "Allow", forbid = "Forbid", replace = "Replace"
}

/// A spec that passed validation, with its defaults applied.
public struct ValidatedSpec: Sendable {
    public var kind: RunKind = .job
    public var schedule: CronSchedule?
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

    /// Delay before retry attempt `attempt + 1`: backoff · 2^(attempt-1), capped. Closed form
    /// in floating point, so any attempt number costs the same and cannot overflow.
    public func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        let doublings = Double(min(max(attempt, 1), 64) - 1)
        return min(Double(retryBackoffSeconds) * pow(2, doublings), Double(retryMaxBackoffSeconds))
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
    public func validated(defaultTimeZone: String = "UTC", serviceAccounts: ServiceAccountPolicy = .any, namespace: String? = nil) -> Result<ValidatedSpec, SpecProblem> {
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

        var parsed: CronSchedule?
        if let text = schedule {
            do { parsed = try ScheduleParser.parse(text) } catch {
                return .failure(.invalidSchedule("spec.schedule: \(error)"))
            }
        }
        let zoneName = (timeZone?.isEmpty ?? true) ? defaultTimeZone : timeZone!
        guard let zone = TimeZone(identifier: zoneName) else {
            return .failure(.invalidTimeZone("spec.timeZone: unknown time zone \"\(zoneName)\" (use an IANA name such as Europe/Berlin)"))
        }
        let policyName = concurrencyPolicy ?? "Allow"
        guard let policy = ConcurrencyPolicy(rawValue: policyName) else {
            return .failure(.invalidSpec("spec.concurrencyPolicy: \"\(policyName)\" is not one of Allow, Forbid, Replace"))
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
        ]
        if let problem = checks.compactMap({ $0 }).first { return .failure(problem) }

        return .success(ValidatedSpec(
            kind: kind, schedule: parsed, timeZone: zone, suspend: suspend ?? false, concurrencyPolicy: policy,
            startingDeadlineSeconds: startingDeadlineSeconds,
            successfulRunsHistoryLimit: successfulRunsHistoryLimit ?? 3, failedRunsHistoryLimit: failedRunsHistoryLimit ?? 1,
            runTimeoutSeconds: runTimeoutSeconds, retryLimit: retry?.limit ?? 0,
            retryBackoffSeconds: retry?.backoffSeconds ?? 10, retryMaxBackoffSeconds: retry?.maxBackoffSeconds ?? 600))
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
