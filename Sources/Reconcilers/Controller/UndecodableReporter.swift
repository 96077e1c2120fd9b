import Foundation
import K8sClient
import Logging
import Synchronization

/// Tells the author of a ScheduledJob the operator cannot decode (nested deeper than the JSON
/// decoder's 512 levels, say) why nothing happens, instead of the object stopping the watch for
/// every other one: `Ready=False` with reason `Undecodable`, phase `Invalid`, a Warning Event.
/// Once per generation: the status write comes back as one more undecodable watch event.
final class UndecodableReporter: Sendable {
    let client: KubernetesClient
    let events: any EventRecorder
    let logger: Logger
    let now: @Sendable () -> Date
    private let reported = Mutex<[String: Int64]>([:])  // uid → generation

    init(client: KubernetesClient, events: any EventRecorder, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.client = client
        self.events = events
        self.logger = logger
        self.now = now
    }

    func report(_ object: UndecodableObject) async {
        guard let name = object.metadata.name else { return }
        let generation = object.metadata.generation ?? 0
        let fresh = reported.withLock { seen in
            if seen[object.metadata.uid ?? name] == generation { return false }
            if seen.count >= 10_000 { seen = [:] }
            seen[object.metadata.uid ?? name] = generation
            return true
        }
        guard fresh else { return }
        let message = "the operator cannot decode this ScheduledJob (\(object.problem)); nothing runs until it is fixed"
        logger.warning("undecodable ScheduledJob", metadata: [
            "namespace": "\(object.metadata.namespace ?? "")", "name": "\(name)", "problem": "\(object.problem)",
        ])
        var conditions: [Condition] = []
        ReadinessConditions.set(
            Condition(type: "Ready", status: "False", reason: "Undecodable", message: message, lastTransitionTime: now(), observedGeneration: generation),
            .stalled, in: &conditions)
        do {
            // The answer is the object itself, which cannot be decoded either.
            try await client.api(ScheduledJob.self, namespace: object.metadata.namespace)
                .patchIgnoringAnswer(name, .merge(["status": .object(["phase": "Invalid", "conditions": .array(conditions.map(\.json))])]), subresource: "status")
        } catch let e as KubernetesError where e.isNotFound {
            return
        } catch {
            logger.warning("could not report an undecodable ScheduledJob", metadata: ["name": "\(name)", "error": "\(error)"])
            reported.withLock { _ = $0.removeValue(forKey: object.metadata.uid ?? name) }
        }
        await events.record(EventNote(.warning, "Undecodable", message), on: ScheduledJob(metadata: object.metadata, spec: ScheduledJobSpec()))
    }
}

private extension Condition {
    var json: JSONValue {
        .object([
            "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
            "lastTransitionTime": .string(RFC3339.format(lastTransitionTime)), "observedGeneration": observedGeneration.map { .number(Double($0)) } ?? .null,
        ])
    }
}
