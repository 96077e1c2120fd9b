import Foundation
import K8sClient
import Logging

/// Records Kubernetes Events about a ScheduledJob.
public protocol EventRecorder: Sendable {
    func record(_ note: EventNote, on sj: ScheduledJob) async
}

/// Writes core/v1 Events (what `kubectl describe` shows). Failures are logged, never
/// fatal: an Event is information, not state.
public struct KubernetesEventRecorder: EventRecorder {
    let client: KubernetesClient
    let component: String
    let instance: String
    let logger: Logger
    let now: @Sendable () -> Date

    public init(client: KubernetesClient, component: String = "sked", instance: String = ProcessInfo.processInfo.hostName, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.component = component
        self.instance = instance
        self.logger = logger
        self.now = now
    }

    public func record(_ note: EventNote, on sj: ScheduledJob) async {
        let t = now()
        let name = "\(sj.metadata.name ?? "sj").\(String(UInt64(t.timeIntervalSince1970 * 1e9), radix: 16))\(RunNaming.hash(note.reason + note.message, length: 4))"
        var event = Event(
            metadata: ObjectMeta(name: String(name.suffix(253)), namespace: sj.metadata.namespace),
            involvedObject: ObjectReference(
                apiVersion: ScheduledJob.resource.apiVersion, kind: ScheduledJob.resource.kind, namespace: sj.metadata.namespace,
                name: sj.metadata.name, uid: sj.metadata.uid, resourceVersion: sj.metadata.resourceVersion),
            reason: note.reason, message: String(note.message.prefix(1024)), type: note.kind.rawValue)
        event.count = 1
        event.firstTimestamp = t
        event.lastTimestamp = t
        event.source = EventSource(component: component)
        event.reportingComponent = component
        event.reportingInstance = instance
        do {
            _ = try await client.api(Event.self, namespace: sj.metadata.namespace).create(event)
        } catch {
            logger.warning("could not record event", metadata: ["reason": "\(note.reason)", "error": "\(error)"])
        }
    }
}
