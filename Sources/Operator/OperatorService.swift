import Foundation
import K8sClient
import K8sRuntime
import Logging
import Metrics
import Reconcilers
import ServiceLifecycle

/// The reconciling part of `sked operator` as a lifecycle service: with leader election it
/// campaigns and runs the controller only while leading; on graceful shutdown the controller
/// drains (in-flight reconciles finish, nothing new starts) and the lease is released.
struct OperatorService: Service {
    let settings: OperatorSettings
    let client: KubernetesClient
    let readiness: Readiness
    let cache: ScheduledJobCacheSource
    let logger: Logger

    func run() async throws {
        readiness.set(leaderElection: settings.leaderElect)
        guard settings.leaderElect else {
            try await runController()
            return
        }
        let namespace = settings.leaderElectionNamespace ?? client.configuration.namespace
        let elector = try LeaderElector(
            client: client,
            configuration: LeaderElectionConfiguration(
                leaseName: settings.leaderElectionID, namespace: namespace,
                leaseDuration: settings.leaseDuration, renewDeadline: settings.renewDeadline, retryPeriod: settings.retryPeriod,
                ownerDeployment: settings.leaderElectionOwnerDeployment),
            logger: logger,
            onChange: { [readiness] leading in
                readiness.set(leader: leading)
                Gauge(label: "sked_leader").record(leading ? 1 : 0)
            })
        Gauge(label: "sked_leader").record(0)
        logger.info("campaigning for leadership", metadata: ["lease": "\(namespace)/\(settings.leaderElectionID)", "identity": "\(elector.configuration.identity)"])
        try await withGracefulShutdownHandler {
            try await elector.run { try await runController() }
        } onGracefulShutdown: {
            elector.resign()
        }
    }

    private func runController() async throws {
        let egress = await EgressPolicy.forOperator(settings, apiServer: client.configuration.server, environment: ProcessInfo.processInfo.environment)
        logger.info("JobManager and JAR URLs: egress policy", metadata: [
            "allowed": "\(egress.allowed.map(\.description).joined(separator: ","))", "denied": "\(egress.denied.map(\.description).joined(separator: ","))",
            "deniedEndpoints": "\(egress.deniedEndpoints.map(\.description).joined(separator: ","))"])
        if let allowed = settings.serviceAccounts.allowed {
            logger.info("Job pods may run only as allowed ServiceAccounts", metadata: [
                "allowed": "\(allowed.sorted().joined(separator: ","))", "namespaceAnnotation": "\(ServiceAccountPolicy.annotation)"])
        }
        let controller = ScheduledJobController(
            client: client,
            configuration: .init(
                namespaces: settings.namespaces, workers: settings.workers, defaultTimeZone: settings.defaultTimeZone,
                flink: FlinkTarget.Settings(pollInterval: settings.flinkPollInterval.seconds, maxJarBytes: settings.flinkMaxJarBytes, requireHeadersSecretLabel: settings.flinkRequireSecretLabel),
                cleanupTimeout: settings.flinkCleanupTimeout.seconds, transports: .external(proxies: settings.proxies, redirects: settings.flinkFollowRedirects, egress: egress),
                serviceAccounts: settings.serviceAccounts),
            logger: logger)
        cache.set(controller)
        defer {
            cache.set(nil)
            readiness.set(synced: false)
        }
        try await withGracefulShutdownHandler {
            try await controller.run { [readiness, logger] in
                readiness.set(synced: true)
                MallocTuning.releaseFreeMemory()
                logger.info("ready")
            }
        } onGracefulShutdown: { [logger] in
            logger.info("draining: finishing in-flight reconciles")
            Task { await controller.queue.shutDown() }
        }
    }
}
