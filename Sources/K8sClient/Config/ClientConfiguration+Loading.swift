import Foundation

extension ClientConfiguration {
    /// Where configuration may come from, injectable so tests need no real files or env.
    public struct Environment: Sendable {
        public var variables: [String: String]
        public var homeDirectory: String
        public var serviceAccountDirectory: String
        public var readFile: @Sendable (String) throws -> Data

        public init(
            variables: [String: String] = ProcessInfo.processInfo.environment,
            homeDirectory: String = NSHomeDirectory(),
            serviceAccountDirectory: String = "/var/run/secrets/kubernetes.io/serviceaccount",
            readFile: @escaping @Sendable (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        ) {
            self.variables = variables
            self.homeDirectory = homeDirectory
            self.serviceAccountDirectory = serviceAccountDirectory
            self.readFile = readFile
        }

        func fileExists(_ path: String) -> Bool { (try? readFile(path)) != nil }
    }

    /// client-go's order: an explicit kubeconfig, then `$KUBECONFIG`, then in-cluster
    /// configuration, then `~/.kube/config`. When nothing works, the error lists why each failed.
    public static func load(kubeconfig: String? = nil, context: String? = nil, environment: Environment = Environment()) throws -> ClientConfiguration {
        if let kubeconfig, !kubeconfig.isEmpty {
            return try fromKubeConfigFiles([kubeconfig], context: context, environment: environment)
        }
        if let list = environment.variables["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            return try fromKubeConfigFiles(paths, context: context, environment: environment)
        }
        var causes: [String] = []
        if environment.variables["KUBERNETES_SERVICE_HOST"] != nil {
            do { return try inCluster(environment: environment) } catch { causes.append("in-cluster: \(error)") }
        } else {
            causes.append("in-cluster: KUBERNETES_SERVICE_HOST is not set")
        }
        let home = (environment.homeDirectory as NSString).appendingPathComponent(".kube/config")
        if environment.fileExists(home) {
            do { return try fromKubeConfigFiles([home], context: context, environment: environment) } catch { causes.append("\(error)") }
        } else {
            causes.append("\(home): no such file")
        }
        throw ConfigError("no Kubernetes configuration found (pass --kubeconfig or set KUBECONFIG): " + causes.joined(separator: "; "))
    }

    /// Loads and merges kubeconfig files (missing files in a list are skipped, as kubectl
    /// does, but at least one must exist) and resolves the chosen context.
    public static func fromKubeConfigFiles(_ paths: [String], context: String? = nil, environment: Environment = Environment()) throws -> ClientConfiguration {
        var configs: [KubeConfig] = []
        var missing: [String] = []
        for path in paths {
            guard let data = try? environment.readFile(path) else {
                missing.append(path)
                continue
            }
            let dir = (path as NSString).deletingLastPathComponent
            configs.append(try KubeConfig.parse(String(decoding: data, as: UTF8.self), directory: dir, source: path))
        }
        if configs.isEmpty { throw ConfigError("kubeconfig \(missing.joined(separator: ", ")): cannot read file") }
        return try fromKubeConfig(KubeConfig.merge(configs), context: context, environment: environment)
    }

