import ArgumentParser
import Foundation
import K8sClient
import K8sRuntime
import Logging
import Metrics
import OTel
import Prometheus
import Reconcilers
import ServiceLifecycle

/// `sked operator`: run the controller.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Run the ScheduledJob controller.",
        discussion: "Every option can also be set with the environment variable shown; a flag wins over its variable.")

    @Option(help: "Path to a kubeconfig (env SKED_KUBECONFIG; default: $KUBECONFIG, in-cluster, ~/.kube/config).")
    var kubeconfig: String?
    @Option(help: "kubeconfig context to use (env SKED_CONTEXT).")
    var context: String?
    @Option(help: "Only watch these namespaces; repeat or comma-separate (env SKED_NAMESPACE; default: all namespaces).")
    var namespace: [String] = []
    @Option(help: "Concurrent reconcile workers (env SKED_WORKERS; default 16).")
    var workers: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, warning or error (env SKED_LOG_LEVEL or LOG_LEVEL; default info).")
    var logLevel: String?
    @Option(name: .customLong("log-format"), help: "json or text (env SKED_LOG_FORMAT; default json).")
    var logFormat: String?
    @Option(name: .customLong("leader-elect"), help: "Use a Lease so only one replica reconciles: true or false (env SKED_LEADER_ELECT; default true).")
    var leaderElect: Bool?
    @Option(name: .customLong("leader-election-namespace"), help: "Namespace of the Lease (env SKED_LEADER_ELECTION_NAMESPACE or POD_NAMESPACE; default: the kubeconfig's or pod's namespace).")
    var leaderElectionNamespace: String?
    @Option(name: .customLong("leader-election-id"), help: "Name of the Lease (env SKED_LEADER_ELECTION_ID; default sked-operator).")
    var leaderElectionID: String?
    @Option(name: .customLong("leader-election-owner-deployment"), help: "Deployment (in the Lease's namespace) that owns a Lease this process creates, so deleting the Deployment removes the Lease (env SKED_LEADER_ELECTION_OWNER_DEPLOYMENT; default none).")
    var leaderElectionOwnerDeployment: String?
    @Option(name: .customLong("leader-election-lease-duration"), help: "Lease duration (env SKED_LEADER_ELECTION_LEASE_DURATION; default 15s).")
    var leaseDuration: String?
    @Option(name: .customLong("leader-election-renew-deadline"), help: "Renew deadline (env SKED_LEADER_ELECTION_RENEW_DEADLINE; default 10s).")
    var renewDeadline: String?
    @Option(name: .customLong("leader-election-retry-period"), help: "Retry period (env SKED_LEADER_ELECTION_RETRY_PERIOD; default 2s).")
    var retryPeriod: String?
    @Option(name: .customLong("metrics-bind-address"), help: "Address of /metrics, 0 disables (env SKED_METRICS_BIND_ADDRESS; default :8080).")
    var metricsBindAddress: String?
    @Option(name: .customLong("health-probe-bind-address"), help: "Address of /healthz and /readyz, 0 disables (env SKED_HEALTH_PROBE_BIND_ADDRESS; default :8081).")
    var healthProbeBindAddress: String?
    @Option(name: .customLong("graceful-shutdown-timeout"), help: "How long SIGTERM waits for in-flight reconciles (env SKED_GRACEFUL_SHUTDOWN_TIMEOUT; default 30s).")
    var gracefulShutdownTimeout: String?
    @Option(name: .customLong("kube-api-qps"), help: "Client-side request rate limit (env SKED_KUBE_API_QPS; default 1000).")
    var kubeAPIQPS: Double?
    @Option(name: .customLong("kube-api-burst"), help: "Client-side burst (env SKED_KUBE_API_BURST; default 2000).")
    var kubeAPIBurst: Int?
    @Option(name: .customLong("default-time-zone"), help: "Time zone for ScheduledJobs that set none (env SKED_DEFAULT_TIME_ZONE; default UTC).")
    var defaultTimeZone: String?
    @Option(name: .customLong("flink-poll-interval"), help: "How often active Flink jobs are polled (env SKED_FLINK_POLL_INTERVAL; default 10s).")
    var flinkPollInterval: String?
    @Option(name: .customLong("flink-max-jar-bytes"), help: "Largest job JAR sked downloads, in bytes (env SKED_FLINK_MAX_JAR_BYTES; default 536870912).")
    var flinkMaxJarBytes: Int?
    @Option(name: .customLong("flink-cleanup-timeout"), help: "How long deleting a ScheduledJob waits for an unreachable JobManager before its finalizer is removed anyway (env SKED_FLINK_CLEANUP_TIMEOUT; default 5m).")
    var flinkCleanupTimeout: String?
    @Option(name: .customLong("flink-follow-redirects"), help: "Redirects of JobManager and JAR URLs that are followed: same-origin (headers kept; a redirect to another host is refused), any (another host too, without the request's headers) or none; https to http never (env SKED_FLINK_FOLLOW_REDIRECTS; default same-origin).")
    var flinkFollowRedirects: String?
    @Option(name: .customLong("flink-require-secret-label"), help: "Send a headersSecretRef Secret only when it is labelled sked.dev/flink-headers=true by its owner: true or false (env SKED_FLINK_REQUIRE_SECRET_LABEL; default true).")
    var flinkRequireSecretLabel: Bool?
    @Option(name: .customLong("allowed-url-cidrs"), help: "Comma-separated address ranges JobManager and JAR URLs may resolve to; when set, no other range is (env SKED_ALLOWED_URL_CIDRS). A range here also undoes a default denial as wide or wider, e.g. 127.0.0.0/8.")
    var allowedURLCIDRs: String?
    @Option(name: .customLong("denied-url-cidrs"), help: "Comma-separated address ranges JobManager and JAR URLs may not resolve to, besides the defaults: link-local (cloud metadata), loopback and unspecified addresses; the API server's own address and port is always refused (env SKED_DENIED_URL_CIDRS).")
    var deniedURLCIDRs: String?
    @Option(name: .customLong("allowed-service-accounts"), help: "Comma-separated ServiceAccounts the pods of ScheduledJobs' Jobs may run as, in any namespace; a Namespace's sked.dev/allowed-service-accounts annotation adds names there (the operator then reads Namespaces: get, list, watch). Others get Ready=False ServiceAccountNotAllowed and no Job. Unset or *: any, as with CronJob (env SKED_ALLOWED_SERVICE_ACCOUNTS).")
    var allowedServiceAccounts: String?
    @Option(name: .customLong("webhook-bind-address"), help: "Address of the validating admission webhook (HTTPS, POST /validate-scheduledjob), 0 disables (env SKED_WEBHOOK_BIND_ADDRESS; default 0).")
    var webhookBindAddress: String?
    @Option(name: .customLong("webhook-cert-dir"), help: "Folder with the webhook's tls.crt and tls.key, re-read when they change (env SKED_WEBHOOK_CERT_DIR; default /tmp/k8s-webhook-server/serving-certs).")
    var webhookCertDir: String?
    @Option(name: .customLong("webhook-cert-secret"), help: "Issue and rotate the webhook's CA and serving certificate in this Secret (in the operator's namespace) and serve it, instead of reading --webhook-cert-dir (env SKED_WEBHOOK_CERT_SECRET; default none).")
    var webhookCertSecret: String?
    @Option(name: .customLong("webhook-cert-hosts"), help: "Comma-separated DNS names and IP addresses the issued certificate is for, e.g. sked-webhook.sked-system.svc (env SKED_WEBHOOK_CERT_HOSTS).")
    var webhookCertHosts: String?
    @Option(name: .customLong("webhook-configuration"), help: "ValidatingWebhookConfiguration whose webhooks' caBundle is kept set to the issued CA (env SKED_WEBHOOK_CONFIGURATION; default none).")
    var webhookConfiguration: String?
    @Option(name: .customLong("webhook-cert-check-interval"), help: "How often the stored certificate is checked for rotation (env SKED_WEBHOOK_CERT_CHECK_INTERVAL; default 10m).")
    var webhookCertCheckInterval: String?

    var flags: OperatorSettings.Flags {
        OperatorSettings.Flags(
            kubeconfig: kubeconfig, context: context, namespace: namespace, workers: workers, logLevel: logLevel, logFormat: logFormat,
            leaderElect: leaderElect, leaderElectionNamespace: leaderElectionNamespace, leaderElectionID: leaderElectionID,
            leaderElectionOwnerDeployment: leaderElectionOwnerDeployment, leaseDuration: leaseDuration, renewDeadline: renewDeadline, retryPeriod: retryPeriod, metricsBindAddress: metricsBindAddress,
            healthProbeBindAddress: healthProbeBindAddress, gracefulShutdownTimeout: gracefulShutdownTimeout, kubeAPIQPS: kubeAPIQPS,
            kubeAPIBurst: kubeAPIBurst, defaultTimeZone: defaultTimeZone, flinkPollInterval: flinkPollInterval,
            flinkMaxJarBytes: flinkMaxJarBytes, flinkCleanupTimeout: flinkCleanupTimeout, flinkFollowRedirects: flinkFollowRedirects,
            flinkRequireSecretLabel: flinkRequireSecretLabel,            allowedURLCIDRs: allowedURLCIDRs, deniedURLCIDRs: deniedURLCIDRs, allowedServiceAccounts: allowedServiceAccounts,
            webhookBindAddress: webhookBindAddress, webhookCertDir: webhookCertDir, webhookCertSecret: webhookCertSecret,
            webhookCertHosts: webhookCertHosts, webhookConfiguration: webhookConfiguration, webhookCertCheckInterval: webhookCertCheckInterval)
    }

    func run() async throws {
        MallocTuning.limitArenas()
        let settings: OperatorSettings
        do { settings = try OperatorSettings.resolve(flags, environment: ProcessInfo.processInfo.environment) } catch { throw fail("\(error)") }
        // Read before anything starts: a webhook without its certificate is a configuration error.
        let servingCertificate: ServingCertificate?
        do {
            servingCertificate = try settings.webhookAddress.map { _ in
                settings.webhookCertSecret == nil ? try ServingCertificate(directory: settings.webhookCertDirectory) : .managed()
            }
        } catch { throw fail("\(error)") }
        var clientConfiguration: ClientConfiguration
        do { clientConfiguration = try ClientConfiguration.load(kubeconfig: settings.kubeconfig, context: settings.context) } catch { throw fail("\(error)") }
        clientConfiguration.qps = settings.kubeAPIQPS
        clientConfiguration.burst = settings.kubeAPIBurst
        if settings.leaderElect {
            do {
                try LeaderElectionConfiguration(
                    leaseName: settings.leaderElectionID, namespace: settings.leaderElectionNamespace ?? clientConfiguration.namespace,
                    leaseDuration: settings.leaseDuration, renewDeadline: settings.renewDeadline, retryPeriod: settings.retryPeriod
                ).validate()
            } catch { throw fail("\(error)") }
        }

        LoggingSystem.bootstrap { label in
            switch settings.logFormat {
            case .json: return JSONLogHandler(label: label, level: settings.logLevel)
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = settings.logLevel
                return handler
            }
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map { .milliseconds(Int64($0 * 1000)) }
        factory.defaultDurationHistogramBuckets = latencyBuckets
        MetricsSystem.bootstrap(factory)
        Gauge(label: "sked_build_info", dimensions: [("version", BuildInfo.version), ("commit", BuildInfo.commit), ("swift", BuildInfo.swiftVersion)]).record(1)

        let logger = Logger(label: "sked")
        logger.info("starting sked", metadata: [
            "version": "\(BuildInfo.version)", "cluster": "\(clientConfiguration)",
            "namespaces": "\(settings.namespaces.isEmpty ? "(all)" : settings.namespaces.joined(separator: ","))",
            "workers": "\(settings.workers)", "leaderElect": "\(settings.leaderElect)",
        ])

        let transport = try AsyncHTTPClientTransport(configuration: clientConfiguration)
        var client = KubernetesClient(configuration: clientConfiguration, transport: transport, logger: logger)
        client.onResponse = { verb, code in
            Counter(label: "sked_kube_requests_total", dimensions: [("verb", verb), ("code", String(code))]).increment()
        }
        let readiness = Readiness()
        let cache = ScheduledJobCacheSource()
        // A ServiceGroup shuts its services down in reverse order, one after the other: the
        // operator comes last in this list, so on SIGTERM it drains and gives up its Lease
        // first, while the endpoints (probes, metrics, the webhook) still answer, and a standby
        // takes over without waiting for them to stop.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // Tracing only when asked for: without OTEL_EXPORTER_OTLP_ENDPOINT the tracer stays a no-op.
        let environment = ProcessInfo.processInfo.environment
        if let endpoint = environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !endpoint.isEmpty {
            var otel = OTel.Configuration.default
            otel.serviceName = environment["OTEL_SERVICE_NAME"] ?? "sked"
            otel.logs.enabled = false
            otel.metrics.enabled = false
            otel.traces.enabled = true
            do {
                services.append(.init(service: try OTel.bootstrap(configuration: otel)))
                logger.info("tracing enabled", metadata: ["endpoint": "\(endpoint)"])
            } catch {
                throw fail("OpenTelemetry configuration: \(error)")
            }
        }
        var httpLogger = logger
        httpLogger.logLevel = .warning
        if let address = settings.metricsAddress {
            services.append(.init(service: HTTPEndpoints.metricsApplication(address: address, registry: registry, cache: cache, logger: httpLogger)))
        }
        if let address = settings.webhookAddress, let servingCertificate {
            let rotator = settings.webhookCertSecret.map { secret in
                WebhookCertificateRotator(
                    client: client, namespace: settings.leaderElectionNamespace ?? clientConfiguration.namespace, secretName: secret,
                    hosts: settings.webhookCertHosts, webhookConfiguration: settings.webhookConfiguration,
                    ownerDeployment: settings.leaderElectionOwnerDeployment, certificate: servingCertificate,
                    interval: settings.webhookCertCheckInterval, now: Date.init, logger: logger)
            }
            services.append(.init(service: AdmissionWebhook(
                address: address, certificate: servingCertificate, rotator: rotator, defaultTimeZone: settings.defaultTimeZone, logger: httpLogger)))
        }
        if let address = settings.healthAddress {
            services.append(.init(service: HTTPEndpoints.healthApplication(address: address, readiness: readiness, logger: httpLogger)))
        }
        services.append(.init(
            service: OperatorService(settings: settings, client: client, readiness: readiness, cache: cache, logger: logger),
            successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        var config = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        config.maximumGracefulShutdownDuration = settings.gracefulShutdownTimeout
        // libdispatch's signal sources on Linux see the signal only if its default action
        // (terminate) is disabled; the ServiceGroup then turns it into a graceful shutdown.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let group = ServiceGroup(configuration: config)
        do {
            try await group.run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
            try? await transport.shutdown()
            throw ExitCode(1)
        }
        try? await transport.shutdown()
        logger.info("stopped")
    }
}
