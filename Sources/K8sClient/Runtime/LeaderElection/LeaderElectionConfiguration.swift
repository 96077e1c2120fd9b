import K8sClient
import Foundation

/// Settings of a Lease-based leader election, with client-go's defaults (15 s / 10 s / 2 s).
public struct LeaderElectionConfiguration: Sendable, Hashable {
    public var leaseName: String
    public var namespace: String
    /// Unique per process: hostname plus a random suffix.
    public var identity: String
    /// How long a lease is valid after its last renewal; standbys wait this long before taking over.
    public var leaseDuration: Duration
    /// A leader that could not renew for this long stops leading, before its lease can run out.
    public var renewDeadline: Duration
    /// How often to try to acquire or renew.
    public var retryPeriod: Duration
    /// The Deployment (in the Lease's namespace) that the Lease belongs to: a Lease this
    /// process creates names it as owner, so deleting the Deployment (`helm uninstall`,
    /// `kubectl delete`) garbage-collects the Lease too, and none is created while that
    /// Deployment is gone or being deleted. nil: the Lease has no owner and outlives the install.
    public var ownerDeployment: String?

    public init(
        leaseName: String = "sked-operator", namespace: String, identity: String = LeaderElectionConfiguration.defaultIdentity(),
        leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2),
        ownerDeployment: String? = nil
    ) {
        self.ownerDeployment = ownerDeployment
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// client-go's rules: lease > renew deadline > 1.2 × retry period (jitter headroom).
    public func validate() throws {
        guard leaseDuration > renewDeadline else {
            throw ConfigError("leader election: lease duration (\(leaseDuration)) must be greater than the renew deadline (\(renewDeadline))")
        }
        guard renewDeadline > retryPeriod * 1.2 else {
            throw ConfigError("leader election: renew deadline (\(renewDeadline)) must be greater than 1.2 × retry period (\(retryPeriod))")
        }
        guard retryPeriod > .zero else { throw ConfigError("leader election: retry period must be positive") }
        guard !leaseName.isEmpty, !namespace.isEmpty, !identity.isEmpty else {
            throw ConfigError("leader election: lease name, namespace and identity must not be empty")
        }
    }
}
