import Foundation
import K8sClient
import K8sRuntime
import K8sTestSupport
import Logging
import Reconcilers
import Testing

/// Installs sked's CRD (from config/crd, with kubectl as a user would) once per test process.
actor CRDInstaller {
    static let shared = CRDInstaller()
    private var done: Set<String> = []

    func install(_ plane: TestControlPlane) async throws {
        if done.contains(plane.adminKubeconfig) { return }
        let crd = TestControlPlane.repositoryRoot + "/config/crd/sked.dev_scheduledjobs.yaml"
        let (status, out) = try plane.kubectl(["apply", "-f", crd])
        guard status == 0 else { throw TestHarnessError("kubectl apply of the CRD failed: \(out)") }
        let (waited, wout) = try plane.kubectl(["wait", "--for", "condition=established", "--timeout=60s", "crd/scheduledjobs.sked.dev"])
        guard waited == 0 else { throw TestHarnessError("CRD not established: \(wout)") }
        done.insert(plane.adminKubeconfig)
    }
}

/// A namespace with the CRD installed and a sked controller watching it; `restart` stops
/// the controller and starts a fresh one (new caches, new queue), as a restarted pod would.
struct OperatorFixture: Sendable {
    let client: KubernetesClient
    let namespace: String

    var scheduledJobs: API<ScheduledJob> { client.api(ScheduledJob.self, namespace: namespace) }
    var jobs: API<Job> { client.api(Job.self, namespace: namespace) }

    static func with(_ prefix: String, _ body: @Sendable (OperatorFixture) async throws -> Void) async throws {
        let plane = try await TestControlPlane.shared()
        try await CRDInstaller.shared.install(plane)
        try await plane.withNamespace(prefix) { client, ns in
            try await body(OperatorFixture(client: client, namespace: ns))
        }
    }

    /// Runs a controller for the namespace while `body` runs.
    func running<T: Sendable>(flink: FlinkTarget.Settings = .init(), cleanupTimeout: TimeInterval = 300, transports: HTTPTransports = .shared, logger: Logger = Logger(label: "sked"), _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            let synced = LockedBox(false)
            group.addTask {
                let configuration = ScheduledJobController.Configuration(namespaces: [namespace], workers: 2, flink: flink, cleanupTimeout: cleanupTimeout, transports: transports)
                try await ScheduledJobController(client: client, configuration: configuration, logger: logger).run { synced.value = true }
                return nil
            }
            // Waited for, not assumed: on a loaded machine a sync can take several seconds.
            guard await eventually(timeout: .seconds(60), { synced.value }) else {
                group.cancelAll()
                throw TestHarnessError("the controller's caches did not sync within 60 s")
            }
            do {
                let result = try await body()
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    func create(_ name: String, schedule: String?, annotations: [String: String]? = nil, configure: (inout ScheduledJobSpec) -> Void = { _ in }) async throws -> ScheduledJob {
        var spec = ScheduledJobSpec(schedule: schedule, jobTemplate: JobTemplate(
            metadata: .init(labels: ["team": "qa"], annotations: ["owner": "tests"]),
            spec: ["backoffLimit": 0, "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "true"]]]]]]))
        configure(&spec)
        return try await scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: name, annotations: annotations), spec: spec))
    }

    func childJobs(of name: String) async throws -> [Job] {
        try await jobs.list(ListOptions(labelSelector: "sked.dev/scheduled-job=\(RunNaming.labelValue(scheduledJob: name))")).items
            .sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }

    /// Marks a Job finished the way the Job controller would (there is no kubelet here).
    func finish(_ job: Job, succeeded: Bool, message: String = "Job has reached the specified backoff limit") async throws {
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        var j = try await jobs.get(job.metadata.name!)
        j.status = JobStatus(
            conditions: [succeeded
                ? JobCondition(type: "Complete", status: "True", lastProbeTime: now, lastTransitionTime: now)
                : JobCondition(type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: message, lastProbeTime: now, lastTransitionTime: now)],
            startTime: job.metadata.creationTimestamp ?? now, completionTime: succeeded ? now : nil, succeeded: succeeded ? 1 : 0, failed: succeeded ? 0 : 1)
        _ = try await jobs.updateStatus(j)
    }

    func events(for name: String) async throws -> [Event] {
        try await client.api(Event.self, namespace: namespace).list().items.filter { $0.involvedObject.name == name }
    }

    /// For a ScheduledJob on `*/2 * * * * *`: the scheduled times of its Jobs (sorted), how many
    /// Jobs carry one, `status.missedRuns`, and how many ticks fell between the first one after
    /// its creation and its last Job — so a test can check every tick is a Job or counted missed.
    func tickAccounting(of name: String) async throws -> (times: [Int64], jobs: Int, missed: Int, ticks: Int) {
        let jobs = try await childJobs(of: name)
        let times = jobs.compactMap { $0.metadata.annotations?["sked.dev/scheduled-time"].flatMap(RFC3339.parse) }
            .map { Int64($0.timeIntervalSince1970) }.sorted()
        let sj = try await scheduledJobs.get(name)
        let created = Int64(sj.metadata.creationTimestamp!.timeIntervalSince1970)
        let firstTick = created % 2 == 0 ? created + 2 : created + 1
        let ticks = times.last.map { Int(($0 - firstTick) / 2) + 1 } ?? 0
        return (times, jobs.count, sj.status?.missedRuns ?? 0, ticks)
    }
}
