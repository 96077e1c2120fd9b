import K8sClient

/// Which ServiceAccounts the pods of a ScheduledJob's Jobs may run as.
///
/// Whoever may create a CronJob (or a ScheduledJob) in a namespace may run its pods as any
/// ServiceAccount there, with that account's rights: Kubernetes' RBAC good practices warn
/// that creating workloads grants the use of every ServiceAccount in the namespace. CronJob
/// has no way to narrow this. sked behaves like CronJob by default (`any`); with the
/// operator's `--allowed-service-accounts` only the names listed there, plus those a
/// namespace's `sked.dev/allowed-service-accounts` annotation lists (set by whoever may
/// edit the Namespace, usually not its tenants), are run. Any other is a spec problem
/// (`Ready=False`, reason `ServiceAccountNotAllowed`): the Job is never created.
public struct ServiceAccountPolicy: Sendable, Hashable {
    public static let annotation = "sked.dev/allowed-service-accounts"
    public static let reason = "ServiceAccountNotAllowed"

    /// nil: any ServiceAccount.
    public var allowed: Set<String>?

    public init(allowed: Set<String>?) { self.allowed = allowed }

    public static let any = ServiceAccountPolicy(allowed: nil)

    /// Comma-separated names (spaces around them ignored).
    public static func names(_ text: String) -> Set<String> {
        Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// This policy in a namespace: the operator's names and those of the namespace's annotation.
    public func inNamespace(annotations: [String: String]?) -> ServiceAccountPolicy {
        guard let allowed else { return self }
        return ServiceAccountPolicy(allowed: allowed.union(annotations?[Self.annotation].map(Self.names) ?? []))
    }

    /// The problem with a Job template's pod ServiceAccount in `namespace`, if any. Both the
    /// field and its deprecated alias are checked; neither set means "default".
    func problem(jobSpec: RawJSON?, namespace: String?) -> SpecProblem? {
        // Decoding the template costs: only with a policy.
        guard let allowed else { return nil }
        let pod = jobSpec?["template"]?["spec"]
        let fields = ["serviceAccountName", "serviceAccount"].compactMap { field in pod?[field]?.stringValue.flatMap { $0.isEmpty ? nil : (field, $0) } }
        for (field, name) in fields.isEmpty ? [("serviceAccountName", "default")] : fields where !allowed.contains(name) {
            let list = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
            return SpecProblem(reason: Self.reason, message:
                "spec.jobTemplate.spec.template.spec.\(field): ServiceAccount \"\(name)\" may not run ScheduledJobs in namespace \(namespace ?? "") (allowed: \(list); from the operator's --allowed-service-accounts and the namespace's \(Self.annotation) annotation)")
        }
        return nil
    }
}
