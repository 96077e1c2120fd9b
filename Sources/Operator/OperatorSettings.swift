import Foundation
import K8sClient
import Logging
import Reconcilers

/// The operator's resolved configuration: flags win over `SKED_…` environment variables,
/// which win over defaults. Resolving is a pure function so it is unit-tested.
struct OperatorSettings: Sendable, Equatable {
    enum LogFormat: String, Sendable { case json, text }

    var kubeconfig: String?
    var context: String?
    /// Empty: all namespaces.
    var namespaces: [String]
    var workers: Int
    var logLevel: Logger.Level
    var logFormat: LogFormat
    var leaderElect: Bool
    var leaderElectionNamespace: String?
    var leaderElectionID: String
    var leaderElectionOwnerDeployment: String?
    var leaseDuration: Duration
    var renewDeadline: Duration
    var retryPeriod: Duration
    /// nil: disabled ("0").
    var metricsAddress: BindAddress?
    var healthAddress: BindAddress?
    var gracefulShutdownTimeout: Duration
    var kubeAPIQPS: Double
    var kubeAPIBurst: Int
    var defaultTimeZone: String
    var flinkPollInterval: Duration = .seconds(10)
    var flinkMaxJarBytes: Int = 512 * 1024 * 1024
    var flinkCleanupTimeout: Duration = .seconds(300)
    /// The validating admission webhook (HTTPS); nil: not served.
    var webhookAddress: BindAddress?
    var webhookCertDirectory: String = "/tmp/k8s-webhook-server/serving-certs"
    /// The operator issues and rotates the webhook's certificate in this Secret (in the
    /// operator's namespace) instead of reading webhookCertDirectory.
    var webhookCertSecret: String?
    /// DNS names and IP addresses the issued certificate is for.
    var webhookCertHosts: [String] = []
    /// The ValidatingWebhookConfiguration whose caBundle the operator keeps set.
    var webhookConfiguration: String?
    var webhookCertCheckInterval: Duration = .seconds(600)
    /// HTTP_PROXY / HTTPS_PROXY / NO_PROXY, for the URLs ScheduledJobs name.
    var proxies: ProxyEnvironment = .none
    /// Which redirects of JobManager and JAR URLs are followed.
    var flinkFollowRedirects: RedirectPolicy = .sameOrigin
    /// Header Secrets must carry `FlinkTarget.headersSecretLabel`.
    var flinkRequireSecretLabel = true
    /// Address ranges JobManager and JAR URLs may (not) resolve to, besides `EgressPolicy.defaultDenied`.
    var allowedURLCIDRs: [IPNetwork] = []
    var deniedURLCIDRs: [IPNetwork] = []
    /// ServiceAccounts Job pods may run as.
    var serviceAccounts: ServiceAccountPolicy = .any

    struct BindAddress: Sendable, Equatable, CustomStringConvertible {
        var host: String
        var port: Int
        var description: String { "\(host):\(port)" }

        /// `:8080` (all interfaces), `127.0.0.1:8080`, or `0` to disable.
        static func parse(_ text: String, flag: String) throws -> BindAddress? {
            if text == "0" || text.isEmpty { return nil }
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw SettingsError("\(flag) \"\(text)\" is not an address like :8080 or 127.0.0.1:8080 (0 disables it)")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return BindAddress(host: host.isEmpty ? "0.0.0.0" : host, port: port)
        }
    }

    struct SettingsError: Error, CustomStringConvertible, Equatable {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Raw values as given on the command line (nil when not given).
    struct Flags: Sendable {
        var kubeconfig: String?
        var context: String?
        var namespace: [String] = []
        var workers: Int?
        var logLevel: String?
        var logFormat: String?
        var leaderElect: Bool?
        var leaderElectionNamespace: String?
        var leaderElectionID: String?
        var leaderElectionOwnerDeployment: String? = nil
        var leaseDuration: String?
        var renewDeadline: String?
        var retryPeriod: String?
        var metricsBindAddress: String?
        var healthProbeBindAddress: String?
        var gracefulShutdownTimeout: String?
        var kubeAPIQPS: Double?
        var kubeAPIBurst: Int?
        var defaultTimeZone: String?
        var flinkPollInterval: String?
        var flinkMaxJarBytes: Int?
        var flinkCleanupTimeout: String?
        var flinkFollowRedirects: String? = nil
        var flinkRequireSecretLabel: Bool? = nil
        var allowedURLCIDRs: String? = nil
        var deniedURLCIDRs: String? = nil
        var allowedServiceAccounts: String? = nil
        var webhookBindAddress: String? = nil
        var webhookCertDir: String? = nil
        var webhookCertSecret: String? = nil
        var webhookCertHosts: String? = nil
        var webhookConfiguration: String? = nil
        var webhookCertCheckInterval: String? = nil
    }

