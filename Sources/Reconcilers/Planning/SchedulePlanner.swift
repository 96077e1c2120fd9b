import Foundation
import K8sClient

/// The whole policy of sked as one pure function:
/// `plan(scheduledJob, runs, now) -> Plan`. It never reads the clock or the network; the
/// reconciler gathers the inputs, executes the steps and writes the planned status.
/// Level-triggered: it looks at the runs as they are now, not at the event that woke it.
public enum SchedulePlanner {
    /// The `Ready` reason the reconciler sets when a target refuses to start a run; the planner
    /// keeps it until the spec changes or another run starts.
    public static let runStartFailedReason = "RunStartFailed"

    /// `defaultTimeZone` applies when the spec names none (the operator's `--default-time-zone`).
    public static func plan(_ sj: ScheduledJob, runs: [ObservedRun], now: Date, defaultTimeZone: String = "UTC", serviceAccounts: ServiceAccountPolicy = .any) -> Plan {
        var p = Planning(sj: sj, runs: runs, now: now, defaultTimeZone: defaultTimeZone, serviceAccounts: serviceAccounts)
        p.run()
        return p.result()
    }
}

private struct Planning {
    let sj: ScheduledJob
    let now: Date
    let name: String
    var status: ScheduledJobStatus
    var steps: [PlanStep] = []
    var wakeups: [Date] = []
    var active: [ObservedRun]
    var finished: [ObservedRun]
    /// Runs this plan stops: they exist until the stop is carried out, so a token or tick
    /// whose run they are must not start it again (a status write held back after the start
    /// may not have recorded the token or tick yet).
    var stopped: [ObservedRun] = []
    var history: [RunRecord]
    var pendingRetries: [PendingRetry]
    var problem: SpecProblem?
    var spec: ValidatedSpec?
    /// Why no tick will run any more, once that is so.
    var completed: String?
    /// Runs waiting under Enqueue (status.queued), oldest first.
    var queued: [QueuedRun]

    init(sj: ScheduledJob, runs: [ObservedRun], now: Date, defaultTimeZone: String, serviceAccounts: ServiceAccountPolicy) {
        self.sj = sj
        self.now = now
        self.name = sj.metadata.name ?? ""
        self.status = sj.status ?? ScheduledJobStatus()
        self.active = runs.filter(\.isActive).sorted { ($0.scheduledTime, $0.name) < ($1.scheduledTime, $1.name) }
        self.finished = runs.filter { !$0.isActive }
        self.history = status.history ?? []
        self.pendingRetries = status.pendingRetries ?? []
        self.queued = status.queued ?? []
        switch sj.spec.validated(defaultTimeZone: defaultTimeZone, serviceAccounts: serviceAccounts, namespace: sj.metadata.namespace, hashKey: sj.hashKey) {
        case .success(let s): spec = s
        case .failure(let e): problem = e
        }
    }

    mutating func event(_ kind: EventNote.Kind, _ reason: String, _ message: String) {
        steps.append(.event(EventNote(kind, reason, message)))
    }

    mutating func run() {
        recordFinishedRuns()
        handleStopToken()
        enforceTimeouts()
        if let spec {
            startDueRetries(spec)
            if spec.concurrencyPolicy == .enqueue { startQueued(spec) }
            handleRunNowToken(spec)
            handleBackfill(spec)
            handleSchedule(spec)
        }
        trimHistory()
    }

    // MARK: Finished runs

    mutating func recordFinishedRuns() {
        let known = Set(history.map(\.name))
        let fresh = finished.filter { !known.contains($0.name) }.sorted { ($0.completion ?? .distantPast) < ($1.completion ?? .distantPast) }
        for run in fresh {
            guard case .finished(let result, let at, let message) = run.state else { continue }
            addRecord(run, result: result, at: at ?? now, message: message)
            switch result {
            case .succeeded:
                event(.normal, "RunSucceeded", "Run \(run.name) (scheduled \(RFC3339.format(run.scheduledTime))) succeeded")
                if let at, status.lastSuccessfulTime.map({ $0 < at }) ?? true { status.lastSuccessfulTime = at }
            default:
                let detail = message.map { ": \($0)" } ?? ""
                event(.warning, "Run\(result.rawValue)", "Run \(run.name) (scheduled \(RFC3339.format(run.scheduledTime))) \(result.rawValue.lowercased())\(detail)")
                scheduleRetry(after: run, finishedAt: at ?? now)
            }
        }
    }

