import Foundation
import K8sClient
import Logging

/// Keeps the webhook's certificate issued, stored and trusted without Helm or cert-manager
/// (`--webhook-cert-secret`), as controller-runtime users do with cert-controller's rotator:
/// every replica reads the Secret; whichever finds it missing or due issues a new one
/// (`WebhookCertificateAuthority`) and writes it with optimistic concurrency, so when two
/// race one write wins and the other adopts it. Every replica serves the stored certificate
/// from memory (no volume to wait for) and sets the `caBundle` of each webhook in the
/// ValidatingWebhookConfiguration (`--webhook-configuration`). Checked again every
/// `interval`, so a rotation by another replica is served within it.
struct WebhookCertificateRotator: Sendable {
    static let validatingWebhookConfigurations = ResourceDescriptor(
        group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false)

    let client: KubernetesClient
    let namespace: String
    let secretName: String
    let hosts: [String]
    let webhookConfiguration: String?
    /// A Deployment in `namespace` that owns a Secret this process creates (uninstall removes it).
    let ownerDeployment: String?
    let certificate: ServingCertificate
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    /// Until the first certificate is served: retried (1 s, doubling to 30 s) while the API
    /// server cannot be reached or forbids it, each failure logged.
    func ensureFirstCertificate() async throws {
        var delay = Duration.seconds(1)
        while true {
            do {
                try await reconcile()
                return
            } catch {
                logger.warning("webhook certificate not ready", metadata: ["secret": "\(namespace)/\(secretName)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    func run() async throws {
        while true {
            try await Task.sleep(for: interval)
            do { try await reconcile() } catch {
                logger.warning("webhook certificate check failed", metadata: ["secret": "\(namespace)/\(secretName)", "error": "\(error)"])
            }
        }
    }

    /// One look at the world: the Secret as it is, a new certificate if it is due, the served
    /// certificate and the caBundle brought in line with what is stored.
    func reconcile() async throws {
        let secrets = client.api(Secret.self, namespace: namespace)
        var existing = try await secrets.getIfPresent(secretName)
        var stored = existing.flatMap { $0.data.flatMap(WebhookCertificateAuthority.Stored.init(secretData:)) }
        let decision = WebhookCertificateAuthority.decide(stored, hosts: hosts, now: now())
        if decision != .keep {
            let issued = try WebhookCertificateAuthority.issue(decision, replacing: stored, hosts: hosts, now: now())
            do {
                if var secret = existing {
                    secret.data = issued.secretData
                    existing = try await secrets.update(secret)
                } else {
                    var metadata = ObjectMeta(name: secretName, namespace: namespace, ownerReferences: try await owners())
                    metadata.labels = ["app.kubernetes.io/managed-by": "sked", "app.kubernetes.io/component": "webhook-certificate"]
                    var secret = Secret(metadata: metadata, data: issued.secretData)
                    secret.type = "kubernetes.io/tls"
                    existing = try await secrets.create(secret)
                }
                stored = issued
                if case .renewAll(let reason) = decision { logger.info("issued a new webhook CA and serving certificate", metadata: ["secret": "\(namespace)/\(secretName)", "reason": "\(reason)"]) }
                if case .renewServing(let reason) = decision { logger.info("issued a new webhook serving certificate", metadata: ["secret": "\(namespace)/\(secretName)", "reason": "\(reason)"]) }
            } catch let error as KubernetesError where error.isConflict || error.isAlreadyExists {
                // Another replica wrote first: serve what it stored.
                stored = try await secrets.get(secretName).data.flatMap(WebhookCertificateAuthority.Stored.init(secretData:))
            }
        }
        guard let stored else { throw WebhookError("Secret \(namespace)/\(secretName) holds no webhook certificate") }
        if certificate.current?.stamp != stored.certificatePEM {
            try certificate.install(certificatePEM: stored.certificatePEM, keyPEM: stored.keyPEM)
        }
        if let webhookConfiguration { try await trust(stored.caBundlePEM, in: webhookConfiguration) }
    }

    /// Sets every webhook's `clientConfig.caBundle` of the configuration to `bundle`.
    func trust(_ bundle: String, in name: String) async throws {
        let configurations = client.api(UnstructuredObject.self, namespace: nil, resource: Self.validatingWebhookConfigurations)
        guard var configuration = try await configurations.getIfPresent(name) else {
            logger.warning("the webhook configuration to trust the certificate in does not exist", metadata: ["validatingWebhookConfiguration": "\(name)"])
            return
        }
        let encoded = JSONValue.string(Data(bundle.utf8).base64EncodedString())
        guard var webhooks = configuration["webhooks"]?.arrayValue, webhooks.contains(where: { $0["clientConfig"]?["caBundle"] != encoded }) else { return }
        for i in webhooks.indices {
            var clientConfig = webhooks[i]["clientConfig"] ?? .object([:])
            clientConfig["caBundle"] = encoded
            webhooks[i]["clientConfig"] = clientConfig
        }
        configuration["webhooks"] = .array(webhooks)
        _ = try await configurations.update(configuration)
        logger.info("set the webhook's caBundle", metadata: ["validatingWebhookConfiguration": "\(name)"])
    }

    private func owners() async throws -> [OwnerReference]? {
        guard let ownerDeployment else { return nil }
        let deployment = try await client.api(UnstructuredObject.self, namespace: namespace, resource: .deployments).get(ownerDeployment)
        guard let uid = deployment.metadata.uid else { return nil }
        return [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: ownerDeployment, uid: uid)]
    }
}
