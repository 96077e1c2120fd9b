import Foundation
import K8sClient

/// The validating webhook's decision, as a pure function of the `AdmissionReview` the API
/// server sends (admission.k8s.io/v1): exactly the reconciler's validation, answered with the
/// message the `Ready` condition would carry, so `kubectl apply` refuses what would become
/// `Invalid`.
public enum AdmissionReview {
    public static func answer(_ body: Data, defaultTimeZone: String) -> Data {
        let review = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        let request = review["request"] as? [String: Any] ?? [:]
        let uid = request["uid"] as? String ?? ""
        var response: [String: Any] = ["uid": uid, "allowed": true]
        if let refusal = refusal(request, defaultTimeZone: defaultTimeZone) {
            response["allowed"] = false
            response["status"] = ["code": 422, "reason": "Invalid", "message": refusal] as [String: Any]
        }
        let answer: [String: Any] = ["apiVersion": review["apiVersion"] as? String ?? "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response]
        return (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])) ?? Data()
    }

    /// Why the object must not be stored, or nil. Deletes and objects being deleted pass: a
    /// ScheduledJob stored before the webhook existed must stay removable (and its finalizer too).
    public static func refusal(_ request: [String: Any], defaultTimeZone: String) -> String? {
        guard let operation = request["operation"] as? String, operation == "CREATE" || operation == "UPDATE" else { return nil }
        guard let object = request["object"] as? [String: Any] else { return "the request holds no object" }
        if (object["metadata"] as? [String: Any])?["deletionTimestamp"] != nil { return nil }
        let sj: ScheduledJob
        do {
            sj = try KubernetesJSON.decode(ScheduledJob.self, from: JSONSerialization.data(withJSONObject: object))
        } catch {
            return "the operator cannot read this ScheduledJob (\(String("\(error)".prefix(300))))"
        }
        if case .failure(let problem) = sj.spec.validated(defaultTimeZone: defaultTimeZone, hashKey: sj.hashKey) {
            return "\(problem.reason): \(problem.message)"
        }
        return nil
    }
}