    mutating func addRecord(_ run: ObservedRun, result: RunResult, at: Date, message: String?) {
        history.append(RunRecord(
            name: run.name, kind: run.kind, scheduledTime: run.scheduledTime, startTime: run.startTime ?? run.createdAt,
            completionTime: at, result: result, message: message.map { String($0.prefix(1024)) }, attempt: run.attempt, trigger: run.trigger,
            flinkJobID: run.flink?.flinkJobID, savepointPath: run.flink?.savepointPath))
    }

    mutating func scheduleRetry(after run: ObservedRun, finishedAt: Date) {
        guard let spec, run.attempt <= spec.retryLimit else { return }
        let next = run.attempt + 1
        guard !pendingRetries.contains(where: { $0.runID == run.runID && $0.attempt >= next }) else { return }
        let delay = spec.retryDelay(afterAttempt: run.attempt)
        pendingRetries.append(PendingRetry(
            scheduledTime: run.scheduledTime, attempt: next, notBefore: finishedAt.addingTimeInterval(delay),
            runID: run.runID, trigger: run.trigger))
        event(.normal, "RetryScheduled", "Run \(run.name) will be retried as attempt \(next) of \(spec.retryLimit + 1) in \(Int(delay.rounded()))s")
    }

    // MARK: Stop, timeout

    mutating func stopActive(_ runs: [ObservedRun], result: RunResult, message: String) {
        for run in runs {
            steps.append(.stopRun(name: run.name, result: result))
            addRecord(run, result: result, at: now, message: message)
        }
        let names = Set(runs.map(\.name))
        active.removeAll { names.contains($0.name) }
        stopped += runs
    }

    mutating func handleStopToken() {
        guard let token = sj.metadata.annotations?[ScheduledJob.Annotation.stop], !token.isEmpty, token != status.lastStopToken else { return }
        status.lastStopToken = token
        let stopping = active
        // A token can be as long as an annotation allows: messages show its start.
        let shown = token.count > 64 ? token.prefix(64) + "…" : token
        stopActive(stopping, result: .cancelled, message: "stopped by \(ScheduledJob.Annotation.stop)=\(shown)")
        let dropped = pendingRetries.count
        let droppedQueued = queued.count
        pendingRetries = []
        queued = []
        event(.normal, "Stopped", "Stopped \(stopping.count) active run(s)\(dropped > 0 ? " and \(dropped) pending retry(ies)" : "")\(droppedQueued > 0 ? ", dropped \(droppedQueued) queued run(s)," : "") for \(ScheduledJob.Annotation.stop)=\(shown)")
    }

    mutating func enforceTimeouts() {
        guard let timeout = spec?.runTimeoutSeconds else { return }
        for run in active {
            let started = run.startTime ?? run.createdAt ?? now
            let deadline = started.addingTimeInterval(TimeInterval(timeout))
            if deadline <= now {
                stopActive([run], result: .timedOut, message: "run exceeded runTimeoutSeconds=\(timeout)")
                event(.warning, "RunTimedOut", "Run \(run.name) exceeded runTimeoutSeconds=\(timeout) and was stopped")
                scheduleRetry(after: run, finishedAt: now)
            } else {
                wakeups.append(deadline)
            }
        }
    }

    // MARK: Starting runs

    /// What became of a run that was due.
    enum StartResult { case started, queued, refused }

    /// Applies the concurrency policy; returns whether the run was started.
    @discardableResult
    mutating func start(_ request: RunRequest, policy: ConcurrencyPolicy) -> Bool { startOrQueue(request, policy: policy) == .started }

    /// Applies the concurrency policy: under Enqueue a run that finds another active waits.
    @discardableResult
    mutating func startOrQueue(_ request: RunRequest, policy: ConcurrencyPolicy) -> StartResult {
        if policy == .enqueue && (!active.isEmpty || !queued.isEmpty) {
            return enqueue(request) ? .queued : .refused
        }
        return startNow(request, policy: policy) ? .started : .refused
    }

