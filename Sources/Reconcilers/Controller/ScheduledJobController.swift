import Foundation
import K8sClient
import K8sRuntime
import Logging
import Synchronization
import Tracing

/// Wires the pieces for ScheduledJobs: informers on ScheduledJobs and on their Jobs (one
/// pair per watched namespace, or one pair for all namespaces), a work queue fed by both,
/// and workers that reconcile. Each ScheduledJob is requeued exactly for its next tick;
/// there is no polling loop.
public final class ScheduledJobController: Sendable {
    public struct Configuration: Sendable {
        /// Empty: all namespaces.
        public var namespaces: [String]
        public var workers: Int
        public var defaultTimeZone: String
        public var flink: FlinkTarget.Settings
        /// How long deletion waits for a Flink cleanup (JobManager gone) before giving up.
        public var cleanupTimeout: TimeInterval
        /// How JobManagers and JAR servers are reached (the environment's proxies).
        public var transports: HTTPTransports
        /// ServiceAccounts Job pods may run as (`any`: CronJob's behaviour); each watched
        /// Namespace's annotation adds to it there.
        public var serviceAccounts: ServiceAccountPolicy
        public init(namespaces: [String] = [], workers: Int = 4, defaultTimeZone: String = "UTC", flink: FlinkTarget.Settings = .init(), cleanupTimeout: TimeInterval = 300, transports: HTTPTransports = .shared, serviceAccounts: ServiceAccountPolicy = .any) {
            self.serviceAccounts = serviceAccounts
            self.namespaces = namespaces
            self.workers = workers
            self.defaultTimeZone = defaultTimeZone
            self.flink = flink
            self.cleanupTimeout = cleanupTimeout
            self.transports = transports
        }
    }

    /// The caches of one watched scope.
    struct Scope: Sendable {
        let scheduledJobs: Informer<ScheduledJob>
        let jobs: Informer<Job>
        let reconciler: ScheduledJobReconciler
        /// The scope's Namespaces (their ServiceAccount annotation), with a ServiceAccount policy only.
        let namespaces: Informer<Namespace>?
    }

    public let client: KubernetesClient
    public let configuration: Configuration
    public let logger: Logger
    /// Shut down to drain: in-flight reconciles finish, nothing new starts.
    public let queue: WorkQueue<ObjectKey>
    private let scopes: [String: Scope]
    private let events: KubernetesEventRecorder
    private let undecodable: UndecodableReporter
    private let synced = Mutex(false)

    public init(client: KubernetesClient, configuration: Configuration, logger: Logger = Logger(label: "sked"), now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        let queue = WorkQueue<ObjectKey>()
        self.queue = queue
        let events = KubernetesEventRecorder(client: client, logger: logger, now: now)
        self.events = events
        self.undecodable = UndecodableReporter(client: client, events: events, logger: logger, now: now)
        var scopes: [String: Scope] = [:]
        let policy = configuration.serviceAccounts
        // Half the workers at most wait on JobManagers: the other half serve Job ScheduledJobs
        // however slow a JobManager is.
        let jobManagerSlots = JobManagerSlots(total: configuration.workers / 2, perJobManager: configuration.flink.maxReconcilesPerJobManager)
        let downloads = AsyncSemaphore(limit: FlinkTarget.Settings.maxConcurrentDownloads)
        for ns in configuration.namespaces.isEmpty ? [""] : configuration.namespaces {
            let namespace: String? = ns.isEmpty ? nil : ns
            var sjWatch = WatcherConfiguration()
            sjWatch.logger = logger
            let sjInformer = Informer(api: client.api(ScheduledJob.self, namespace: namespace), configuration: sjWatch, transform: ScheduledJob.cacheTransform)
            var jobWatch = WatcherConfiguration(labelSelector: JobTarget.Label.scheduledJob)
            jobWatch.logger = logger
            // Jobs come in protobuf pages from etcd, cheap for the API server: a single answer
            // from its watch cache was faster but held every Job at once (20,000 Jobs: a
            // start-up peak of 250 MiB, at the chart's memory limit).
            jobWatch.listFromWatchCache = false
            let jobInformer = Informer(
                api: client.api(Job.self, namespace: namespace).preferringProtobuf(), configuration: jobWatch,
                indexedLabels: [JobTarget.Label.scheduledJob], transform: JobTarget.cacheTransform)
            // Only the annotation is kept; a named namespace is watched by its name alone.
            let namespaces = policy.allowed == nil ? nil : Informer(
                api: client.api(Namespace.self, namespace: nil), configuration: WatcherConfiguration(fieldSelector: namespace.map { "metadata.name=\($0)" }),
                transform: { Namespace(name: $0.metadata.name ?? "", annotations: $0.metadata.annotations?[ServiceAccountPolicy.annotation].map { [ServiceAccountPolicy.annotation: $0] }) })
            let serviceAccounts: @Sendable (String?) -> ServiceAccountPolicy = { ns in
                policy.inNamespace(annotations: ns.flatMap { namespaces?.store.get(ObjectKey(namespace: nil, name: $0)) }?.metadata.annotations)
            }
            let targets = RunTargetRouter(
                job: JobTarget(client: client, jobs: jobInformer),
                flink: FlinkTarget(client: client, transports: configuration.transports, settings: configuration.flink, slots: jobManagerSlots, downloads: downloads, now: now, logger: logger))
            let reconciler = ScheduledJobReconciler(
                target: targets, events: events,
                statusWriter: CachedStatusWriter(client: client, scheduledJobs: sjInformer), now: now,
                defaultTimeZone: configuration.defaultTimeZone, cleanupTimeout: configuration.cleanupTimeout,
                // A drain serves no requeue: a Job created then gets its status entry at once,
                // or the last run before a SIGTERM would be missing from status until the next
                // operator looks.
                deferStatusAfterStart: { await !queue.isShutDown }, serviceAccounts: serviceAccounts, logger: logger)
            scopes[ns] = Scope(scheduledJobs: sjInformer, jobs: jobInformer, reconciler: reconciler, namespaces: namespaces)
        }
        self.scopes = scopes
    }

