import Foundation
import K8sClient

extension EgressPolicy {
    /// The operator's policy for JobManager and JAR URLs: the flags' ranges on top of the
    /// defaults, and the API server's addresses at its port, both as configured (kubeconfig or
    /// in-cluster) and as the `kubernetes` Service's address that pods see.
    static func forOperator(_ settings: OperatorSettings, apiServer: String, environment: [String: String], resolve: HostResolver = SystemResolver.resolve) async -> EgressPolicy {
        var servers: [(host: String, port: Int)] = []
        if let url = URL(string: apiServer), let host = url.host {
            servers.append((host, url.port ?? (url.scheme == "http" ? 80 : 443)))
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"].flatMap(Int.init) {
            servers.append((host, port))
        }
        var endpoints: [Endpoint] = []
        for (host, port) in servers {
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            var addresses = IPAddress(bare).map { [$0] } ?? []
            if addresses.isEmpty { addresses = (try? await resolve(bare)) ?? [] }
            endpoints += addresses.map { Endpoint(address: $0, port: port) }
        }
        return EgressPolicy(allowed: settings.allowedURLCIDRs, denied: settings.deniedURLCIDRs, deniedEndpoints: Array(Set(endpoints)).sorted { $0.description < $1.description })
    }
}