    mutating func startNow(_ request: RunRequest, policy: ConcurrencyPolicy) -> Bool {
        if active.count >= SpecBounds.maxActiveRuns && policy == .allow {
            event(.warning, "RunSkipped", "Skipped run \(request.name) (\(request.trigger.rawValue)): \(active.count) runs are active, the most one ScheduledJob may have")
            return false
        }
        if !active.isEmpty {
            switch policy {
            case .allow: break
            case .forbid, .enqueue:
                let names = active.map(\.name).joined(separator: ", ")
                event(.normal, "RunSkipped", "Skipped run \(request.name) (\(request.trigger.rawValue)): concurrencyPolicy is Forbid and \(names) is still active")
                return false
            case .replace:
                let old = active
                stopActive(old, result: .cancelled, message: "replaced by \(request.name)")
                event(.normal, "RunReplaced", "Stopped \(old.map(\.name).joined(separator: ", ")) to start \(request.name) (concurrencyPolicy Replace)")
            }
        }
        steps.append(.startRun(request))
        active.append(ObservedRun(
            name: request.name, kind: spec?.kind.name ?? "Job", runID: request.runID, scheduledTime: request.scheduledTime, trigger: request.trigger,
            attempt: request.attempt, startTime: now, createdAt: now, state: .active))
        return true
    }

    func request(runID: String, scheduledTime: Date, trigger: Trigger, attempt: Int = 1) -> RunRequest {
        RunRequest(
            name: RunNaming.runName(scheduledJob: name, runID: runID, attempt: attempt), runID: runID,
            scheduledTime: scheduledTime, trigger: attempt > 1 ? .retry : trigger, attempt: attempt)
    }

    mutating func startDueRetries(_ spec: ValidatedSpec) {
        var waiting: [PendingRetry] = []
        for retry in pendingRetries.sorted(by: { $0.notBefore < $1.notBefore }) {
            guard retry.notBefore <= now else {
                waiting.append(retry)
                wakeups.append(retry.notBefore)
                continue
            }
            // A retry never replaces another run: under Forbid and Replace it waits for a free slot
            // (a finishing run wakes us through its Job).
            // Already started (by a reconcile whose status write has not happened yet): done.
            let name = RunNaming.runName(scheduledJob: self.name, runID: retry.runID, attempt: retry.attempt)
            if (active + finished).contains(where: { $0.name == name }) { continue }
            if (spec.concurrencyPolicy != .allow && !active.isEmpty) || active.count >= SpecBounds.maxActiveRuns {
                waiting.append(retry)
                continue
            }
            start(request(runID: retry.runID, scheduledTime: retry.scheduledTime, trigger: retry.trigger, attempt: retry.attempt), policy: .allow)
        }
        pendingRetries = waiting
    }

    // MARK: Backfill

    /// Most runs one backfill request starts.
    static let maxBackfillRuns = 1000

    /// `sked.dev/backfill=from=T1,to=T2[,max=N]`: every tick in [T1, T2] runs once, oldest first,
    /// named after its tick (a tick that ran already is not started again), under the
    /// concurrency policy: all at once under Allow (at most the active-run cap), one after
    /// another otherwise. Progress is in status.backfill; the same value acts once.
    mutating func handleBackfill(_ spec: ValidatedSpec) {
        guard let value = sj.metadata.annotations?[ScheduledJob.Annotation.backfill], !value.isEmpty else { return }
        var state: BackfillStatus
        if let current = status.backfill, current.request == value {
            guard !current.completed else { return }
            state = current
        } else {
            switch Self.parseBackfill(value) {
            case .failure(let problem):
                status.backfill = BackfillStatus(request: value, completed: true, error: problem.message)
                event(.warning, "BackfillRejected", "\(ScheduledJob.Annotation.backfill): \(problem.message)")
                return
            case .success(let (from, to, max)):
                guard spec.timing != nil else {
                    status.backfill = BackfillStatus(request: value, completed: true, error: "a one-shot ScheduledJob has no ticks to backfill")
                    event(.warning, "BackfillRejected", "\(ScheduledJob.Annotation.backfill): a one-shot ScheduledJob has no ticks to backfill")
                    return
                }
                state = BackfillStatus(request: value, from: from, to: to, maxRuns: max, cursor: from.addingTimeInterval(-0.5))
                event(.normal, "BackfillStarted", "Backfilling the ticks from \(RFC3339.format(from)) to \(RFC3339.format(to))\(max.map { " (at most \($0))" } ?? "")")
            }
        }
        guard let timing = spec.timing, let to = state.to else { return }
        // Bounds and exclusions hold for a backfill too; jitter does not (the ticks are past).
        var unjittered = timing
        unjittered.jitterSeconds = 0
        // A tick's run may exist already: run by the schedule (skipped here), or started by this
        // backfill on an operator that died before writing status (counted as started, or the
        // progress would show fewer runs than ran).
        let existing = Dictionary((active + finished + stopped).map { ($0.runID, $0.trigger) }, uniquingKeysWith: { first, _ in first })
        let limit = min(state.maxRuns ?? Self.maxBackfillRuns, Self.maxBackfillRuns)
        while !state.completed {
            guard state.started < limit, let t = unjittered.next(after: state.cursor ?? .distantPast), t <= min(to, now) else {
                state.completed = true
                event(.normal, "BackfillCompleted", "Backfill from \(RFC3339.format(state.from ?? to)) to \(RFC3339.format(to)): \(state.started) run(s) started, \(state.skipped) tick(s) skipped (already run or excluded)")
                break
            }
            let runID = RunNaming.scheduledRunID(t)
            if let trigger = existing[runID] {
                if trigger == .backfill { state.started += 1 } else { state.skipped += 1 }
                state.cursor = t
                continue
            }
            if unjittered.isExcluded(t) {
                state.skipped += 1
                state.cursor = t
                continue
            }
            // Forbid and Enqueue: one at a time, in a free slot (checked before the schedule's
            // tick, so a backfill is not starved by it). Replace: a backfilled run replaces
            // the active one as any new run does, one per reconcile.
            let policy = spec.concurrencyPolicy
            if (policy == .forbid || policy == .enqueue) && !active.isEmpty { break }
            if active.count >= SpecBounds.maxActiveRuns { break }
            guard startNow(request(runID: runID, scheduledTime: t, trigger: .backfill), policy: policy == .replace ? .replace : .allow) else { break }
            state.started += 1
            state.cursor = t
            if policy != .allow { break }
        }
        status.backfill = state
    }

