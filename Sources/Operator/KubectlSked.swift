import ArgumentParser
import Foundation
import K8sClient
import Reconcilers

/// `kubectl sked …`: the `sked` binary installed as `kubectl-sked` on the PATH. Uses
/// kubectl's conventions: `-n/--namespace`, `--context`, `--kubeconfig`, `$KUBECONFIG`.
struct KubectlSked: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl sked", abstract: "Work with sked ScheduledJobs from kubectl.",
        subcommands: [RunNow.self, Stop.self, Suspend.self, Resume.self, History.self, Next.self, Backfill.self, LintCommand.self])

    struct Target: ParsableArguments {
        @Argument(help: "The ScheduledJob's name.")
        var name: String
        @Option(name: [.short, .long], help: "Namespace (default: the context's namespace).")
        var namespace: String?
        @Option(help: "kubeconfig context.")
        var context: String?
        @Option(help: "Path to a kubeconfig.")
        var kubeconfig: String?

        /// Runs `body` with the ScheduledJob API of the chosen namespace; errors become one line and exit 2.
        func with<T: Sendable>(_ body: (API<ScheduledJob>) async throws -> T) async throws -> T {
            let config: ClientConfiguration
            do { config = try ClientConfiguration.load(kubeconfig: kubeconfig, context: context) } catch { throw fail("\(error)") }
            do {
                return try await KubernetesClient.withClient(configuration: config) { client in
                    try await body(client.api(ScheduledJob.self, namespace: namespace ?? config.namespace))
                }
            } catch let e as KubernetesError {
                throw fail(e.isNotFound ? "scheduledjob \"\(name)\" not found in namespace \(namespace ?? config.namespace)" : "\(e)")
            }
        }

        /// Merge-patches the ScheduledJob and prints `scheduledjob/NAME: done`.
        func patch(_ patch: JSONValue, done: String) async throws {
            try await with { api in _ = try await api.patch(name, .merge(patch)) }
            print("scheduledjob/\(name): \(done)")
        }

        /// Sets an imperative annotation to a fresh token (each new value acts once).
        func setToken(_ annotation: String, done: String) async throws {
            let token = String(Int64(Date().timeIntervalSince1970 * 1000))
            try await patch(["metadata": ["annotations": [.init(stringLiteral: annotation): .string(token)]]], done: "\(done) (\(annotation)=\(token))")
        }
    }


    struct RunNow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-now", abstract: "Start one run now (sets sked.dev/run-now).")
        @OptionGroup var target: Target
        func run() async throws { try await target.setToken(ScheduledJob.Annotation.runNow, done: "run requested") }
    }

    struct Backfill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backfill", abstract: "Run every tick in a time range once (sets sked.dev/backfill; progress in status.backfill).",
            discussion: "Example: kubectl sked backfill nightly --from 2026-12-01T00:00:00Z --to 2026-12-07T00:00:00Z --max 10")
        @OptionGroup var target: Target
        @Option(help: "The first tick's earliest time (RFC 3339).")
        var from: String
        @Option(help: "The last tick's latest time (RFC 3339).")
        var to: String
        @Option(help: "Start at most this many runs (1-1000).")
        var max: Int?

        func run() async throws {
            let value: String
            do { value = try Self.request(from: from, to: to, max: max) } catch let e as NextCommand.NextError { throw fail(e.message) }
            try await target.patch(["metadata": ["annotations": [.init(stringLiteral: ScheduledJob.Annotation.backfill): .string(value)]]], done: "backfill requested (\(ScheduledJob.Annotation.backfill)=\(value))")
        }

        /// The annotation's value, checked as the operator checks it. The same range asked twice is
        /// the same value: it acts once.
        static func request(from: String, to: String, max: Int?) throws -> String {
            guard let f = RFC3339.parse(from) else { throw NextCommand.NextError(message: "--from \"\(from)\" is not an RFC 3339 time (for example 2026-12-01T00:00:00Z)") }
            guard let t = RFC3339.parse(to) else { throw NextCommand.NextError(message: "--to \"\(to)\" is not an RFC 3339 time (for example 2026-12-07T00:00:00Z)") }
            guard f <= t else { throw NextCommand.NextError(message: "--from \(from) is after --to \(to)") }
            if let max, !(1...1000).contains(max) { throw NextCommand.NextError(message: "--max must be between 1 and 1000, got \(max)") }
            return "from=\(RFC3339.format(f)),to=\(RFC3339.format(t))" + (max.map { ",max=\($0)" } ?? "")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop every active run (sets sked.dev/stop).")
        @OptionGroup var target: Target
        func run() async throws { try await target.setToken(ScheduledJob.Annotation.stop, done: "stop requested") }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "suspend", abstract: "Suspend new scheduled runs.")
        @OptionGroup var target: Target
        func run() async throws { try await target.patch(["spec": ["suspend": true]], done: "suspended") }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume scheduled runs.")
        @OptionGroup var target: Target
        func run() async throws { try await target.patch(["spec": ["suspend": false]], done: "resumed") }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the finished runs recorded in status.")
        @OptionGroup var target: Target
        func run() async throws {
            let sj = try await target.with { api in try await api.get(target.name) }
            print(Self.table(sj))
        }

        static func table(_ sj: ScheduledJob) -> String {
            var rows = [["NAME", "TRIGGER", "ATTEMPT", "SCHEDULED", "FINISHED", "RESULT", "MESSAGE"]]
            for r in sj.status?.active ?? [] {
                rows.append([r.name, r.trigger.rawValue, String(r.attempt), RFC3339.format(r.scheduledTime), "-", "Running", ""])
            }
            for r in sj.status?.history ?? [] {
                rows.append([r.name, r.trigger.rawValue, String(r.attempt), RFC3339.format(r.scheduledTime),
                             r.completionTime.map(RFC3339.format) ?? "-", r.result.rawValue, String((r.message ?? "").prefix(80))])
            }
            if rows.count == 1 { return "No runs yet." }
            let widths = rows[0].indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
            return rows.map { row in
                row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                    .joined(separator: "   ").trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n")
        }
    }

    struct Next: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "next", abstract: "Show when the next runs of a live ScheduledJob start (after exclusions, bounds and jitter).")
        @OptionGroup var target: Target
        @Option(help: "How many start times to print.")
        var count: Int = 5
        func run() async throws {
            let sj = try await target.with { api in try await api.get(target.name) }
            do {
                print(try Self.render(sj, count: count, now: Date()))
            } catch let e as NextCommand.NextError {
                throw fail(e.message)
            }
        }

        /// The effective start times, as the operator computes them; a pure function of the object.
        static func render(_ sj: ScheduledJob, count: Int, now: Date) throws -> String {
            guard count >= 1 && count <= 10_000 else { throw NextCommand.NextError(message: "--count must be between 1 and 10000, got \(count)") }
            let spec: ValidatedSpec
            switch sj.spec.validated(hashKey: sj.hashKey) {
            case .success(let s): spec = s
            case .failure(let problem): throw NextCommand.NextError(message: "scheduledjob \"\(sj.metadata.name ?? "")\" is invalid: \(problem.message)")
            }
            guard var timing = spec.timing else { throw NextCommand.NextError(message: "scheduledjob \"\(sj.metadata.name ?? "")\" has no schedule (a one-shot run)") }
            timing.jitterSeed = sj.metadata.uid ?? sj.metadata.name ?? ""
            var lines: [String] = []
            if spec.suspend { lines.append("(suspended\(sj.spec.suspendReason.map { ": \($0)" } ?? ""): no runs will start until resumed)") }
            let left = spec.runsLeft(after: sj.status?.scheduledRuns)
            if let maxRuns = spec.maxRuns, left == 0 { return (lines + ["(completed: maxRuns=\(maxRuns) runs were started)"]).joined(separator: "\n") }
            let lastHandled = sj.status?.lastScheduleTime ?? sj.metadata.creationTimestamp ?? now
            let starts = timing.pendingStarts(after: lastHandled, now: now, limit: min(count, left ?? .max))
            if starts.isEmpty { lines.append(timing.endTime.map { "(no run starts before endTime \(RFC3339.format($0)))" } ?? "(no start time within five years)") }
            lines += starts.map { LocalTime.format($0, in: spec.timeZone) }
            return lines.joined(separator: "\n")
        }
    }
}
