import Foundation
import Synchronization
import K8sClient
import Logging

/// Runs as Apache Flink jobs in a session cluster, through the JobManager's REST API.
///
/// Flink runs are not Kubernetes objects, so the ScheduledJob's `status.active[]` is their
/// only record: each entry carries the Flink job id, the JAR and the JobManager, and this
/// target asks Flink how each is doing. A run's Flink job id is derived from the
/// ScheduledJob's UID and the run's name, so a submission repeated after a restart (or by a
/// second leader) is refused by Flink as a duplicate and adopted, never run twice.
public struct FlinkTarget: RunTarget {
    public struct Settings: Sendable {
        /// How often active Flink jobs are polled (they cannot be watched).
        public var pollInterval: TimeInterval
        public var maxJarBytes: Int
        public var downloadTimeout: Duration
        public var requestTimeout: Duration
        /// How long a stop-with-savepoint may take before the job is cancelled instead.
        public var savepointTimeout: Duration
        /// Reconciles that may use one JobManager at once (see `JobManagerSlots`).
        public var maxReconcilesPerJobManager: Int
        /// Only Secrets labelled `sked.dev/flink-headers: "true"` are sent as headers (see
        /// `headersSecretLabel`); false: any Secret the operator may read.
        public var requireHeadersSecretLabel: Bool
        /// JAR downloads at once: each may fill `maxJarBytes` of the temporary directory, whose
        /// size limit (the chart's emptyDir `sizeLimit`) is this many times `maxJarBytes`.
        public static let maxConcurrentDownloads = 2

        public init(pollInterval: TimeInterval = 10, maxJarBytes: Int = 512 * 1024 * 1024, downloadTimeout: Duration = .seconds(300), requestTimeout: Duration = .seconds(30), savepointTimeout: Duration = .seconds(300), maxReconcilesPerJobManager: Int = 4, requireHeadersSecretLabel: Bool = true) {
            self.requireHeadersSecretLabel = requireHeadersSecretLabel
            self.pollInterval = pollInterval
            self.maxJarBytes = maxJarBytes
            self.downloadTimeout = downloadTimeout
            self.requestTimeout = requestTimeout
            self.savepointTimeout = savepointTimeout
            self.maxReconcilesPerJobManager = maxReconcilesPerJobManager
        }
    }

    /// The `Ready` reason while a JobManager cannot be reached.
    public static let unreachableReason = "FlinkUnreachable"

    /// The label a Secret's owner sets to let ScheduledJobs send it as HTTP headers. Whoever
    /// writes a ScheduledJob also chooses the URL the headers go to, so without this opt-in
    /// anyone who may create a ScheduledJob could send any Secret the operator can read (an
    /// API key, a database password) to a server of their own.
    public static let headersSecretLabel = "sked.dev/flink-headers"

    let client: KubernetesClient?
    let transports: HTTPTransports
    let settings: Settings
    let now: @Sendable () -> Date
    let logger: Logger
    /// Submissions that ended without an answer (a 5xx, a timeout, a dropped connection): Flink
    /// may have started the job anyway. Flink runs are known only from the status, so until the
    /// JobManager is asked, such a run would be invisible to the planner: its tick counted
    /// missed, and a Forbid run started beside it (found by the fault-injection suite).
    let unconfirmed = RunExpectations<ActiveRun>()
    /// Shared with the controller's other FlinkTargets; nil: no limit (unit tests).
    let slots: JobManagerSlots?
    /// Shared with the controller's other FlinkTargets (`Settings.maxConcurrentDownloads`).
    let downloads: AsyncSemaphore