    /// `from=<RFC 3339>,to=<RFC 3339>[,max=<n>]`.
    static func parseBackfill(_ value: String) -> Result<(Date, Date, Int?), SpecProblem> {
        var fields: [String: String] = [:]
        for part in value.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, ["from", "to", "max"].contains(kv[0]) else { return .failure(.invalidSpec("\"\(part.prefix(64))\" is not from=, to= or max= (expected from=<RFC 3339>,to=<RFC 3339>[,max=<n>])")) }
            fields[kv[0]] = kv[1]
        }
        guard let fromText = fields["from"], let from = RFC3339.parse(fromText) else { return .failure(.invalidSpec("from= must be an RFC 3339 time")) }
        guard let toText = fields["to"], let to = RFC3339.parse(toText) else { return .failure(.invalidSpec("to= must be an RFC 3339 time")) }
        guard from <= to else { return .failure(.invalidSpec("from= \(RFC3339.format(from)) is after to= \(RFC3339.format(to))")) }
        var max: Int?
        if let m = fields["max"] {
            guard let n = Int(m), (1...maxBackfillRuns).contains(n) else { return .failure(.invalidSpec("max= must be between 1 and \(maxBackfillRuns)")) }
            max = n
        }
        return .success((from, to, max))
    }

    mutating func handleRunNowToken(_ spec: ValidatedSpec) {
        guard let token = sj.metadata.annotations?[ScheduledJob.Annotation.runNow], !token.isEmpty, token != status.lastRunNowToken else { return }
        status.lastRunNowToken = token
        let runID = RunNaming.manualRunID(token: token)
        // Each token acts once, even if the run it started has since been trimmed from history.
        if (active + finished + stopped).contains(where: { $0.runID == runID }) { return }
        start(request(runID: runID, scheduledTime: now, trigger: .manual), policy: spec.concurrencyPolicy)
    }

    mutating func handleSchedule(_ spec: ValidatedSpec) {
        guard var timing = spec.timing else {
            // One-shot: run once, as soon as created (and not suspended).
            status.setUpcoming([])
            if status.lastScheduleTime == nil && !spec.suspend {
                let at = sj.metadata.creationTimestamp ?? now
                status.lastScheduleTime = at
                if !(active + finished + stopped).contains(where: { $0.runID == RunNaming.onceRunID }) {
                    start(request(runID: RunNaming.onceRunID, scheduledTime: at, trigger: .once), policy: spec.concurrencyPolicy)
                }
            }
            return
        }
        timing.jitterSeed = sj.metadata.uid ?? name
        guard !spec.suspend else {
            status.setUpcoming([])
            return
        }
        if let done = completion(spec, timing) {
            completed = done
            status.setUpcoming([])
            return
        }
        let earliest = status.lastScheduleTime ?? sj.metadata.creationTimestamp ?? now
        if let tick = latestDue(timing, after: earliest) {
            // Ticks that already have a run (started by an operator that died before writing
            // status) are neither started again nor counted as missed.
            let ran = Set((active + finished + stopped).filter { $0.trigger == .schedule || $0.trigger == .retry || $0.trigger == .backfill }.map(\.scheduledTime))
            switch spec.catchUp {
            case .latest: catchUpLatest(tick, spec, timing, earliest: earliest, ran: ran)
            case .all(let maxRuns, let window): catchUpAll(through: tick, spec, timing, earliest: earliest, ran: ran, maxRuns: maxRuns, window: window)
            }
        }
        if let done = completion(spec, timing) {
            completed = done
            status.setUpcoming([])
            return
        }
        // A jittered tick can be in the past and start in the future: it is still upcoming.
        let limit = min(spec.runsLeft(after: status.scheduledRuns) ?? .max, ScheduledJobStatus.upcomingCount)
        status.setUpcoming(timing.pendingStarts(after: status.lastScheduleTime ?? earliest, now: now, limit: limit))
        if let next = status.nextScheduleTime { wakeups.append(next) }
    }

    /// The most recent tick after `earliest` whose start (tick plus jitter) has come. With a
    /// jitter below the schedule's period at most one tick waits for its start: the one before
    /// it is then the latest due.
    mutating func latestDue(_ timing: EffectiveSchedule, after earliest: Date) -> Date? {
        guard let tick = timing.mostRecent(after: earliest, notAfter: now) else { return nil }
        guard timing.due(tick) > now else { return tick }
        wakeups.append(timing.due(tick))
        guard let before = timing.mostRecent(after: earliest, notAfter: tick.addingTimeInterval(-1)), timing.due(before) <= now else { return nil }
        return before
    }

    /// Why no tick will run any more (`maxRuns` reached, `endTime` passed), or nil.
    func completion(_ spec: ValidatedSpec, _ timing: EffectiveSchedule) -> String? {
        if let maxRuns = spec.maxRuns, spec.runsLeft(after: status.scheduledRuns) == 0 { return "maxRuns=\(maxRuns) runs were started" }
        // Past the end, with every tick up to it handled.
        if let end = timing.endTime, now > end, timing.next(after: status.lastScheduleTime ?? sj.metadata.creationTimestamp ?? now) == nil {
            return "endTime \(RFC3339.format(end)) has passed"
        }
        return nil
    }

    /// CronJob's behaviour: the most recent due tick runs, the ticks missed before it are counted.
    mutating func catchUpLatest(_ tick: Date, _ spec: ValidatedSpec, _ timing: EffectiveSchedule, earliest: Date, ran: Set<Date>) {
        let skipped = countTicks(timing, after: earliest, before: tick, excluding: ran)
        status.lastScheduleTime = tick
        skippedByExclusion(skipped.excluded, after: earliest, before: tick)
        let late = now.timeIntervalSince(timing.due(tick))
        if ran.contains(tick) {
            if skipped.count > 0 { addMissed(skipped.count) }
        } else if timing.isExcluded(tick) {
            if skipped.count > 0 { addMissed(skipped.count) }
            excluded(tick)
        } else if let deadline = spec.startingDeadlineSeconds, late > TimeInterval(deadline) {
            addMissed(skipped.count + 1)
            event(.warning, "MissedSchedule", "Missed run scheduled at \(RFC3339.format(tick)): \(Int(late))s late, beyond startingDeadlineSeconds=\(deadline)\(skipped.text)")
        } else {
            if skipped.count > 0 {
                addMissed(skipped.count)
                event(.warning, "MissedSchedule", "Skipped \(skipped.label) earlier run(s) after \(RFC3339.format(earliest)); starting only the most recent one, scheduled at \(RFC3339.format(tick))")
            }
            if startScheduled(tick, spec) == false { addMissed(1) }
        }
    }

    /// `catchUp.policy: All`: every tick since the last one handled runs, oldest first, if it is
    /// inside the window and among the `maxRuns` most recent. Under Forbid they run one after
    /// another: the rest wait (the last tick handled stays before them) while inside the window.
    ///
    /// The ticks to run are found backwards from the latest (each step O(log n)), so a week of
    /// per-second ticks costs no more than `maxRuns` steps; the older ones are only counted.
    mutating func catchUpAll(through tick: Date, _ spec: ValidatedSpec, _ timing: EffectiveSchedule, earliest: Date, ran: Set<Date>, maxRuns: Int, window: Int64?) {
        let quota = spec.runsLeft(after: status.scheduledRuns) ?? .max
        let wanted = min(maxRuns, quota)
        var chosen: [Date] = []      // newest first
        var excludedNewer: [Date] = []
        var cursor: Date? = tick
        var scanned = 0
        while let t = cursor, chosen.count < wanted, scanned < wanted + 1000 {
            scanned += 1
            if let w = window, now.timeIntervalSince(timing.due(t)) > TimeInterval(w) { break }
            if timing.isExcluded(t) { excludedNewer.append(t) } else if !ran.contains(t) { chosen.append(t) }
            cursor = timing.mostRecent(after: earliest, notAfter: t.addingTimeInterval(-1))
        }
        guard let oldest = chosen.last else {
            // Nothing to run: every tick up to the latest is counted, as under Latest.
            let skipped = countTicks(timing, after: earliest, before: tick.addingTimeInterval(1), excluding: ran)
            status.lastScheduleTime = tick
            skippedByExclusion(skipped.excluded, after: earliest, before: tick.addingTimeInterval(1))
            if skipped.count > 0 {
                addMissed(skipped.count)
                event(.warning, "MissedSchedule", "Missed \(skipped.label) run(s) scheduled after \(RFC3339.format(earliest)): older than the catch-up window")
            }
            return
        }
        // The ticks before the oldest to run: missed (too old, beyond maxRuns) or excluded.
        let before = countTicks(timing, after: earliest, before: oldest, excluding: ran)
        skippedByExclusion(before.excluded, after: earliest, before: oldest)
        if before.count > 0 {
            addMissed(before.count)
            event(.warning, "MissedSchedule", "Missed \(before.label) run(s) scheduled after \(RFC3339.format(earliest)) and before \(RFC3339.format(oldest)): older than the catch-up window or beyond catchUp.maxRuns=\(maxRuns)")
        }
        if spec.concurrencyPolicy == .forbid {
            // One at a time; the next waits for this one (its end wakes us) or for its window.
            guard active.isEmpty else {
                if let previous = timing.mostRecent(after: earliest, notAfter: oldest.addingTimeInterval(-1)) { status.lastScheduleTime = previous }
                return
            }
            if !startScheduled(oldest, spec) { addMissed(1) }
            status.lastScheduleTime = oldest
            if oldest != tick { event(.normal, "CatchingUp", "Started the missed run scheduled at \(RFC3339.format(oldest)); \(chosen.count - 1) more wait for it (catchUp.policy All, concurrencyPolicy Forbid)") }
            return
        }
        var started = 0
        for t in chosen.reversed() {
            if startScheduled(t, spec) { started += 1 } else { addMissed(1) }
        }
        status.lastScheduleTime = tick
        for t in excludedNewer.reversed() { excluded(t) }
        if chosen.count > 1 || oldest != tick {
            event(.normal, "CatchingUp", "Started \(started) missed run(s) scheduled from \(RFC3339.format(oldest)) to \(RFC3339.format(chosen.first!)) (catchUp.policy All)")
        }
    }

    /// Starts the run of a tick; counts it for `maxRuns`.
    /// Whether the tick's run was started or queued (else it counts as missed).
    mutating func startScheduled(_ tick: Date, _ spec: ValidatedSpec) -> Bool {
        switch startOrQueue(request(runID: RunNaming.scheduledRunID(tick), scheduledTime: tick, trigger: .schedule), policy: spec.concurrencyPolicy) {
        case .started:
            countScheduledRun()
            return true
        case .queued: return true
        case .refused: return false
        }
    }

    // MARK: Queue (concurrencyPolicy Enqueue)

    /// Queues a due run behind the active one; false when the queue is full (the run is skipped).
    mutating func enqueue(_ request: RunRequest) -> Bool {
        guard let spec else { return false }
        if queued.contains(where: { $0.runID == request.runID }) { return true }
        guard queued.count < spec.maxQueued else {
            event(.warning, "RunSkipped", "Skipped run \(request.name) (\(request.trigger.rawValue)): \(queued.count) run(s) are already queued, maxQueued=\(spec.maxQueued)")
            return false
        }
        queued.append(QueuedRun(scheduledTime: request.scheduledTime, runID: request.runID, trigger: request.trigger))
        event(.normal, "RunQueued", "Queued run \(request.name) (\(request.trigger.rawValue)) behind \(active.map(\.name).joined(separator: ", ")) (concurrencyPolicy Enqueue, \(queued.count) waiting)")
        return true
    }

    /// The oldest queued run starts once nothing is active. One that already exists (started
    /// by a reconcile whose status write did not happen) only leaves the queue.
    mutating func startQueued(_ spec: ValidatedSpec) {
        let existing = Set((active + finished + stopped).map(\.runID))
        queued.removeAll { existing.contains($0.runID) }
        guard active.isEmpty, !queued.isEmpty else { return }
        let next = queued.removeFirst()
        if startNow(request(runID: next.runID, scheduledTime: next.scheduledTime, trigger: next.trigger), policy: .allow), next.trigger == .schedule {
            countScheduledRun()
        }
    }

    /// Ticks between two looks that fell in an exclusion: counted, and said once.
    mutating func skippedByExclusion(_ n: Int, after: Date, before: Date) {
        guard n > 0 else { return }
        addSkipped(n)
        event(.normal, "RunExcluded", "Skipped \(n) run(s) scheduled after \(RFC3339.format(after)) and before \(RFC3339.format(before)): they fall in an exclusion (spec.exclude)")
    }

    mutating func excluded(_ tick: Date) {
        addSkipped(1)
        event(.normal, "RunExcluded", "Skipped the run scheduled at \(RFC3339.format(tick)): it falls in an exclusion (spec.exclude)")
    }

    mutating func addMissed(_ n: Int) { Self.add(n, to: &status.missedRuns) }

    mutating func addSkipped(_ n: Int) {
        guard n > 0 else { return }
        Self.add(n, to: &status.skippedRuns)
    }

    /// One more scheduled run, for `maxRuns`.
    mutating func countScheduledRun() { Self.add(1, to: &status.scheduledRuns) }

    /// Saturating: a count in status may have been written by someone else, up to Int.max.
    static func add(_ n: Int, to count: inout Int?) {
        let (sum, overflow) = (count ?? 0).addingReportingOverflow(n)
        count = overflow ? Int.max : sum
    }

    /// Ticks strictly between `earliest` and `tick`: the missed ones and, apart, the excluded
    /// ones, counted up to a cap so that a per-second schedule after long downtime costs
    /// nothing; beyond the cap the count says so.
    func countTicks(_ timing: EffectiveSchedule, after earliest: Date, before tick: Date, excluding ran: Set<Date>) -> (count: Int, excluded: Int, label: String, text: String) {
        let cap = 1000
        var n = 0
        var excludedCount = 0
        var cursor = earliest
        var steps = 0
        while n + excludedCount <= cap, steps <= cap + ran.count, let t = timing.next(after: cursor), t < tick {
            if !ran.contains(t) {
                if timing.isExcluded(t) { excludedCount += 1 } else { n += 1 }
            }
            steps += 1
            cursor = t
        }
        let label = n > cap ? "more than \(cap)" : "\(n)"
        return (min(n, cap), excludedCount, label, n > 0 ? "; \(label) earlier run(s) were also missed" : "")
    }

    // MARK: History

    mutating func trimHistory() {
        history.sort(by: Self.newestFirst)
        // An invalid spec has no limits to apply: keep what is recorded until it is fixed.
        guard let spec else { return }
        var keptSucceeded = 0
        var keptFailed = 0
        var kept: [RunRecord] = []
        for r in history {
            if r.result == .succeeded {
                if keptSucceeded < spec.successfulRunsHistoryLimit { keptSucceeded += 1; kept.append(r) }
            } else {
                if keptFailed < spec.failedRunsHistoryLimit { keptFailed += 1; kept.append(r) }
            }
        }
        history = kept
        // Delete every finished run that is no longer in history: just trimmed, or trimmed
        // earlier when its delete did not go through.
        let keptNames = Set(kept.map(\.name))
        let stopping = Set(steps.compactMap { if case .stopRun(let n, _) = $0 { n } else { nil } })
        let deletions = finished.map(\.name).filter { !keptNames.contains($0) && !stopping.contains($0) }.sorted()
        for n in deletions { steps.append(.deleteRun(name: n)) }
        if !deletions.isEmpty {
            event(.normal, "HistoryCleaned", "Deleted \(deletions.count) finished run(s) beyond the history limits: \(deletions.joined(separator: ", "))")
        }
    }

    static func newestFirst(_ a: RunRecord, _ b: RunRecord) -> Bool {
        let ta = a.completionTime ?? a.scheduledTime, tb = b.completionTime ?? b.scheduledTime
        return ta != tb ? ta > tb : a.name > b.name
    }

    // MARK: Result

    func result() -> Plan {
        var s = status
        s.observedGeneration = sj.metadata.generation
        s.history = history.isEmpty ? nil : history
        s.pendingRetries = pendingRetries.isEmpty ? nil : pendingRetries
        // A policy changed away from Enqueue keeps no queue.
        s.queued = queued.isEmpty || spec.map({ $0.concurrencyPolicy != .enqueue }) == true ? nil : queued
        s.queuedRuns = s.queued?.count ?? (sj.status?.queuedRuns == nil ? nil : 0)
        s.active = active.isEmpty ? nil : active.map {
            ActiveRun(name: $0.name, kind: $0.kind, uid: $0.uid, scheduledTime: $0.scheduledTime, startTime: $0.startTime ?? $0.createdAt, attempt: $0.attempt, trigger: $0.trigger,
                      runID: $0.kind == ValidatedFlinkJob.runKind ? $0.runID : nil, flink: $0.flink)
        }
        s.activeRuns = active.count
        var conditions = s.conditions ?? []
        let ready: Condition
        if let problem {
            s.phase = "Invalid"
            s.setUpcoming([])
            ready = Condition(type: "Ready", status: "False", reason: problem.reason, message: problem.message, lastTransitionTime: now, observedGeneration: sj.metadata.generation)
        } else if spec?.suspend == true {
            s.phase = active.isEmpty ? "Suspended" : "Running"
            let why = sj.spec.suspendReason.flatMap { $0.isEmpty ? nil : " (\($0.prefix(256)))" } ?? ""
            ready = Condition(type: "Ready", status: "True", reason: "Suspended", message: "Suspended\(why): no new runs are scheduled", lastTransitionTime: now, observedGeneration: sj.metadata.generation)
        } else if let completed {
            s.phase = active.isEmpty && pendingRetries.isEmpty ? "Completed" : "Running"
            ready = Condition(type: "Ready", status: "True", reason: "Completed", message: "No more runs are scheduled: \(completed)", lastTransitionTime: now, observedGeneration: sj.metadata.generation)
        } else if let previous = sj.status?.conditions?[type: "Ready"], previous.reason == SchedulePlanner.runStartFailedReason,
                  previous.observedGeneration == sj.metadata.generation, steps.allSatisfy({ if case .startRun = $0 { false } else { true } }) {
            // A run the target refused (a JAR that is not a JAR, an unknown entry class) stays
            // visible until the spec changes or a later run starts.
            s.phase = phase(s)
            ready = previous
        } else {
            s.phase = phase(s)
            let what = spec?.schedule == nil ? "One-shot run" : "Schedule is valid"
            ready = Condition(type: "Ready", status: "True", reason: "Scheduled", message: what, lastTransitionTime: now, observedGeneration: sj.metadata.generation)
        }
        // Both ways to be not ready here (an invalid spec, a kept RunStartFailed) need a change to clear.
        ReadinessConditions.set(ready, .stalled, in: &conditions)
        conditions.set(Condition(
            type: "Running", status: active.isEmpty ? "False" : "True", reason: active.isEmpty ? "NoActiveRuns" : "RunsActive",
            message: active.isEmpty ? "No run is active" : "\(active.count) run(s) active: \(active.map(\.name).joined(separator: ", "))",
            lastTransitionTime: now, observedGeneration: sj.metadata.generation))
        s.conditions = conditions

        var allSteps = steps
        // A spec problem is announced once per change of the condition, not on every reconcile.
        if let problem, sj.status?.conditions?[type: "Ready"].map({ $0.reason != problem.reason || $0.message != problem.message }) ?? true {
            allSteps.append(.event(EventNote(.warning, problem.reason, problem.message)))
        }
        let next = wakeups.filter { $0 > now }.min()
        return Plan(steps: allSteps, status: s, requeueAfter: next.map { max(0, $0.timeIntervalSince(now)) }, spec: spec)
    }

    func phase(_ s: ScheduledJobStatus) -> String {
        if !active.isEmpty { return "Running" }
        guard spec?.schedule == nil, s.lastScheduleTime != nil, pendingRetries.isEmpty else { return "Scheduled" }
        guard let last = history.first(where: { $0.trigger == .once || $0.trigger == .retry }) ?? history.first else {
            return "Scheduled"
        }
        return last.result == .succeeded ? "Succeeded" : "Failed"
    }
}

extension ObservedRun {
    var completion: Date? {
        if case .finished(_, let at, _) = state { return at }
        return nil
    }
}
