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

    /// Delay before retry attempt `attempt + 1`: backoff · 2^(attempt-1), capped.
    public func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        var d = Double(retryBackoffSeconds)
        for _ in 1..<max(1, attempt) where d < Double(retryMaxBackoffSeconds) { d *= 2 }
        return min(d, Double(retryMaxBackoffSeconds))
    }
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
    /// Checks everything the API server's schema cannot (cron syntax, zone names, one target)
    /// and applies defaults.
    public func validated(defaultTimeZone: String = "UTC") -> Result<ValidatedSpec, SpecProblem> {
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
        func nonNegative<T: BinaryInteger>(_ v: T?, _ field: String) -> SpecProblem? {
            if let v, v < 0 { return .invalidSpec("spec.\(field): must be >= 0, got \(v)") }
            return nil
        }
        let checks: [SpecProblem?] = [
            nonNegative(startingDeadlineSeconds, "startingDeadlineSeconds"),
            nonNegative(successfulRunsHistoryLimit, "successfulRunsHistoryLimit"),
            nonNegative(failedRunsHistoryLimit, "failedRunsHistoryLimit"),
            nonNegative(runTimeoutSeconds, "runTimeoutSeconds"),
            nonNegative(retry?.limit, "retry.limit"),
            nonNegative(retry?.backoffSeconds, "retry.backoffSeconds"),
            nonNegative(retry?.maxBackoffSeconds, "retry.maxBackoffSeconds"),
        ]
        if let problem = checks.compactMap({ $0 }).first { return .failure(problem) }
        if let t = runTimeoutSeconds, t == 0 { return .failure(.invalidSpec("spec.runTimeoutSeconds: must be >= 1 when set")) }

        return .success(ValidatedSpec(
            kind: kind, schedule: parsed, timeZone: zone, suspend: suspend ?? false, concurrencyPolicy: policy,
            startingDeadlineSeconds: startingDeadlineSeconds,
            successfulRunsHistoryLimit: successfulRunsHistoryLimit ?? 3, failedRunsHistoryLimit: failedRunsHistoryLimit ?? 1,
            runTimeoutSeconds: runTimeoutSeconds, retryLimit: retry?.limit ?? 0,
            retryBackoffSeconds: retry?.backoffSeconds ?? 10, retryMaxBackoffSeconds: retry?.maxBackoffSeconds ?? 600))
    }
}

extension FlinkJobSpec {
    func validated() -> Result<ValidatedFlinkJob, SpecProblem> {
        func httpURL(_ text: String?, _ field: String) -> Result<URL, SpecProblem> {
            guard let text, !text.isEmpty else { return .failure(.invalidSpec("spec.flinkJob.\(field) is required")) }
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
        if let p = parallelism, p < 1 { return .failure(.invalidSpec("spec.flinkJob.parallelism: must be >= 1, got \(p)")) }
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
