import K8sClient
import Foundation
import Logging
import Synchronization

/// Lease-based leader election, as in client-go's `leaderelection` package.
///
/// Leases are not fencing: for a short moment after a leader stalls, two processes may
/// both believe they lead. sked tolerates that because every external effect is named
/// deterministically (run names, Flink job ids): the second create of the same run fails
/// with AlreadyExists instead of starting it twice.
///
/// Expiry is judged only from locally observed times (when we last saw the lease record
/// change), never by comparing our clock with another process's timestamps.
public final class LeaderElector: Sendable {
    public let configuration: LeaderElectionConfiguration
    private let leases: API<Lease>
    private let deployments: API<UnstructuredObject>
    private let logger: Logger
    private let now: @Sendable () -> Date
    private struct Observation {
        var record: LeaseSpec?
        var resourceVersion: String?
        var observedAt: ContinuousClock.Instant
    }
    private let observed = Mutex<Observation?>(nil)
    private let leading = Mutex(false)
    private let resigned = Mutex(false)
    /// Called with true when leadership starts and false when it ends (metrics, readiness).
    private let onChange: @Sendable (Bool) -> Void

    public init(client: KubernetesClient, configuration: LeaderElectionConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = Date.init, onChange: @escaping @Sendable (Bool) -> Void = { _ in }) throws {
        try configuration.validate()
        self.configuration = configuration
        self.leases = client.api(Lease.self, namespace: configuration.namespace)
        self.deployments = client.api(UnstructuredObject.self, namespace: configuration.namespace, resource: .deployments)
        self.logger = logger
        self.now = now
        self.onChange = onChange
    }

    public var isLeader: Bool { leading.withLock { $0 } }

    /// Stops campaigning: a standby returns from `run` at its next attempt. (A leader is
    /// stopped by ending its work, so that it can drain first.)
    public func resign() { resigned.withLock { $0 = true } }

    /// Campaigns until leader, runs `work` while leading, and goes back to campaigning if the
    /// lease is lost (`work` is cancelled first). On cancellation, stops `work`, waits for it,
    /// and releases the lease so a standby can take over at once.
    public func run(_ work: @escaping @Sendable () async throws -> Void) async throws {
        while !Task.isCancelled && !resigned.withLock({ $0 }) {
            guard await acquire() else { break }
            setLeading(true)
            logger.info("became leader", metadata: ["lease": "\(configuration.namespace)/\(configuration.leaseName)", "identity": "\(configuration.identity)"])
            let lost = await lead(work)
            setLeading(false)
            if lost {
                logger.warning("lost leadership; stopped reconciling", metadata: ["identity": "\(configuration.identity)"])
            } else {
                // Releasing must happen even though our task is being cancelled.
                await Task { await self.release() }.value
                break
            }
        }
    }

    private func setLeading(_ value: Bool) {
        leading.withLock { $0 = value }
        onChange(value)
    }

    /// Retries every retry period until the lease is ours; false if cancelled first.
    private func acquire() async -> Bool {
        while !Task.isCancelled && !resigned.withLock({ $0 }) {
            if await tryAcquireOrRenew() { return true }
            do { try await Task.sleep(for: configuration.retryPeriod) } catch { return false }
        }
        return false
    }

    /// Runs `work` and the renew loop side by side. Returns true if leadership was lost,
    /// false if we were cancelled (shutdown) or `work` ended by itself.
    private func lead(_ work: @escaping @Sendable () async throws -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { try await work() } catch {}
                return false
            }
            group.addTask { await self.renewUntilLost() }
            let first = await group.next() ?? false
            group.cancelAll()
            await group.waitForAll()
            return first
        }
    }

    /// Renews every retry period; returns true once renewing has failed for the renew deadline.
    private func renewUntilLost() async -> Bool {
        var lastRenew = ContinuousClock.now
        while true {
            do { try await Task.sleep(for: configuration.retryPeriod) } catch { return false }
            if await tryAcquireOrRenew() {
                lastRenew = .now
            } else if lastRenew.duration(to: .now) >= configuration.renewDeadline {
                return true
            }
        }
    }

    /// One attempt, as client-go's `tryAcquireOrRenew`.
    func tryAcquireOrRenew() async -> Bool {
        let me = configuration.identity
        let t = now()
        do {
            guard var lease = try await leases.getIfPresent(configuration.leaseName) else {
                var owners: [OwnerReference]?
                if let name = configuration.ownerDeployment {
                    // Gone or going: this install is being removed, and a new Lease would outlive it.
                    guard let owner = try await deployments.getIfPresent(name), owner.metadata.deletionTimestamp == nil, let uid = owner.metadata.uid else {
                        logger.info("not creating the Lease: its Deployment is gone or being deleted", metadata: ["deployment": "\(configuration.namespace)/\(name)"])
                        return false
                    }
                    owners = [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: name, uid: uid)]
                }
                let created = try await leases.create(Lease(
                    metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace, ownerReferences: owners),
                    spec: LeaseSpec(holderIdentity: me, leaseDurationSeconds: seconds(configuration.leaseDuration), acquireTime: t, renewTime: t, leaseTransitions: 0)))
                observe(created)
                return true
            }
            observe(lease)
            let spec = lease.spec ?? LeaseSpec()
            let holder = spec.holderIdentity ?? ""
            if !holder.isEmpty && holder != me {
                let observedAt = observed.withLock { $0?.observedAt } ?? .now
                let duration = Duration.seconds(spec.leaseDurationSeconds ?? seconds(configuration.leaseDuration))
                if observedAt.duration(to: .now) < duration { return false }  // still held by someone else
            }
            var next = spec
            if holder != me {
                next.acquireTime = t
                next.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            next.holderIdentity = me
            next.leaseDurationSeconds = seconds(configuration.leaseDuration)
            next.renewTime = t
            lease.spec = next
            let updated = try await leases.update(lease)  // resourceVersion makes this a compare-and-swap
            observe(updated)
            return true
        } catch {
            logger.debug("leader election attempt failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Keeps the time we first saw the current record: a lease whose record has not changed
    /// for its duration (by our clock) has expired.
    private func observe(_ lease: Lease) {
        observed.withLock { o in
            if o?.record != lease.spec || o == nil {
                o = Observation(record: lease.spec, resourceVersion: lease.metadata.resourceVersion, observedAt: .now)
            }
        }
    }

    /// Gives the lease up (holder cleared, 1 s duration) so a standby takes over immediately.
    private func release() async {
        do {
            guard var lease = try await leases.getIfPresent(configuration.leaseName), lease.spec?.holderIdentity == configuration.identity else { return }
            lease.spec?.holderIdentity = ""
            lease.spec?.leaseDurationSeconds = 1
            lease.spec?.renewTime = now()
            _ = try await leases.update(lease)
            logger.info("released leadership", metadata: ["identity": "\(configuration.identity)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }

    private func seconds(_ d: Duration) -> Int { max(1, Int(d.components.seconds)) }
}
