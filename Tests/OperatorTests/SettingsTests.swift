import Foundation
import K8sClient
import K8sRuntime
import Logging
import Testing

@testable import Operator

@Suite struct OperatorSettingsResolution {
    @Test func defaultsMatchKubernetesComponents() throws {
        let s = try OperatorSettings.resolve(.init(), environment: [:])
        #expect(s.namespaces == [])
        #expect(s.workers == 16)
        #expect(s.logLevel == .info)
        #expect(s.logFormat == .json)
        #expect(s.leaderElect)
        #expect(s.leaderElectionID == "sked-operator")
        #expect(s.leaseDuration == .seconds(15) && s.renewDeadline == .seconds(10) && s.retryPeriod == .seconds(2))
        #expect(s.metricsAddress == .init(host: "0.0.0.0", port: 8080))
        #expect(s.healthAddress == .init(host: "0.0.0.0", port: 8081))
        #expect(s.gracefulShutdownTimeout == .seconds(30))
        #expect(s.defaultTimeZone == "UTC")
    }

    @Test func environmentFillsInAndFlagsWin() throws {
        let env = ["SKED_NAMESPACE": "a,b", "SKED_WORKERS": "3", "LOG_LEVEL": "debug", "SKED_LEADER_ELECT": "false",
                   "POD_NAMESPACE": "sked-system", "SKED_METRICS_BIND_ADDRESS": "0", "SKED_KUBE_API_QPS": "50"]
        let fromEnv = try OperatorSettings.resolve(.init(), environment: env)
        #expect(fromEnv.namespaces == ["a", "b"])
        #expect(fromEnv.workers == 3)
        #expect(fromEnv.logLevel == .debug)
        #expect(!fromEnv.leaderElect)
        #expect(fromEnv.leaderElectionNamespace == "sked-system")
        #expect(fromEnv.metricsAddress == nil)
        #expect(fromEnv.kubeAPIQPS == 50)
        var flags = OperatorSettings.Flags()
        flags.namespace = ["x", "y,z"]
        flags.workers = 2
        flags.logLevel = "error"
        flags.leaderElect = true
        flags.metricsBindAddress = "127.0.0.1:9090"
        let both = try OperatorSettings.resolve(flags, environment: env)
        #expect(both.namespaces == ["x", "y", "z"])
        #expect(both.workers == 2)
        #expect(both.logLevel == .error)
        #expect(both.leaderElect)
        #expect(both.metricsAddress == .init(host: "127.0.0.1", port: 9090))
    }

    @Test(arguments: [
        ("SKED_WORKERS", "many", "is not a whole number"),
        ("SKED_LOG_FORMAT", "xml", "--log-format"),
        ("SKED_LEADER_ELECT", "maybe", "not true or false"),
        ("SKED_GRACEFUL_SHUTDOWN_TIMEOUT", "soon", "not a duration"),
        ("SKED_HEALTH_PROBE_BIND_ADDRESS", "8081", "not an address"),
        ("SKED_DEFAULT_TIME_ZONE", "Moon/Base", "Moon/Base"),
        ("SKED_FLINK_POLL_INTERVAL", "often", "--flink-poll-interval"),
        ("SKED_FLINK_POLL_INTERVAL", "1ms", "at least 100ms"),
        ("SKED_FLINK_MAX_JAR_BYTES", "0", "--flink-max-jar-bytes must be positive"),
    ])
    func badValuesAreNamedInTheError(key: String, value: String, mentions: String) {
        #expect { try OperatorSettings.resolve(.init(), environment: [key: value]) } throws: { "\($0)".contains(mentions) }
    }

    @Test func flinkSettingsHaveDefaultsAndCanBeChanged() throws {
        let d = try OperatorSettings.resolve(.init(), environment: [:])
        #expect(d.flinkPollInterval == .seconds(10) && d.flinkMaxJarBytes == 512 * 1024 * 1024 && d.flinkCleanupTimeout == .seconds(300))
        var flags = OperatorSettings.Flags()
        flags.flinkCleanupTimeout = "20s"
        let s = try OperatorSettings.resolve(flags, environment: ["SKED_FLINK_POLL_INTERVAL": "500ms", "SKED_FLINK_MAX_JAR_BYTES": "1048576", "SKED_FLINK_CLEANUP_TIMEOUT": "1h"])
        #expect(s.flinkPollInterval == .milliseconds(500) && s.flinkMaxJarBytes == 1_048_576 && s.flinkCleanupTimeout == .seconds(20))
    }