    /// `client` reads `headersSecretRef` Secrets (nil: no Secrets, for tests without them).
    public init(client: KubernetesClient?, transports: HTTPTransports = .shared, settings: Settings = Settings(), slots: JobManagerSlots? = nil, downloads: AsyncSemaphore = AsyncSemaphore(limit: Settings.maxConcurrentDownloads), now: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "sked.flink")) {
        self.client = client
        self.transports = transports
        self.settings = settings
        self.slots = slots
        self.downloads = downloads
        self.now = now
        self.logger = logger
    }

    /// ScheduledJobs with nothing on a JobManager (Kubernetes Job ones) need no slot.
    public func slot(for sj: ScheduledJob) -> RunTargetSlot? {
        let urls = [sj.spec.flinkJob?.jobManagerURL] + (sj.status?.active ?? []).filter { $0.kind == ValidatedFlinkJob.runKind }.map(\.jobManagerURL)
        let origins = Set(urls.compactMap { $0.flatMap(URL.init(string:)).map(HTTPTransports.origin(of:)) })
        guard let slots, !origins.isEmpty else { return .unlimited }
        return slots.take(origins)
    }

    // MARK: Observing

    public func observedRuns(of sj: ScheduledJob) async throws -> [ObservedRun] {
        try await refusalsReported { try await observe(sj) }
    }

    private func observe(_ sj: ScheduledJob) async throws -> [ObservedRun] {
        let recorded = (sj.status?.active ?? []).filter { $0.kind == ValidatedFlinkJob.runKind }
        let key = ObjectKey(namespace: sj.metadata.namespace, name: sj.metadata.name ?? "")
        let recordedNames = Set(recorded.map(\.name))
        let pending = unconfirmed.unsettled(of: key, uid: sj.metadata.uid ?? "").map(\.run)
        for entry in pending where recordedNames.contains(entry.name) { unconfirmed.settle(entry.name, of: key) }
        let unknown = pending.filter { !recordedNames.contains($0.name) }
        guard !recorded.isEmpty || !unknown.isEmpty else { return [] }
        let headers = try await headers(for: sj, failure: unavailable)
        var runs: [ObservedRun] = []
        for entry in recorded + unknown {
            let isUnconfirmed = !recordedNames.contains(entry.name)
            let info = self.info(of: entry, in: sj)
            var run = ObservedRun(
                name: entry.name, kind: entry.kind, uid: nil, runID: entry.runID ?? entry.name, scheduledTime: entry.scheduledTime,
                trigger: entry.trigger, attempt: entry.attempt, startTime: entry.startTime, createdAt: entry.startTime, state: .active, flink: info)
            guard let url = info.jobManagerURL.flatMap(URL.init(string:)) else {
                run.state = .finished(.failed, at: nil, message: "no JobManager URL is recorded for Flink job \(info.flinkJobID)")
                runs.append(run)
                continue
            }
            let rest = self.rest(url, headers)
            let state: FlinkJobState?
            do { state = try await rest.state(of: info.flinkJobID) } catch let e as FlinkRESTError { throw unavailable(url, e) }
            if isUnconfirmed {
                // Not submitted after all: nothing to track. Submitted: the planner records it
                // in status.active, after which it is no longer unconfirmed (checked above).
                guard state != nil else {
                    unconfirmed.settle(entry.name, of: key)
                    continue
                }
                logger.info("a submission without an answer did start its Flink job", metadata: ["run": "\(entry.name)", "flinkJobID": "\(info.flinkJobID)"])
            }
            guard let state else {
                run.state = .finished(.failed, at: nil, message: "the JobManager at \(JarDownloader.redacted(url)) no longer knows Flink job \(info.flinkJobID) (it was restarted without high availability, or the job expired from its history)")
                runs.append(run)
                continue
            }
            if let result = state.result {
                // End time from the job's details; the cached view may lag, so it is optional.
                let ended = (try? await rest.details(of: info.flinkJobID))??.ended
                run.state = .finished(result, at: ended, message: state == .canceled ? "Flink job \(info.flinkJobID) was cancelled" : nil)
            }
            runs.append(run)
        }
        return runs
    }

    public func failureDetail(of run: ObservedRun, for sj: ScheduledJob) async -> String? {
        guard let info = run.flink, let url = info.jobManagerURL.flatMap(URL.init(string:)),
              let headers = try? await headers(for: sj, failure: unavailable) else { return nil }
        do {
            guard let message = try await rest(url, headers).failureMessage(of: info.flinkJobID) else { return nil }
            return "Flink job \(info.flinkJobID) failed: \(message)"
        } catch {
            // The run is recorded once: say why its cause is missing rather than nothing.
            return "Flink job \(info.flinkJobID) failed; its exceptions could not be read from the JobManager: \(error)"
        }
    }

    public func pollInterval(for active: [ActiveRun], now: Date) -> TimeInterval? {
        let flink = active.filter { $0.kind == ValidatedFlinkJob.runKind }
        guard !flink.isEmpty else { return nil }
        // Fresh runs are looked at more often: short batch jobs and early failures show up fast.
        let newest = flink.compactMap(\.startTime).max() ?? now
        return now.timeIntervalSince(newest) < 3 * settings.pollInterval ? min(2, settings.pollInterval) : settings.pollInterval
    }

    // MARK: Starting

    public func start(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome {
        try await refusalsReported { try await submit(request, for: sj, spec: spec) }
    }

    private func submit(_ request: RunRequest, for sj: ScheduledJob, spec: ValidatedSpec) async throws -> StartOutcome {
        guard case .flink(let flink) = spec.kind else { throw RunStartRejected("spec.flinkJob is not set") }
        let headers = try await headers(for: sj, failure: { RunStartRejected($0) })
        let rest = self.rest(flink.jobManagerURL, headers)
        let jobID = FlinkJobID.derive(scheduledJobUID: sj.metadata.uid ?? "", runName: request.name)
        var info = FlinkRunInfo(flinkJobID: jobID, jobManagerURL: flink.jobManagerURL.absoluteString)

        // An earlier attempt of this run may have been submitted (a restart before the status
        // write): adopt it, without fetching the JAR again.
        do {
            if try await rest.state(of: jobID) != nil {
                let started = (try? await rest.details(of: jobID))??.started
                return .alreadyExisted(uid: nil, startTime: started ?? now(), flink: info)
            }
        } catch let e as FlinkRESTError { throw unavailable(flink.jobManagerURL, e) }

        var (jarID, reused) = try await jar(for: sj, flink, rest, headers)
        let body = FlinkRESTClient.JarRunRequestBody(
            jobId: jobID, entryClass: flink.entryClass, programArgsList: flink.args.isEmpty ? nil : flink.args,
            parallelism: flink.parallelism, savepointPath: Self.restorePath(flink, sj),
            allowNonRestoredState: flink.allowNonRestoredState ? true : nil)
        for attempt in 1...2 {
            do {
                info.jarID = jarID
                switch try await rest.run(jar: jarID, body) {
                case .submitted: return .created(uid: nil, startTime: now(), flink: info)
                case .alreadySubmitted: return .alreadyExisted(uid: nil, startTime: now(), flink: info)
                }
            } catch let e as FlinkRESTError {
                // A reused JAR can vanish (a JobManager restart, someone cleaning up): upload it again once.
                if reused, attempt == 1, e.isMissingJar {
                    (jarID, reused) = try await jar(for: sj, flink, rest, headers, forceUpload: true)
                    continue
                }
                if e.isTransient {
                    unconfirmed.expect(request.name, ActiveRun(
                        name: request.name, kind: ValidatedFlinkJob.runKind, uid: nil, scheduledTime: request.scheduledTime, startTime: nil,
                        attempt: request.attempt, trigger: request.trigger, runID: request.runID, flink: info),
                        of: ObjectKey(namespace: sj.metadata.namespace, name: sj.metadata.name ?? ""), uid: sj.metadata.uid ?? "")
                    throw unavailable(flink.jobManagerURL, e)
                }
                // Flink can refuse a run and still create its job (a savepoint that does not
                // exist gives a FAILED job): then the run exists and its failure is observed.
                if (try? await rest.state(of: jobID)) != nil { return .created(uid: nil, startTime: now(), flink: info) }
                throw RunStartRejected("Flink refused to run \(request.name): \(e.message)")
            }
        }
        throw RunStartRejected("Flink refused to run \(request.name): the uploaded JAR disappeared twice")
    }

    /// The savepoint a new run starts from: the newest one a previous run left when
    /// `restoreFromLastSavepoint` is set, else `savepointPath`.
    static func restorePath(_ flink: ValidatedFlinkJob, _ sj: ScheduledJob) -> String? {
        if flink.restoreFromLastSavepoint,
           let last = (sj.status?.history ?? []).filter({ $0.savepointPath != nil }).max(by: { ($0.completionTime ?? $0.scheduledTime) < ($1.completionTime ?? $1.scheduledTime) }) {
            return last.savepointPath
        }
        return flink.savepointPath
    }

    /// The uploaded JAR for the spec's `jarURL`: reused when this ScheduledJob uploaded the same
    /// URL with the same ETag/Last-Modified before, else downloaded and uploaded. JARs only
    /// matter at submission, so older uploads of this ScheduledJob are deleted.
    private func jar(for sj: ScheduledJob, _ flink: ValidatedFlinkJob, _ rest: FlinkRESTClient, _ headers: [String: String], forceUpload: Bool = false) async throws -> (id: String, reused: Bool) {
        let downloader = JarDownloader(transports: transports, maxBytes: settings.maxJarBytes, timeout: settings.downloadTimeout)
        let validators: String
        do { validators = try await downloader.validators(of: flink.jarURL, headers: headers) } catch let f as JarDownloader.Failure {
            throw jarFailure(f)
        }
        let prefix = Self.jarPrefix(sj)
        let name = prefix + RunNaming.hash(flink.jarURL.absoluteString + "\n" + validators, length: 16) + ".jar"
        let uploaded: [FlinkResponses.Jars.File]
        do { uploaded = try await rest.jars() } catch let e as FlinkRESTError { throw unavailable(flink.jobManagerURL, e) }
        if !forceUpload, let existing = uploaded.first(where: { $0.name == name }) { return (existing.id, true) }

        // The file lives from its download to its upload: that is what the permit covers.
        let id: String = try await downloads.withPermit {
            let file: URL
            do { file = try await downloader.download(flink.jarURL, headers: headers) } catch let f as JarDownloader.Failure {
                throw jarFailure(f)
            }
            defer { try? FileManager.default.removeItem(at: file) }
            do { return try await rest.uploadJar(file: file, fileName: name) } catch let e as FlinkRESTError {
                if e.isTransient { throw unavailable(flink.jobManagerURL, e) }
                throw RunStartRejected("Flink refused the JAR from \(JarDownloader.redacted(flink.jarURL)): \(e.message)")
            }
        }
        for old in uploaded where old.name.hasPrefix(prefix) && old.id != id {
            try? await rest.deleteJar(old.id)
        }
        return (id, false)
    }

    private func jarFailure(_ f: JarDownloader.Failure) -> any Error {
        f.isTransient ? RunTargetUnavailable(reason: "JarUnavailable", "cannot fetch the job JAR: \(f.message)") : RunStartRejected("job JAR: \(f.message)")
    }

    /// Uploaded JARs are named after the ScheduledJob (`sked-<uid hash>-`), so its own can be
    /// found, reused and cleaned up without touching anyone else's.
    static func jarPrefix(_ sj: ScheduledJob) -> String { "sked-\(RunNaming.hash(sj.metadata.uid ?? sj.metadata.name ?? "", length: 8))-" }

    // MARK: Stopping

    public func stop(_ run: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome {
        try await refusalsReported { try await stopRun(run, for: sj) }
    }

    private func stopRun(_ run: ObservedRun, for sj: ScheduledJob) async throws -> StopOutcome {
        let info = run.flink ?? FlinkRunInfo(flinkJobID: Self.flinkJobID(recorded: nil, runName: run.name, in: sj))
        guard let url = (info.jobManagerURL ?? sj.spec.flinkJob?.jobManagerURL).flatMap(URL.init(string:)) else { return .stopped }
        let headers = try await headers(for: sj, failure: unavailable)
        // A spec that no longer validates (or no longer has flinkJob) still stops its runs: by cancelling.
        let flink = try? sj.spec.flinkJob?.validated().get()
        return try await stop(info.flinkJobID, at: url, mode: flink?.stopMode ?? .cancel, savepointDirectory: flink?.savepointDirectory, headers: headers)
    }

    func stop(_ jobID: String, at url: URL, mode: FlinkStopMode, savepointDirectory: String?, headers: [String: String]) async throws -> StopOutcome {
        let rest = self.rest(url, headers)
        do {
            guard mode == .savepoint else {
                try await rest.cancel(jobID)
                return .stopped
            }
            switch try await stopWithSavepoint(jobID, rest, savepointDirectory) {
            case .success(let location):
                return StopOutcome(savepointPath: location)
            case .failure(let message):
                // The run must end either way: a Replace or a timeout cannot wait forever.
                try await rest.cancel(jobID)
                return StopOutcome(note: "stop with savepoint failed (\(message)); cancelled instead")
            }
        } catch let e as FlinkRESTError {
            throw unavailable(url, e)
        }
    }

    enum SavepointResult { case success(String), failure(String) }

    /// Stop-with-savepoint, polled to the end. A stop sent before the job's tasks all run is
    /// refused (Flink reports it as a failed savepoint and keeps the job running), so it is
    /// sent again until `savepointTimeout`.
    private func stopWithSavepoint(_ jobID: String, _ rest: FlinkRESTClient, _ directory: String?) async throws -> SavepointResult {
        let deadline = ContinuousClock.now + settings.savepointTimeout
        var lastFailure = "timed out after \(settings.savepointTimeout)"
        while ContinuousClock.now < deadline {
            guard let state = try await rest.state(of: jobID), state.result == nil else {
                return .failure("the job had already ended")
            }
            let trigger = try await rest.stopWithSavepoint(jobID, targetDirectory: directory)
            var outcome = FlinkResponses.SavepointOperation.Outcome.inProgress
            while ContinuousClock.now < deadline {
                outcome = try await rest.savepoint(jobID, trigger: trigger)
                if outcome != .inProgress { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            switch outcome {
            case .completed(let location): return .success(location)
            case .failed(let message):
                lastFailure = message
                guard message.contains("not all required tasks") || message.contains("Not all required tasks") || message.contains("is not being executed") else {
                    return .failure(message)
                }
                try await Task.sleep(for: .seconds(1))
            case .inProgress: break
            }
        }
        return .failure(lastFailure)
    }

    /// Finished Flink runs leave nothing to delete: trimming the history is enough.
    public func delete(_ run: ObservedRun, for sj: ScheduledJob) async throws {}

    // MARK: Deletion

    public func finalizer(for sj: ScheduledJob) -> String? {
        sj.spec.flinkJob != nil || sj.status?.active?.contains { $0.kind == ValidatedFlinkJob.runKind } == true
            ? ScheduledJob.flinkCleanupFinalizer : nil
    }

    /// Stops the active Flink jobs (with the spec's `stopMode`) and deletes this ScheduledJob's JARs.
    public func finalize(_ sj: ScheduledJob) async throws {
        try await refusalsReported { try await cleanUp(sj) }
    }

    private func cleanUp(_ sj: ScheduledJob) async throws {
        for entry in (sj.status?.active ?? []) where entry.kind == ValidatedFlinkJob.runKind {
            let run = ObservedRun(name: entry.name, kind: entry.kind, runID: entry.runID ?? entry.name, scheduledTime: entry.scheduledTime, trigger: entry.trigger, state: .active, flink: info(of: entry, in: sj))
            let outcome = try await stopRun(run, for: sj)
            logger.info("stopped Flink job before deletion", metadata: ["run": "\(entry.name)", "savepoint": "\(outcome.savepointPath ?? "")"])
        }
        guard let url = sj.spec.flinkJob?.jobManagerURL.flatMap(URL.init(string:)) else { return }
        let headers = try await headers(for: sj, failure: unavailable)
        let rest = self.rest(url, headers)
        let prefix = Self.jarPrefix(sj)
        do {
            for jar in try await rest.jars() where jar.name.hasPrefix(prefix) { try await rest.deleteJar(jar.id) }
        } catch let e as FlinkRESTError where e.isTransient {
            throw unavailable(url, e)
        } catch {
            // A JAR that is already gone is fine.
        }
    }

    // MARK: Helpers

    /// A URL the egress policy refuses stays refused until the policy or the addresses its
    /// name resolves to change: reported on `Ready` (naming the host) and looked at again
    /// with backoff, like an unreachable JobManager, so a tick is counted missed, never lost.
    private func refusalsReported<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let refused as URLNotAllowed {
            throw RunTargetUnavailable(reason: URLNotAllowed.reason, refused.message, needsChange: true)
        }
    }

    /// A run's Flink job id: the one in its status entry, or (an entry written before the id
    /// was recorded) the one it was submitted under, which is derived from the run.
    private static func flinkJobID(recorded: String?, runName: String, in sj: ScheduledJob) -> String {
        recorded ?? FlinkJobID.derive(scheduledJobUID: sj.metadata.uid ?? "", runName: runName)
    }

    private func info(of entry: ActiveRun, in sj: ScheduledJob) -> FlinkRunInfo {
        FlinkRunInfo(
            flinkJobID: Self.flinkJobID(recorded: entry.flinkJobID, runName: entry.name, in: sj),
            jarID: entry.jarID, jobManagerURL: entry.jobManagerURL ?? sj.spec.flinkJob?.jobManagerURL)
    }

    private func rest(_ url: URL, _ headers: [String: String]) -> FlinkRESTClient {
        FlinkRESTClient(transport: transports.transport(base: url), headers: headers, timeout: settings.requestTimeout)
    }

    private func unavailable(_ url: URL, _ e: FlinkRESTError) -> any Error {
        guard e.isTransient else { return e }
        let prefix = "JobManager unreachable: "
        let shown = JarDownloader.redacted(url)
        return RunTargetUnavailable(reason: Self.unreachableReason, e.message.hasPrefix(prefix)
            ? "JobManager \(shown) is unreachable: \(e.message.dropFirst(prefix.count))" : "JobManager \(shown): \(e.message)")
    }

    private func unavailable(_ message: String) -> any Error { RunTargetUnavailable(reason: "SecretUnavailable", message) }

    /// The HTTP headers from `headersSecretRef` (each key a header name). Values never leave
    /// this function except as request headers: not in errors, logs, events or status.
    private func headers(for sj: ScheduledJob, failure: (String) -> any Error) async throws -> [String: String] {
        guard let name = sj.spec.flinkJob?.headersSecretRef?.name, !name.isEmpty else { return [:] }
        guard let client else { throw failure("spec.flinkJob.headersSecretRef: Secrets cannot be read") }
        do {
            let secret = try await client.api(Secret.self, namespace: sj.metadata.namespace).get(name)
            if settings.requireHeadersSecretLabel, secret.metadata.labels?[Self.headersSecretLabel] != "true" {
                throw failure("spec.flinkJob.headersSecretRef: Secret \(name) is not labelled \(Self.headersSecretLabel)=true, which its owner sets to let ScheduledJobs send it as HTTP headers")
            }
            var headers: [String: String] = [:]
            for (key, value) in (secret.data ?? [:]).sorted(by: { $0.key < $1.key }) {
                // Checked here, so the HTTP library never refuses one: its error would repeat the value.
                guard Self.isHeaderName(key) else {
                    throw failure("spec.flinkJob.headersSecretRef: key \"\(key)\" of Secret \(name) is not a valid HTTP header name")
                }
                let text = String(decoding: value, as: UTF8.self).trimmingCharacters(in: .newlines)
                guard Self.isHeaderValue(text) else {
                    throw failure("spec.flinkJob.headersSecretRef: the value of key \"\(key)\" of Secret \(name) is not a valid HTTP header value (it holds a line break or another control character)")
                }
                headers[key] = text
            }
            return headers
        } catch let e as KubernetesError where e.isNotFound {
            throw failure("spec.flinkJob.headersSecretRef: Secret \(name) not found in namespace \(sj.metadata.namespace ?? "")")
        } catch let e as KubernetesError where e.reason == .forbidden {
            throw failure("spec.flinkJob.headersSecretRef: the operator may not read Secret \(name) (RBAC: secrets get, granted by the chart's rbac.secrets=true or config/flink-secrets)")
        } catch let e as KubernetesError {
            throw RunTargetUnavailable(reason: "SecretUnavailable", "spec.flinkJob.headersSecretRef: cannot read Secret \(name): \(e.reason)")
        }
    }
}

extension FlinkTarget {
    /// RFC 9110 `token`: the characters a header name may have.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// RFC 9110 `field-value`: visible characters, spaces and tabs, and non-ASCII bytes; no
    /// line breaks or other control characters (which would end the header or the request).
    static func isHeaderValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { b in b == 0x09 || (b >= 0x20 && b != 0x7F) }
    }
}