    static func resolve(_ f: Flags, environment env: [String: String]) throws -> OperatorSettings {
        func pick(_ flag: String?, _ keys: String...) -> String? {
            if let flag { return flag }
            for k in keys { if let v = env[k], !v.isEmpty { return v } }
            return nil
        }
        func duration(_ text: String, _ flag: String) throws -> Duration {
            do { return .nanoseconds(try GoDuration.parseNanoseconds(text)) } catch {
                throw SettingsError("\(flag) \"\(text)\" is not a duration like 30s, 1m30s or 500ms")
            }
        }
        func bool(_ text: String, _ flag: String) throws -> Bool {
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw SettingsError("\(flag) \"\(text)\" is not true or false")
            }
        }
        func int(_ text: String, _ flag: String) throws -> Int {
            guard let v = Int(text) else { throw SettingsError("\(flag) \"\(text)\" is not a whole number") }
            return v
        }

        let namespaceText = f.namespace.isEmpty ? (env["SKED_NAMESPACE"].map { [$0] } ?? []) : f.namespace
        let namespaces = namespaceText.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let workers = try f.workers ?? env["SKED_WORKERS"].map { try int($0, "SKED_WORKERS") } ?? 16
        guard (1...1000).contains(workers) else { throw SettingsError("--workers must be between 1 and 1000, got \(workers)") }

        let levelText = (pick(f.logLevel, "SKED_LOG_LEVEL", "LOG_LEVEL") ?? "info").lowercased()
        guard let level = Logger.Level(rawValue: levelText) else {
            throw SettingsError("--log-level \"\(levelText)\" is not one of trace, debug, info, warning, error")
        }
        let formatText = (pick(f.logFormat, "SKED_LOG_FORMAT") ?? "json").lowercased()
        guard let format = LogFormat(rawValue: formatText) else { throw SettingsError("--log-format \"\(formatText)\" is not json or text") }

        let leaderElect = try f.leaderElect ?? env["SKED_LEADER_ELECT"].map { try bool($0, "SKED_LEADER_ELECT") } ?? true
        let lease = try duration(pick(f.leaseDuration, "SKED_LEADER_ELECTION_LEASE_DURATION") ?? "15s", "--leader-election-lease-duration")
        let renew = try duration(pick(f.renewDeadline, "SKED_LEADER_ELECTION_RENEW_DEADLINE") ?? "10s", "--leader-election-renew-deadline")
        let retry = try duration(pick(f.retryPeriod, "SKED_LEADER_ELECTION_RETRY_PERIOD") ?? "2s", "--leader-election-retry-period")
        let grace = try duration(pick(f.gracefulShutdownTimeout, "SKED_GRACEFUL_SHUTDOWN_TIMEOUT") ?? "30s", "--graceful-shutdown-timeout")

        let qps = try f.kubeAPIQPS ?? env["SKED_KUBE_API_QPS"].map { text in
            guard let v = Double(text) else { throw SettingsError("SKED_KUBE_API_QPS \"\(text)\" is not a number") }
            return v
        } ?? 1000
        let burst = try f.kubeAPIBurst ?? env["SKED_KUBE_API_BURST"].map { try int($0, "SKED_KUBE_API_BURST") } ?? 2000
        guard qps > 0, burst > 0 else { throw SettingsError("--kube-api-qps and --kube-api-burst must be positive") }

        let zone = pick(f.defaultTimeZone, "SKED_DEFAULT_TIME_ZONE") ?? "UTC"
        guard TimeZone(identifier: zone) != nil else {
            throw SettingsError("--default-time-zone \"\(zone)\" is not a known IANA time zone")
        }

