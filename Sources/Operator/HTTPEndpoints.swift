import Hummingbird
import Logging
import Prometheus
import Reconcilers
import Synchronization

/// What `/readyz` reports: ready once the caches are synced, or while waiting as a standby
/// for the lease (a standby is healthy; it just does not reconcile).
final class Readiness: Sendable {
    private let state = Mutex((synced: false, leaderElection: false, leader: false))

    func set(synced: Bool) { state.withLock { $0.synced = synced } }
    func set(leaderElection: Bool) { state.withLock { $0.leaderElection = leaderElection } }
    func set(leader: Bool) { state.withLock { $0.leader = leader } }

    var isReady: Bool {
        state.withLock { s in s.synced || (s.leaderElection && !s.leader) }
    }
    var description: String {
        state.withLock { s in "synced=\(s.synced) leader=\(s.leader) leaderElection=\(s.leaderElection)" }
    }
}

/// The operator's HTTP endpoints, served by Hummingbird: `/metrics` in Prometheus text
/// format, `/healthz` (the process and its event loop answer) and `/readyz`.
enum HTTPEndpoints {
    static func metricsApplication(
        address: OperatorSettings.BindAddress, registry: PrometheusCollectorRegistry, cache: ScheduledJobCacheSource, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            ScheduledJobGauges.emit(cache.scheduledJobs, into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return Application(router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil), logger: logger)
    }

    static func healthApplication(address: OperatorSettings.BindAddress, readiness: Readiness, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        router.get("readyz") { _, _ -> Response in
            let ready = readiness.isReady
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: ready ? "ok\n" : "not ready: \(readiness.description)\n")))
        }
        return Application(router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil), logger: logger)
    }
}
