import Logging
import Metrics

/// What a reconcile wants to happen next (kube-rs' `Action`, controller-runtime's `Result`).
public enum ReconcileAction: Sendable, Hashable {
    /// Look again after this long (for example at the next cron tick), even if nothing changes.
    case requeue(after: Duration)
    /// Nothing is due; only a change to the object or its children wakes it.
    case awaitChange
}

/// Runs `workers` concurrent reconcile loops over a `WorkQueue`, with one error policy:
/// an error requeues with the key's exponential backoff; success forgets the backoff and
/// schedules the requested requeue. The queue guarantees one key is never reconciled twice at once.
public struct Controller<Key: Hashable & Sendable>: Sendable {
    public let queue: WorkQueue<Key>
    public let workers: Int
    public let logger: Logger
    /// Names this controller's metrics (`sked_workqueue_depth{name=…}` and friends).
    public let name: String

    public init(queue: WorkQueue<Key>, workers: Int, name: String = "controller", logger: Logger = Logger(label: "sked.controller")) {
        self.queue = queue
        self.workers = max(1, workers)
        self.name = name
        self.logger = logger
    }

    /// Runs until the queue is shut down or the task is cancelled.
    public func run(_ reconcile: @escaping @Sendable (Key) async throws -> ReconcileAction) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while let key = await queue.next() {
                        await process(key, reconcile)
                    }
                }
            }
            await withTaskCancellationHandler {
                await group.waitForAll()
            } onCancel: {
                Task { await queue.shutDown() }
            }
        }
    }

    func process(_ key: Key, _ reconcile: @Sendable (Key) async throws -> ReconcileAction) async {
        let dimensions = [("controller", name)]
        Gauge(label: "sked_workqueue_depth", dimensions: dimensions).record(await queue.depth)
        let start = ContinuousClock.now
        do {
            let action = try await reconcile(key)
            await queue.forget(key)
            if case .requeue(let after) = action { await queue.addAfter(key, after) }
        } catch {
            let retries = await queue.numRequeues(key)
            if Self.isStaleRead(error) {
                // A write lost an optimistic-concurrency race: the object changed after the
                // cache handed it out. The retry reads the newer version; nothing is wrong, so
                // this neither warns nor counts as an error (which the error alert watches).
                logger.debug("reconcile read a stale version, retrying", metadata: ["key": "\(key)", "error": "\(error)", "retries": "\(retries)"])
                Counter(label: "sked_reconcile_conflicts_total", dimensions: dimensions).increment()
            } else {
                logger.warning("reconcile failed, retrying with backoff", metadata: ["key": "\(key)", "error": "\(error)", "retries": "\(retries)"])
                Counter(label: "sked_reconcile_errors_total", dimensions: dimensions).increment()
            }
            Counter(label: "sked_workqueue_retries_total", dimensions: dimensions).increment()
            await queue.addRateLimited(key)
        }
        Timer(label: "sked_reconcile_duration_seconds", dimensions: dimensions).record(duration: start.duration(to: .now))
        await queue.done(key)
    }

    /// A 409 Conflict: the write carried a resourceVersion that is no longer the latest.
    static func isStaleRead(_ error: any Error) -> Bool {
        (error as? KubernetesError)?.isConflict == true
    }
}
