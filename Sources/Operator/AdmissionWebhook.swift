import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import Reconcilers
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The validating admission webhook for ScheduledJobs, over HTTPS at
/// `POST /validate-scheduledjob`. Its serving certificate is `tls.crt`/`tls.key` in a folder
/// (a Secret mounted by the chart, or cert-manager's), re-read when they change at the next
/// TLS handshake, or one the operator issues and rotates itself (`WebhookCertificateRotator`);
/// either way a rotated certificate needs no restart.
struct AdmissionWebhook: Service {
    let address: OperatorSettings.BindAddress
    let certificate: ServingCertificate
    /// Keeps `certificate` (managed) issued, stored and trusted; nil when it comes from a folder.
    let rotator: WebhookCertificateRotator?
    let defaultTimeZone: String
    let logger: Logger

    func run() async throws {
        let router = Router()
        let zone = defaultTimeZone
        router.post("validate-scheduledjob") { request, _ -> Response in
            // A ScheduledJob is at most 1.5 MiB in etcd; the review wraps it (and an old copy).
            let body = try await request.body.collect(upTo: 4 * 1024 * 1024)
            let answer = AdmissionReview.answer(Data(buffer: body), defaultTimeZone: zone)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        if let rotator {
            // The first certificate before the port opens: an API server never sees a handshake fail for want of one.
            try await rotator.ensureFirstCertificate()
        }
        guard let first = certificate.current else { throw WebhookError("no serving certificate") }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: first.chain, privateKey: first.key)
        tls.minimumTLSVersion = .tlsv12
        let serving = certificate
        tls.sslContextCallback = { _, promise in
            do {
                let c = try serving.reloadedIfChanged()
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = c.chain
                override.privateKey = c.key
                promise.succeed(override)
            } catch {
                promise.succeed(.noChanges)  // keep serving the last good certificate
            }
        }
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil), logger: logger)
        guard let rotator else { return try await app.run() }
        // The server ends on graceful shutdown; the rotator's loop ends with it.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            group.addTask { try await rotator.run() }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// The webhook's serving certificate: `tls.crt` and `tls.key` of a folder, cached and re-read
/// when either file changes, or (`managed`) what `WebhookCertificateRotator` installs.
final class ServingCertificate: Sendable {
    struct Loaded: Sendable {
        let chain: [NIOSSLCertificateSource]
        let key: NIOSSLPrivateKeySource
        let stamp: String
    }

    /// nil: managed (no folder).
    let directory: String?
    private let loaded: Mutex<Loaded?>

    init(directory: String) throws {
        self.directory = directory
        loaded = Mutex(try Self.load(directory))
    }

    /// Empty until `install` is called.
    static func managed() -> ServingCertificate { ServingCertificate() }

    private init() {
        directory = nil
        loaded = Mutex(nil)
    }

    var current: Loaded? { loaded.withLock { $0 } }

    /// Serves `certificatePEM` (and the chain after it) with `keyPEM` from the next handshake on.
    func install(certificatePEM: String, keyPEM: String) throws {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
        guard !chain.isEmpty else { throw WebhookError("the serving certificate holds no certificate") }
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        let fresh = Loaded(chain: chain, key: .privateKey(key), stamp: certificatePEM)
        loaded.withLock { $0 = fresh }
    }

    func reloadedIfChanged() throws -> Loaded {
        guard let directory else {
            guard let c = current else { throw WebhookError("no serving certificate yet") }
            return c
        }
        let stamp = Self.stamp(directory)
        if let c = loaded.withLock({ $0?.stamp == stamp ? $0 : nil }) { return c }
        let fresh = try Self.load(directory)
        loaded.withLock { $0 = fresh }
        return fresh
    }

    /// Sizes and modification times: a Secret volume swaps both files at once (a symlink flip).
    static func stamp(_ directory: String) -> String {
        ["tls.crt", "tls.key"].map { name in
            let a = try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(name))
            return "\((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\(a?[.size] as? Int ?? 0)"
        }.joined(separator: ",")
    }

    static func load(_ directory: String) throws -> Loaded {
        let crt = (directory as NSString).appendingPathComponent("tls.crt"), key = (directory as NSString).appendingPathComponent("tls.key")
        let stamp = stamp(directory)
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(crt).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw WebhookError("\(crt) holds no certificate") }
            return Loaded(chain: chain, key: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)), stamp: stamp)
        } catch let e as WebhookError {
            throw e
        } catch {
            throw WebhookError("the webhook's serving certificate: cannot read \(crt) and \(key) as PEM")
        }
    }
}

struct WebhookError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