    @Test func urlEgressRangesComeFromFlagsOrEnvironmentAndTheAPIServerIsAlwaysDenied() async throws {
        var flags = OperatorSettings.Flags()
        flags.allowedURLCIDRs = "127.0.0.0/8, fd00::/8"
        let s = try OperatorSettings.resolve(flags, environment: ["SKED_DENIED_URL_CIDRS": "10.0.0.0/8,192.0.2.1"])
        #expect(s.allowedURLCIDRs.map(\.description) == ["127.0.0.0/8", "fd00::/8"])
        #expect(s.deniedURLCIDRs.map(\.description) == ["10.0.0.0/8", "192.0.2.1/32"])
        let policy = await EgressPolicy.forOperator(s, apiServer: "https://api.example:6443", environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                                                    resolve: { host in host == "api.example" ? [IPAddress("203.0.113.7")!] : [] })
        #expect(policy.deniedEndpoints.map(\.description) == ["10.96.0.1:443", "203.0.113.7:6443"])
        #expect(policy.denied.map(\.description) == EgressPolicy.defaultDenied.map(\.description) + ["10.0.0.0/8", "192.0.2.1/32"])
        #expect(policy.verdict(for: IPAddress("127.0.0.1")!, port: 8081) == .allowed)
        #expect(policy.verdict(for: IPAddress("10.96.0.1")!, port: 443) == .denied("the Kubernetes API server's address"))
        let none = try OperatorSettings.resolve(.init(), environment: [:])
        #expect(none.allowedURLCIDRs.isEmpty && none.deniedURLCIDRs.isEmpty)
    }

    @Test func allowedServiceAccountsUnsetOrStarMeanAnyAndAListMeansOnlyThose() throws {
        #expect(try OperatorSettings.resolve(.init(), environment: [:]).serviceAccounts == .any)
        var flags = OperatorSettings.Flags()
        flags.allowedServiceAccounts = "*"
        #expect(try OperatorSettings.resolve(flags, environment: [:]).serviceAccounts == .any)
        flags.allowedServiceAccounts = ""
        #expect(try OperatorSettings.resolve(flags, environment: [:]).serviceAccounts.allowed == [])
        #expect(try OperatorSettings.resolve(.init(), environment: ["SKED_ALLOWED_SERVICE_ACCOUNTS": "default, sked-runner"]).serviceAccounts.allowed == ["default", "sked-runner"])
        flags.allowedServiceAccounts = "default,Not_A_Name"
        #expect { try OperatorSettings.resolve(flags, environment: [:]) } throws: { "\($0)" == "--allowed-service-accounts: \"Not_A_Name\" is not a ServiceAccount name" }
    }

    @Test func leaderElectionTimingsAreCheckedLikeClientGo() {
        #expect(throws: ConfigError.self) { try LeaderElectionConfiguration(namespace: "n", leaseDuration: .seconds(10), renewDeadline: .seconds(10)).validate() }
        #expect(throws: ConfigError.self) { try LeaderElectionConfiguration(namespace: "n", renewDeadline: .seconds(2), retryPeriod: .seconds(2)).validate() }
        #expect(throws: Never.self) { try LeaderElectionConfiguration(namespace: "n").validate() }
    }
}

@Suite struct JSONLogs {
    @Test func eachLineIsOneJSONObjectWithLevelMessageAndMetadata() throws {
        let out = LockedLines()
        var handler = JSONLogHandler(label: "sked", level: .info, write: { out.append($0) })
        handler[metadataKey: "namespace"] = "team-a"
        var logger = Logger(label: "sked", factory: { _ in handler })
        logger[metadataKey: "name"] = "backup"
        logger.info("started run", metadata: ["run": "backup-1"])
        logger.debug("hidden")
        let lines = out.lines
        #expect(lines.count == 1)
        #expect(lines[0].hasSuffix("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["msg"] as? String == "started run")
        #expect(object["namespace"] as? String == "team-a")
        #expect(object["name"] as? String == "backup")
        #expect(object["run"] as? String == "backup-1")
        #expect(object["logger"] as? String == "sked")
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ s: String) { lock.withLock { stored.append(s) } }
    var lines: [String] { lock.withLock { stored } }
}
