import K8sClient
import Foundation
import Logging
import Metrics
import Tracing

/// What a reconcile wants to happen next (kube-rs' `Action`, controller-runtime's `Result`).
public enum ReconcileAction: Sendable, Hashable {
    /// Look again after this long (for example at the next cron tick), even if nothing changes.
    case requeue(after: Duration)
    /// Look again once the keys already due have been served: the key joins the queue's
    /// change lane, which `WorkQueue` serves after due keys (every `changesEvery`-th turn at
    /// the latest). For work that may wait behind other keys' due work, such as the status
    /// write after a burst of creates.
    case requeueBehindDueKeys
    /// Nothing is due; only a change to the object or its children wakes it.
    case awaitChange
}

/// How a key names its object: in every log line of its reconcile and on its span.
public struct KeyLabels: Sendable {
    public var log: [String: String]
    public var span: [String: String]
    public init(log: [String: String], span: [String: String]) {
        self.log = log
        self.span = span
    }
}

/// Runs `workers` concurrent reconcile loops over a `WorkQueue`, with one error policy:
/// an error requeues with the key's exponential backoff; success forgets the backoff and
/// schedules the requested requeue. The queue guarantees one key is never reconciled twice at once.
/// Each reconcile gets a `reconcileID`, a logger carrying it and the key's labels, a span and
/// its duration metric here, so every reconciler has them alike (controller-runtime's
/// `reconcileID`).
public struct Controller<Key: Hashable & Sendable>: Sendable {
    public let queue: WorkQueue<Key>
    public let workers: Int
    public let logger: Logger
    /// Names this controller's metrics (`sked_workqueue_depth{name=…}` and friends).
    public let name: String
    /// The name of each reconcile's span.
    public let spanName: String
    let labels: @Sendable (Key) -> KeyLabels

    public init(
        queue: WorkQueue<Key>, workers: Int, name: String = "controller", logger: Logger = Logger(label: "sked.controller"),
        spanName: String? = nil, labels: @escaping @Sendable (Key) -> KeyLabels = { KeyLabels(log: ["key": "\($0)"], span: ["sked.key": "\($0)"]) }
    ) {
        self.queue = queue
        self.workers = max(1, workers)
        self.name = name
        self.logger = logger
        self.spanName = spanName ?? "reconcile \(name)"
        self.labels = labels
    }

    /// Runs until the queue is shut down or the task is cancelled. `reconcile` gets the key
    /// and the reconcile's logger.
    public func run(_ reconcile: @escaping @Sendable (Key, Logger) async throws -> ReconcileAction) async {
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

    func process(_ key: Key, _ reconcile: @Sendable (Key, Logger) async throws -> ReconcileAction) async {
        let dimensions = [("controller", name)]
        Gauge(label: "sked_workqueue_depth", dimensions: dimensions).record(await queue.depth)
        let start = ContinuousClock.now
        let reconcileID = UUID().uuidString.prefix(8).lowercased()
        let labels = labels(key)
        var logger = logger
        for (k, v) in labels.log { logger[metadataKey: k] = "\(v)" }
        logger[metadataKey: "reconcileID"] = "\(reconcileID)"
        do {
            let action = try await withSpan(spanName) { span in
                for (k, v) in labels.span { span.attributes[k] = v }
                span.attributes["sked.reconcile_id"] = reconcileID
                return try await reconcile(key, logger)
            }
            await queue.forget(key)
            switch action {
            case .requeue(let after): await queue.addAfter(key, after)
            case .requeueBehindDueKeys: await queue.add(key)
            case .awaitChange: break
            }
        } catch {
            let retries = await queue.numRequeues(key)
            if Self.isStaleRead(error) {
                // A write lost an optimistic-concurrency race: the object changed after the
                // cache handed it out. The retry reads the newer version; nothing is wrong, so
                // this neither warns nor counts as an error (which the error alert watches).
                logger.debug("reconcile read a stale version, retrying", metadata: ["error": "\(error)", "retries": "\(retries)"])
                Counter(label: "sked_reconcile_conflicts_total", dimensions: dimensions).increment()
            } else {
                logger.warning("reconcile failed, retrying with backoff", metadata: ["error": "\(error)", "retries": "\(retries)"])
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