        var settings = OperatorSettings(
            kubeconfig: pick(f.kubeconfig, "SKED_KUBECONFIG"), context: pick(f.context, "SKED_CONTEXT"), namespaces: namespaces,
            workers: workers, logLevel: level, logFormat: format, leaderElect: leaderElect,
            leaderElectionNamespace: pick(f.leaderElectionNamespace, "SKED_LEADER_ELECTION_NAMESPACE", "POD_NAMESPACE"),
            leaderElectionID: pick(f.leaderElectionID, "SKED_LEADER_ELECTION_ID") ?? "sked-operator",
            leaseDuration: lease, renewDeadline: renew, retryPeriod: retry,
            metricsAddress: try BindAddress.parse(pick(f.metricsBindAddress, "SKED_METRICS_BIND_ADDRESS") ?? ":8080", flag: "--metrics-bind-address"),
            healthAddress: try BindAddress.parse(pick(f.healthProbeBindAddress, "SKED_HEALTH_PROBE_BIND_ADDRESS") ?? ":8081", flag: "--health-probe-bind-address"),
            gracefulShutdownTimeout: grace, kubeAPIQPS: qps, kubeAPIBurst: burst, defaultTimeZone: zone)
        if settings.leaderElectionID.isEmpty { settings.leaderElectionID = "sked-operator" }
        settings.leaderElectionOwnerDeployment = pick(f.leaderElectionOwnerDeployment, "SKED_LEADER_ELECTION_OWNER_DEPLOYMENT").flatMap { $0.isEmpty ? nil : $0 }
        settings.flinkPollInterval = try duration(pick(f.flinkPollInterval, "SKED_FLINK_POLL_INTERVAL") ?? "10s", "--flink-poll-interval")
        guard settings.flinkPollInterval >= .milliseconds(100) else { throw SettingsError("--flink-poll-interval must be at least 100ms") }
        settings.flinkMaxJarBytes = try f.flinkMaxJarBytes ?? env["SKED_FLINK_MAX_JAR_BYTES"].map { try int($0, "SKED_FLINK_MAX_JAR_BYTES") } ?? 512 * 1024 * 1024
        guard settings.flinkMaxJarBytes > 0 else { throw SettingsError("--flink-max-jar-bytes must be positive, got \(settings.flinkMaxJarBytes)") }
        settings.flinkCleanupTimeout = try duration(pick(f.flinkCleanupTimeout, "SKED_FLINK_CLEANUP_TIMEOUT") ?? "5m", "--flink-cleanup-timeout")
        settings.webhookAddress = try BindAddress.parse(pick(f.webhookBindAddress, "SKED_WEBHOOK_BIND_ADDRESS") ?? "0", flag: "--webhook-bind-address")
        settings.webhookCertDirectory = pick(f.webhookCertDir, "SKED_WEBHOOK_CERT_DIR") ?? settings.webhookCertDirectory
        settings.webhookCertSecret = pick(f.webhookCertSecret, "SKED_WEBHOOK_CERT_SECRET").flatMap { $0.isEmpty ? nil : $0 }
        settings.webhookCertHosts = (pick(f.webhookCertHosts, "SKED_WEBHOOK_CERT_HOSTS") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        settings.webhookConfiguration = pick(f.webhookConfiguration, "SKED_WEBHOOK_CONFIGURATION").flatMap { $0.isEmpty ? nil : $0 }
        settings.webhookCertCheckInterval = try duration(pick(f.webhookCertCheckInterval, "SKED_WEBHOOK_CERT_CHECK_INTERVAL") ?? "10m", "--webhook-cert-check-interval")
        guard settings.webhookCertCheckInterval >= .seconds(1) else { throw SettingsError("--webhook-cert-check-interval must be at least 1s") }
        if settings.webhookCertSecret != nil {
            guard settings.webhookAddress != nil else { throw SettingsError("--webhook-cert-secret needs --webhook-bind-address (the webhook is off)") }
            guard !settings.webhookCertHosts.isEmpty else { throw SettingsError("--webhook-cert-secret needs --webhook-cert-hosts: the DNS names (or IPs) the API server calls the webhook at") }
        }
        do { settings.proxies = try ProxyEnvironment(environment: env) } catch { throw SettingsError("\(error)") }
        let redirects = pick(f.flinkFollowRedirects, "SKED_FLINK_FOLLOW_REDIRECTS") ?? "same-origin"
        guard let policy = RedirectPolicy(rawValue: redirects) else {
            throw SettingsError("--flink-follow-redirects \"\(redirects)\" must be same-origin, any or none")
        }
        settings.flinkFollowRedirects = policy
        settings.flinkRequireSecretLabel = try f.flinkRequireSecretLabel ?? env["SKED_FLINK_REQUIRE_SECRET_LABEL"].map { try bool($0, "SKED_FLINK_REQUIRE_SECRET_LABEL") } ?? true
        settings.allowedURLCIDRs = try cidrs(pick(f.allowedURLCIDRs, "SKED_ALLOWED_URL_CIDRS"), "--allowed-url-cidrs")
        settings.deniedURLCIDRs = try cidrs(pick(f.deniedURLCIDRs, "SKED_DENIED_URL_CIDRS"), "--denied-url-cidrs")
        // Unset or "*": any (CronJob's behaviour). Empty: none but what Namespaces' annotations allow.
        if let names = pick(f.allowedServiceAccounts, "SKED_ALLOWED_SERVICE_ACCOUNTS"), names.trimmingCharacters(in: .whitespaces) != "*" {
            let allowed = ServiceAccountPolicy.names(names)
            if let bad = allowed.first(where: { !isDNSSubdomain($0) }) {
                throw SettingsError("--allowed-service-accounts: \"\(bad)\" is not a ServiceAccount name")
            }
            settings.serviceAccounts = ServiceAccountPolicy(allowed: allowed)
        }
        return settings
    }

    /// RFC 1123 subdomain: what a ServiceAccount's name may be.
    static func isDNSSubdomain(_ name: String) -> Bool {
        name.count <= 253 && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
        }
    }

    /// `10.0.0.0/8,fd00::/8,192.0.2.1` (a bare address is one address).
    static func cidrs(_ text: String?, _ flag: String) throws -> [IPNetwork] {
        try (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { entry in
            guard let network = IPNetwork(entry) else { throw SettingsError("\(flag): \"\(entry)\" is not a CIDR range like 10.0.0.0/8 or fd00::/8") }
            return network
        }
    }
}

extension Duration {
    /// As a `TimeInterval`, for APIs that take seconds.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
