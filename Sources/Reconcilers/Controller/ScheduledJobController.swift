import Foundation
import K8sClient
import Logging

/// Wires the pieces for ScheduledJobs: an informer on ScheduledJobs, an informer on their
/// Jobs, a work queue fed by both, and workers that reconcile. Each ScheduledJob is requeued
/// exactly for its next tick; there is no polling loop.
public struct ScheduledJobController: Sendable {
    public let client: KubernetesClient
    /// nil: all namespaces.
    public let namespace: String?
    public let workers: Int
    public let logger: Logger
    public let now: @Sendable () -> Date

    public init(client: KubernetesClient, namespace: String?, workers: Int = 4, logger: Logger = Logger(label: "sked"), now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.namespace = namespace
        self.workers = workers
        self.logger = logger
        self.now = now
    }

    /// Runs until cancelled. `onSynced` is called once both caches are filled.
    public func run(onSynced: @escaping @Sendable () -> Void = {}) async throws {
        var sjWatch = WatcherConfiguration()
        sjWatch.logger = logger
        let scheduledJobs = Informer(api: client.api(ScheduledJob.self, namespace: namespace), configuration: sjWatch)
        var jobWatch = WatcherConfiguration(labelSelector: JobTarget.Label.scheduledJob)
        jobWatch.logger = logger
        let jobs = Informer(
            api: client.api(Job.self, namespace: namespace), configuration: jobWatch,
            indexedLabels: [JobTarget.Label.scheduledJob], transform: JobTarget.cacheTransform)
        let queue = WorkQueue<ObjectKey>()
        let statusWriter = CachedStatusWriter(client: client, store: scheduledJobs.store)
        let reconciler = ScheduledJobReconciler(
            target: JobTarget(client: client, store: jobs.store),
            events: KubernetesEventRecorder(client: client, logger: logger, now: now),
            statusWriter: statusWriter, now: now, logger: logger)
        let controller = Controller(queue: queue, workers: workers, logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await scheduledJobs.run { note in
                    switch note {
                    case .added(let sj), .deleted(let sj): await queue.add(sj.key)
                    case .updated(let old, let new):
                        // Our own status writes come back as updates; only spec or metadata changes need a look.
                        if old.spec != new.spec || old.metadata.annotations != new.metadata.annotations
                            || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp || old.metadata.uid != new.metadata.uid
                            || old.status == nil {
                            await queue.add(new.key)
                        }
                    }
                }
            }
            group.addTask {
                try await jobs.run { note in
                    let job: Job
                    switch note {
                    case .added(let j), .deleted(let j): job = j
                    case .updated(_, let j): job = j
                    }
                    if let owner = job.metadata.controllerReference, owner.kind == ScheduledJob.resource.kind {
                        await queue.add(ObjectKey(namespace: job.metadata.namespace, name: owner.name))
                    }
                }
            }
            group.addTask {
                try await scheduledJobs.waitUntilSynced()
                try await jobs.waitUntilSynced()
                logger.info("caches synced", metadata: ["scheduledJobs": "\(scheduledJobs.store.count)", "jobs": "\(jobs.store.count)"])
                onSynced()
                await controller.run { key in
                    guard let sj = scheduledJobs.store.get(key) else { return .awaitChange }
                    return try await reconciler.reconcile(sj)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Writes status through the subresource and puts the result in the informer cache at once,
/// so the next reconcile (often woken by a Job event before the watch delivers our write)
/// starts from what we just wrote.
struct CachedStatusWriter: StatusWriter {
    let client: KubernetesClient
    let store: Store<ScheduledJob>

    func writeStatus(_ sj: ScheduledJob) async throws -> ScheduledJob {
        let written = try await client.api(ScheduledJob.self, namespace: sj.metadata.namespace).updateStatus(sj)
        if let current = store.get(written.key), let rvOld = current.metadata.resourceVersion.flatMap(Int.init),
           let rvNew = written.metadata.resourceVersion.flatMap(Int.init), rvNew < rvOld {
            return written
        }
        store.upsert(written)
        return written
    }
}