    public convenience init(client: KubernetesClient, namespace: String?, workers: Int = 4, logger: Logger = Logger(label: "sked"), now: @escaping @Sendable () -> Date = Date.init) {
        self.init(client: client, configuration: Configuration(namespaces: namespace.map { [$0] } ?? [], workers: workers), logger: logger, now: now)
    }

    /// True once every cache has been filled (readiness).
    public var hasSynced: Bool { synced.withLock { $0 } }

    /// Every cached ScheduledJob once the caches are synced (before that, none: a partial
    /// list would make gauges vanish and come back).
    public var cachedScheduledJobs: [ScheduledJob] {
        guard hasSynced else { return [] }
        return scopes.values.flatMap { $0.scheduledJobs.store.list() }
    }

    private func scope(for namespace: String?) -> Scope? { scopes[namespace ?? ""] ?? scopes[""] }

    /// Runs until cancelled or until `queue` is shut down (graceful drain). `onSynced` is
    /// called once all caches are filled.
    public func run(onSynced: @escaping @Sendable () -> Void = {}) async throws {
        let controller = Controller(
            queue: queue, workers: configuration.workers, name: "scheduledjob", logger: logger, spanName: "reconcile ScheduledJob",
            labels: { key in
                KeyLabels(log: ["namespace": key.namespace ?? "", "name": key.name], span: ["k8s.namespace.name": key.namespace ?? "", "sked.scheduledjob": key.name])
            })
        let queue = self.queue
        try await withThrowingTaskGroup(of: Void.self) { group in
            let events = self.events
            let undecodable = self.undecodable
            group.addTask {
                await events.run()
                try Task.checkCancellation()
            }
            for scope in scopes.values {
                if let namespaces = scope.namespaces {
                    group.addTask {
                        try await namespaces.run { note in
                            guard let ns = ReconcileTriggers.namespaceAnnotations(note) else { return }
                            for sj in scope.scheduledJobs.store.list() where sj.metadata.namespace == ns { await queue.add(sj.key) }
                        }
                    }
                }
                group.addTask {
                    try await scope.scheduledJobs.run { note in
                        if case .deleted(let sj) = note { RunMetrics.forget(sj) }
                        if case .undecodable(let object) = note { await undecodable.report(object) }
                        if let key = ReconcileTriggers.ownChange(note) { await queue.add(key) }
                    }
                }
                group.addTask {
                    try await scope.jobs.run { note in
                        if let key = ReconcileTriggers.ownedJob(note) { await queue.add(key) }
                    }
                }
            }
            group.addTask { [self] in
                for scope in scopes.values {
                    try await scope.namespaces?.waitUntilSynced()
                    try await scope.scheduledJobs.waitUntilSynced()
                    try await scope.jobs.waitUntilSynced()
                }
                synced.withLock { $0 = true }
                logger.info("caches synced", metadata: [
                    "scheduledJobs": "\(scopes.values.map(\.scheduledJobs.store.count).reduce(0, +))",
                    "jobs": "\(scopes.values.map(\.jobs.store.count).reduce(0, +))",
                ])
                onSynced()
                await controller.run { [self] key, log in
                    guard let scope = scope(for: key.namespace), let sj = scope.scheduledJobs.store.get(key) else { return .awaitChange }
                    let action = try await scope.reconciler.with(logger: log).reconcile(sj)
                    // Deleted while this reconcile ran: the series it may have just counted go too.
                    if scope.scheduledJobs.store.get(key)?.metadata.uid != sj.metadata.uid { RunMetrics.forget(sj) }
                    return action
                }
            }
            // The controller task ends on a drain (queue shut down); informers never end by
            // themselves. Whichever ends first ends the rest.
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Writes status through the subresource and tells the informer, so the next reconcile
/// (often woken by a Job event before the watch delivers our write) starts from what we
/// just wrote.
struct CachedStatusWriter: StatusWriter {
    let client: KubernetesClient
    let scheduledJobs: Informer<ScheduledJob>

    func writeStatus(_ sj: ScheduledJob) async throws -> ScheduledJob {
        try await scheduledJobs.recordingOwnUpdate(of: sj.key) {
            try await client.api(ScheduledJob.self, namespace: sj.metadata.namespace).updateStatus(sj)
        }
    }

    /// A merge patch of `metadata.finalizers` guarded by the resourceVersion, so a finalizer
    /// list is never computed from a stale object.
    func writeFinalizers(_ sj: ScheduledJob, _ finalizers: [String]) async throws -> ScheduledJob {
        guard let name = sj.metadata.name else { return sj }
        var meta: [String: JSONValue] = ["finalizers": .array(finalizers.map { .string($0) })]
        if let rv = sj.metadata.resourceVersion { meta["resourceVersion"] = .string(rv) }
        do {
            let written = try await scheduledJobs.recordingOwnUpdate(of: sj.key) {
                try await client.api(ScheduledJob.self, namespace: sj.metadata.namespace).patch(name, .merge(["metadata": .object(meta)]))
            }
            if written.metadata.deletionTimestamp != nil && (written.metadata.finalizers ?? []).isEmpty {
                scheduledJobs.recordOwnWrite(.deleted(written.key))
            }
            return written
        } catch let e as KubernetesError where e.isNotFound {
            return sj
        }
    }
}
