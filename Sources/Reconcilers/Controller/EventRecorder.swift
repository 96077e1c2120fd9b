import Foundation
import K8sClient
import Logging
import Metrics

/// Records Kubernetes Events about a ScheduledJob.
public protocol EventRecorder: Sendable {
    func record(_ note: EventNote, on sj: ScheduledJob) async
}

/// Writes core/v1 Events (what `kubectl describe` shows), aggregated and rate-limited by an
/// `EventCorrelator`. Failures are logged, never fatal: an Event is information, not state.
///
/// `record` only decides (aggregate, drop) and queues; `run()` writes the queued Events in
/// order, off the reconcile path, so a reconcile never waits for an Event. The queue is
/// bounded: beyond `capacity` waiting writes, new ones are dropped and counted.
public struct KubernetesEventRecorder: EventRecorder {
    let client: KubernetesClient
    let component: String
    let instance: String
    let logger: Logger
    let now: @Sendable () -> Date
    let correlator: EventCorrelator
    private let writes: AsyncStream<Write>
    private let queue: AsyncStream<Write>.Continuation

    struct Write: Sendable {
        let decision: EventCorrelator.Decision
        let note: EventNote
        let sj: ScheduledJob
        let at: Date
    }

    public init(client: KubernetesClient, component: String = "sked", instance: String = ProcessInfo.processInfo.hostName, logger: Logger, now: @escaping @Sendable () -> Date = Date.init, capacity: Int = 4096) {
        self.client = client
        self.component = component
        self.instance = instance
        self.logger = logger
        self.now = now
        self.correlator = EventCorrelator()
        (writes, queue) = AsyncStream.makeStream(of: Write.self, bufferingPolicy: .bufferingOldest(capacity))
    }

    public func record(_ note: EventNote, on sj: ScheduledJob) async {
        let t = now()
        let decision = correlator.decide(note, objectUID: sj.metadata.uid ?? "", objectName: sj.metadata.name ?? "sj", now: t)
        if case .drop = decision {
            Counter(label: "sked_events_dropped_total").increment()
            logger.debug("event dropped by the rate limit", metadata: ["reason": "\(note.reason)"])
            return
        }
        if case .dropped = queue.yield(Write(decision: decision, note: note, sj: sj, at: t)) {
            Counter(label: "sked_events_dropped_total").increment()
        }
    }

    /// Writes queued Events until cancelled, `writers` at a time (one at a time took 30 s
    /// for the Events of 1,000 ScheduledJobs failing at once on a busy API server). Run it
    /// once, next to the controller.
    public func run(writers: Int = 4) async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for await write in writes {
                if Task.isCancelled { break }
                if inFlight >= writers {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.send(write.decision, write.note, on: write.sj, at: write.at) }
                inFlight += 1
            }
        }
    }

    func send(_ decision: EventCorrelator.Decision, _ note: EventNote, on sj: ScheduledJob, at t: Date) async {
        let api = client.api(Event.self, namespace: sj.metadata.namespace)
        do {
            switch decision {
            case .drop:
                Counter(label: "sked_events_dropped_total").increment()
                logger.debug("event dropped by the rate limit", metadata: ["reason": "\(note.reason)"])
            case .create(let name, let message):
                try await create(name, count: 1, first: t, message: message, note, on: sj, at: t)
            case .update(let name, let count, let first, let message):
                do {
                    _ = try await api.patch(name, .merge([
                        "count": .number(Double(count)), "lastTimestamp": .string(RFC3339.format(t)), "message": .string(String(message.prefix(1024))),
                    ]))
                } catch let e as KubernetesError where e.isNotFound {
                    // Expired (the API server's event TTL) or never written (the queue was full).
                    try await create(name, count: count, first: first, message: message, note, on: sj, at: t)
                }
            }
        } catch {
            logger.warning("could not record event", metadata: ["reason": "\(note.reason)", "error": "\(error)"])
        }
    }

    private func create(_ name: String, count: Int, first: Date, message: String, _ note: EventNote, on sj: ScheduledJob, at t: Date) async throws {
        let api = client.api(Event.self, namespace: sj.metadata.namespace)
        var event = Event(
            metadata: ObjectMeta(name: name, namespace: sj.metadata.namespace),
            involvedObject: ObjectReference(
                apiVersion: ScheduledJob.resource.apiVersion, kind: ScheduledJob.resource.kind, namespace: sj.metadata.namespace,
                name: sj.metadata.name, uid: sj.metadata.uid, resourceVersion: sj.metadata.resourceVersion),
            reason: note.reason, message: String(message.prefix(1024)), type: note.kind.rawValue)
        event.count = count
        event.firstTimestamp = first
        event.lastTimestamp = t
        event.source = EventSource(component: component)
        event.reportingComponent = component
        event.reportingInstance = instance
        _ = try await api.create(event)
    }
}
