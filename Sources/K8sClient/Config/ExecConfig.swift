import Foundation

/// A kubeconfig user's `exec` credential plugin (`clientcmdapi.ExecConfig`): the command that
/// prints an `ExecCredential` (client.authentication.k8s.io/v1 or v1beta1), as managed clusters
/// use (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`).
public struct ExecConfig: Codable, Sendable, Hashable {
    public var command: String
    public var args: [String]?
    public var env: [EnvVar]?
    public var apiVersion: String?
    public var installHint: String?
    public var provideClusterInfo: Bool?
    public var interactiveMode: String?

    public struct EnvVar: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(command: String, args: [String]? = nil, env: [EnvVar]? = nil, apiVersion: String? = "client.authentication.k8s.io/v1", installHint: String? = nil) {
        self.command = command
        self.args = args
        self.env = env
        self.apiVersion = apiVersion
        self.installHint = installHint
    }

    public static let supportedVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]
}
