import Foundation
import Yams

/// The parts of a kubeconfig file (`clientcmdapi.Config`) sked understands.
/// A field it cannot use (`auth-provider`, removed from kubectl in 1.26) is decoded only to be rejected clearly.
public struct KubeConfig: Codable, Sendable, Hashable {
    public var currentContext: String?
    public var clusters: [NamedCluster]?
    public var users: [NamedUser]?
    public var contexts: [NamedContext]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }

    public struct NamedCluster: Codable, Sendable, Hashable {
        public var name: String
        public var cluster: Cluster
    }
    public struct Cluster: Codable, Sendable, Hashable {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }
    public struct NamedUser: Codable, Sendable, Hashable {
        public var name: String
        public var user: User
    }
    public struct User: Codable, Sendable, Hashable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var username: String?
        public var password: String?
        public var exec: ExecConfig?
        public var authProvider: JSONValue?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }
    public struct NamedContext: Codable, Sendable, Hashable {
        public var name: String
        public var context: Context
    }
    public struct Context: Codable, Sendable, Hashable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    public init(currentContext: String? = nil, clusters: [NamedCluster]? = nil, users: [NamedUser]? = nil, contexts: [NamedContext]? = nil) {
        self.currentContext = currentContext
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
    }

    /// Parses one kubeconfig file's text. Relative file paths inside it are made absolute
    /// against `directory`, as kubectl does, so that merged files keep pointing at the right place.
    public static func parse(_ text: String, directory: String?, source: String = "kubeconfig") throws -> KubeConfig {
        var config: KubeConfig
        do {
            config = try YAMLDecoder().decode(KubeConfig.self, from: text)
        } catch {
            throw ConfigError("\(source): not a valid kubeconfig: \(error)")
        }
        guard let directory else { return config }
        func resolve(_ path: String?) -> String? {
            guard let path, !path.isEmpty, !path.hasPrefix("/") else { return path }
            return (directory as NSString).appendingPathComponent(path)
        }
        for i in config.clusters?.indices ?? [].indices {
            config.clusters![i].cluster.certificateAuthority = resolve(config.clusters![i].cluster.certificateAuthority)
        }
        for i in config.users?.indices ?? [].indices {
            config.users![i].user.tokenFile = resolve(config.users![i].user.tokenFile)
            config.users![i].user.clientCertificate = resolve(config.users![i].user.clientCertificate)
            config.users![i].user.clientKey = resolve(config.users![i].user.clientKey)
            // client-go: a command with a path separator is relative to the kubeconfig's directory;
            // a bare name is looked up in PATH.
            if let command = config.users![i].user.exec?.command, command.contains("/") {
                config.users![i].user.exec?.command = resolve(command) ?? command
            }
        }
        return config
    }

    /// Merges files in `$KUBECONFIG` order: the first file to define a name or
    /// `current-context` wins, as in client-go's loading rules.
    public static func merge(_ configs: [KubeConfig]) -> KubeConfig {
        var result = KubeConfig()
        func mergeNamed<T>(_ a: [T]?, _ b: [T]?, name: (T) -> String) -> [T]? {
            guard let b else { return a }
            var out = a ?? []
            let seen = Set(out.map(name))
            out += b.filter { !seen.contains(name($0)) }
            return out
        }
        for c in configs {
            if result.currentContext?.isEmpty ?? true { result.currentContext = c.currentContext }
            result.clusters = mergeNamed(result.clusters, c.clusters, name: \.name)
            result.users = mergeNamed(result.users, c.users, name: \.name)
            result.contexts = mergeNamed(result.contexts, c.contexts, name: \.name)
        }
        return result
    }
}

/// A configuration problem, described so the user knows which file and field to fix.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
