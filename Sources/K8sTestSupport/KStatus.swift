import Foundation

/// The status kstatus (sigs.k8s.io/cli-utils `pkg/kstatus/status`, what Flux, kpt and
/// `kubectl wait`-style tools read) computes for a custom resource, written from its documented
/// generic rules, in their order: a deletion timestamp is Terminating; an `observedGeneration`
/// other than `metadata.generation` is InProgress; then the first condition that is
/// `Reconciling=True` (InProgress) or `Stalled=True` (Failed); otherwise Current.
public enum KStatus: String, Sendable {
    case current = "Current", inProgress = "InProgress", failed = "Failed", terminating = "Terminating"

    public static func of(_ object: [String: Any]) -> (status: KStatus, message: String) {
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        if metadata["deletionTimestamp"] != nil { return (.terminating, "Resource scheduled for deletion") }
        let status = object["status"] as? [String: Any] ?? [:]
        if let observed = (status["observedGeneration"] as? NSNumber)?.int64Value,
           let generation = (metadata["generation"] as? NSNumber)?.int64Value, observed != generation {
            return (.inProgress, "generation is \(generation), but latest observed generation is \(observed)")
        }
        for case let condition as [String: Any] in status["conditions"] as? [Any] ?? [] where condition["status"] as? String == "True" {
            let message = condition["message"] as? String ?? ""
            switch condition["type"] as? String {
            case "Reconciling": return (.inProgress, message)
            case "Stalled": return (.failed, message)
            default: continue
            }
        }
        return (.current, "Resource is current")
    }
}