    /// Resolves a parsed kubeconfig into a configuration, reading referenced files.
    public static func fromKubeConfig(_ config: KubeConfig, context explicitContext: String? = nil, environment: Environment = Environment()) throws -> ClientConfiguration {
        guard let contextName = explicitContext ?? config.currentContext, !contextName.isEmpty else {
            throw ConfigError("kubeconfig has no current-context; pass a context explicitly")
        }
        guard let context = config.contexts?.first(where: { $0.name == contextName })?.context else {
            throw ConfigError("kubeconfig: context \"\(contextName)\" not found")
        }
        guard let cluster = config.clusters?.first(where: { $0.name == context.cluster })?.cluster else {
            throw ConfigError("kubeconfig: cluster \"\(context.cluster)\" (context \"\(contextName)\") not found")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw ConfigError("kubeconfig: cluster \"\(context.cluster)\" has no server")
        }
        let user: KubeConfig.User?
        if let userName = context.user, !userName.isEmpty {
            guard let u = config.users?.first(where: { $0.name == userName })?.user else {
                throw ConfigError("kubeconfig: user \"\(userName)\" (context \"\(contextName)\") not found")
            }
            user = u
        } else {
            user = nil
        }

        var result = ClientConfiguration(
            server: server, insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            tlsServerName: cluster.tlsServerName, namespace: context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default")
        result.certificateAuthorityPEM = try pem(
            data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
            field: "cluster \"\(context.cluster)\" certificate-authority", environment: environment)

        if let user {
            let who = "user \"\(context.user ?? "")\""
            if user.authProvider != nil { throw ConfigError("kubeconfig: \(who) uses an auth-provider, which sked does not support; use a token, token file or client certificate") }
            result.clientCertificatePEM = try pem(data: user.clientCertificateData, file: user.clientCertificate, field: "\(who) client-certificate", environment: environment)
            result.clientKeyPEM = try pem(data: user.clientKeyData, file: user.clientKey, field: "\(who) client-key", environment: environment)
            if (result.clientCertificatePEM == nil) != (result.clientKeyPEM == nil) {
                throw ConfigError("kubeconfig: \(who) sets only one of client-certificate and client-key")
            }
            if let token = user.token, !token.isEmpty {
                result.authentication = .bearerToken(token)
            } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
                guard environment.fileExists(tokenFile) else { throw ConfigError("kubeconfig: \(who) tokenFile \(tokenFile): cannot read file") }
                result.authentication = .bearerTokenFile(tokenFile)
            } else if let username = user.username, let password = user.password {
                result.authentication = .basic(username: username, password: password)
            } else if let exec = user.exec {
                guard !exec.command.isEmpty else { throw ConfigError("kubeconfig: \(who) exec: command is empty") }
                guard let version = exec.apiVersion, ExecConfig.supportedVersions.contains(version) else {
                    throw ConfigError("kubeconfig: \(who) exec: apiVersion \"\(exec.apiVersion ?? "")\" is not one of \(ExecConfig.supportedVersions.joined(separator: ", "))")
                }
                if exec.interactiveMode == "Always" {
                    throw ConfigError("kubeconfig: \(who) exec: interactiveMode Always needs a terminal, which sked never gives a plugin")
                }
                result.authentication = .exec(exec)
            }
        }
        return result
    }

    /// Configuration of a pod: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT`, the
    /// mounted service-account token (re-read as it rotates), CA and namespace.
    public static func inCluster(environment: Environment = Environment()) throws -> ClientConfiguration {
        guard let host = environment.variables["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment.variables["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw ConfigError("in-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT")
        }
        let dir = environment.serviceAccountDirectory
        let tokenPath = (dir as NSString).appendingPathComponent("token")
        guard environment.fileExists(tokenPath) else { throw ConfigError("in-cluster configuration: \(tokenPath): cannot read file") }
        let caPath = (dir as NSString).appendingPathComponent("ca.crt")
        guard let ca = try? environment.readFile(caPath) else { throw ConfigError("in-cluster configuration: \(caPath): cannot read file") }
        var namespace = "default"
        if let ns = try? environment.readFile((dir as NSString).appendingPathComponent("namespace")) {
            let s = String(decoding: ns, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !s.isEmpty { namespace = s }
        }
        // IPv6 service hosts need brackets in a URL.
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return ClientConfiguration(
            server: "https://\(hostPart):\(port)", certificateAuthorityPEM: Array(ca),
            authentication: .bearerTokenFile(tokenPath), namespace: namespace)
    }

    private static func pem(data: String?, file: String?, field: String, environment: Environment) throws -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw ConfigError("kubeconfig: \(field)-data is not valid base64")
            }
            return Array(decoded)
        }
        if let file, !file.isEmpty {
            do { return Array(try environment.readFile(file)) } catch {
                throw ConfigError("kubeconfig: \(field) \(file): cannot read file")
            }
        }
        return nil
    }
}
